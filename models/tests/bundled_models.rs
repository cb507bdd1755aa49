//! The bundled wallet models under `fixtures/` compile, and the quantized models agree with the
//! float ONNX graphs on the held-out rows.

use loopx_models::{
    agreement_on_rows, compile_files, load_onnx, load_rows, ModelPackage, OutputRequest, OutputSpec, Schema,
};
use loopx_test_support::fixtures_dir;

struct Compiled {
    package: ModelPackage,
    heldout: loopx_models::Agreement,
}

fn compile_bundled(name: &str) -> Compiled {
    let dir = fixtures_dir();
    let onnx = dir.join(format!("{name}.onnx"));
    let schema_path = dir.join(format!("{name}.schema.toml"));
    let (package, report) = compile_files(
        &onnx,
        dir.join(format!("{name}.calibration.json")),
        Some(&schema_path),
        &OutputRequest::Auto,
        name,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(report.calibration.rows, 200);
    let schema = Schema::load(&schema_path).expect("schema");
    let graph = load_onnx(&onnx).expect("onnx").graph;
    let rows =
        load_rows(dir.join(format!("{name}.heldout.json")), Some(&schema), graph.inputs()).expect("rows");
    assert_eq!(rows.len(), 500);
    let heldout = agreement_on_rows(&graph, &package.quantized, &rows).expect("agreement");
    Compiled { package, heldout }
}

#[test]
fn sybil_lr_sigmoid_output_is_within_0_02_on_heldout_rows() {
    let c = compile_bundled("sybil_lr");
    assert_eq!(c.package.quantized.output, OutputSpec::Vector);
    assert_eq!(c.package.quantized.output_len(), 1);
    assert!(c.heldout.max_abs_error <= 0.02, "max abs error {}", c.heldout.max_abs_error);
    assert!(c.package.report.calibration.max_abs_error <= 0.02);
}

#[test]
fn risk_mlp_argmax_agrees_on_99_percent_of_heldout_rows() {
    let c = compile_bundled("risk_mlp");
    assert_eq!(c.package.quantized.output, OutputSpec::ArgMax);
    let agreement = c.heldout.argmax_agreement.expect("multi-output");
    assert!(agreement >= 0.99, "argmax agreement {agreement}");
}

#[test]
fn credit_mlp_argmax_agrees_on_99_percent_of_heldout_rows() {
    let c = compile_bundled("credit_mlp");
    assert_eq!(c.package.quantized.output_len(), 8);
    let agreement = c.heldout.argmax_agreement.expect("multi-output");
    assert!(agreement >= 0.99, "argmax agreement {agreement}");
}

#[test]
fn bundled_sample_input_quantizes_in_both_input_formats() {
    let dir = fixtures_dir();
    let c = compile_bundled("sybil_lr");
    let from_rows = c.package.load_input(dir.join("sybil_lr.input.json")).expect("input_data");
    let from_names = c.package.load_input(dir.join("sybil_lr.features.json")).expect("features");
    assert_eq!(from_rows, from_names);
    let trace = c.package.quantized.forward(&from_rows).expect("forward");
    let p = c.package.quantized.dequantize_vector(trace.final_vector())[0];
    // manifest.json: models.sybil_lr.sample_output = [0.00684589]
    assert!((p - 0.00684589).abs() < 0.01, "sample output {p}");
}
