//! One real proof per scikit-learn export (`fixtures/sklearn/`) and per activation fixture
//! (`fixtures/activations/`), compiled from 32 calibration rows in EZKL's layout, no schema: it verifies, and the class it proves is onnxruntime's label
//! (the regressor: onnxruntime's prediction, to the output's precision).

use std::path::PathBuf;
use std::time::Instant;

use loopx_circuits::choose_shape;
use loopx_circuits::instances::fr_to_i64;
use loopx_models::{compile, OutputRequest, OutputSpec};
use loopx_prover::{prove, setup, verify, ProofRequest};
use loopx_srs::Srs;
use serde_json::Value;

#[test]
fn each_sklearn_export_proves_onnxruntimes_answer() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    for (folder, name) in [
        ("sklearn", "sk_scaler_logreg"),
        ("sklearn", "sk_scaler_logreg_multi"),
        ("sklearn", "sk_mlp_tanh"),
        ("sklearn", "sk_mlp_logistic_binary"),
        ("sklearn", "sk_linreg"),
        ("sklearn", "sk_minmax_mlp_relu"),
        ("activations", "act_leaky_relu"),
        ("activations", "act_softplus"),
        ("activations", "act_exp_softmax"),
        ("activations", "act_sigmoid64"),
    ] {
        let dir = fixtures.join(folder);
        let calibration =
            loopx_models::load_rows(dir.join(format!("{name}.calibration.json")), None, 24).unwrap();
        let (package, _) =
            compile(dir.join(format!("{name}.onnx")), &calibration, None, &OutputRequest::Auto, name)
                .unwrap();
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.heldout.json"))).unwrap())
                .unwrap();
        let row: Vec<f64> =
            doc["input_data"][0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let features = package.quantize_row(&row).expect("held-out row 0 in range");

        let plan = choose_shape(&package.quantized);
        let srs = Srs::dev(plan.shape.k).unwrap();
        let keys = setup(&package.quantized, &package.model_id, &plan, &srs).unwrap();
        let request = ProofRequest { features: &features, wallet: [7; 20], salt: 11u64.into() };
        let start = Instant::now();
        let proof = prove(&package.quantized, &keys, &srs, &request).unwrap();
        let seconds = start.elapsed().as_secs_f64();
        assert!(
            verify(keys.vk(), &keys.header, &srs, &proof.bytes, &proof.instances.to_vec()).unwrap(),
            "{name}"
        );
        let proven: Vec<i64> = proof.instances.outputs.iter().map(|f| fr_to_i64(f).unwrap()).collect();
        let scale = 2f64.powi(package.quantized.output_scale_bits() as i32);
        match (&package.quantized.output, doc.get("label")) {
            (OutputSpec::ArgMax, Some(label)) => assert_eq!(proven[0], label[0].as_i64().unwrap(), "{name}"),
            (OutputSpec::Vector, Some(label)) => {
                // P(positive class), at the output scale.
                let p = proven[0] as f64 / scale;
                assert_eq!(i64::from(p >= 0.5), label[0].as_i64().unwrap(), "{name}: p = {p}");
            }
            (OutputSpec::Vector, None) => {
                let expected = doc["output"][0][0].as_f64().unwrap();
                let got = proven[0] as f64 / scale;
                assert!((got - expected).abs() < 0.01, "{name}: proved {got}, onnxruntime {expected}");
            }
            (other, _) => panic!("{name}: unexpected output {other:?}"),
        }
        let tables = loopx_circuits::shape::table_reads(&package.quantized, plan.shape).unwrap_or("none");
        eprintln!("{name}: k = {}, tables {tables}, proved {:?} in {seconds:.2} s", plan.shape.k, proven);
    }
}
