//! Model packages: save/load, the stable model id, and refusal of damaged packages.

use std::path::Path;

use loopx_models::graph::random_rows;
use loopx_models::package::canonical_encoding;
use loopx_models::{
    compile, model_id, FeatureSpec, Graph, GraphSummary, ModelError, ModelPackage, Op, OutputRequest, Schema,
    PACKAGE_FILE,
};

fn package(seed: u64) -> ModelPackage {
    let graph = Graph::mlp(&[3, 5, 2], Op::Relu, None, seed).expect("mlp");
    let schema = Schema::new(
        ["a", "b", "c"]
            .iter()
            .map(|n| FeatureSpec {
                name: n.to_string(),
                unit: "u".into(),
                min: -1.0,
                max: 1.0,
                description: None,
                scale_bits: None,
            })
            .collect(),
    )
    .expect("schema");
    let source = GraphSummary::of(&graph, "", None);
    let rows = random_rows(3, 40, seed);
    ModelPackage::from_graph(&graph, source, &rows, Some(schema), &OutputRequest::Auto, "demo")
        .expect("package")
        .0
}

fn rewrite(dir: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let path = dir.join(PACKAGE_FILE);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("json")).expect("write");
}

#[test]
fn packages_round_trip_through_model_json() {
    let dir = tempfile::tempdir().expect("tmp");
    let pkg = package(1);
    let path = pkg.save(dir.path().join("pkg")).expect("save");
    assert!(path.ends_with("pkg/model.json"));
    assert_eq!(ModelPackage::load(dir.path().join("pkg")).expect("load"), pkg);
    assert_eq!(ModelPackage::load(&path).expect("load file"), pkg);
}

#[test]
fn model_id_is_a_stable_keccak_of_the_quantized_model() {
    let (a, b) = (package(7), package(7));
    assert_eq!(a.model_id, b.model_id);
    assert!(a.model_id.starts_with("0x") && a.model_id.len() == 66);
    assert_ne!(a.model_id, package(8).model_id);
    let mut changed = a.quantized.clone();
    changed.layers[0].weights[0][0] += 1;
    assert_ne!(model_id(&changed), a.model_id);
    assert!(canonical_encoding(&a.quantized).starts_with(b"loopx-quantized-model-v1"));
}

#[test]
fn missing_corrupt_and_foreign_packages_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let err = ModelPackage::load(dir.path().join("nope")).expect_err("missing");
    assert!(err.to_string().contains("does not exist"), "{err}");
    let err = ModelPackage::load(dir.path()).expect_err("empty dir");
    assert!(err.to_string().contains("holds no model.json"), "{err}");
    std::fs::write(dir.path().join(PACKAGE_FILE), "{\"format_version\": 1,\n \"name\": }").expect("write");
    assert!(matches!(ModelPackage::load(dir.path()), Err(ModelError::Json { line: 2, .. })));
    std::fs::write(dir.path().join(PACKAGE_FILE), "{\"format_version\": 1}").expect("write");
    assert!(matches!(ModelPackage::load(dir.path()), Err(ModelError::Json { .. })));
}

#[test]
fn a_package_of_another_format_version_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    package(1).save(dir.path()).expect("save");
    rewrite(dir.path(), |v| v["format_version"] = 99.into());
    let err = ModelPackage::load(dir.path()).expect_err("version");
    assert!(err.to_string().contains("format version 99"), "{err}");
}

#[test]
fn an_edited_package_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    package(1).save(dir.path()).expect("save");
    rewrite(dir.path(), |v| {
        let w = &mut v["quantized"]["layers"][0]["weights"][0][0];
        *w = (w.as_i64().expect("int") + 1).into();
    });
    let err = ModelPackage::load(dir.path()).expect_err("tampered");
    assert!(err.to_string().contains("bounds") || err.to_string().contains("model_id"), "{err}");
    package(1).save(dir.path()).expect("save");
    rewrite(dir.path(), |v| v["quantized"]["layers"][0]["shift"] = 200.into());
    assert!(ModelPackage::load(dir.path()).is_err());
    package(1).save(dir.path()).expect("save");
    rewrite(dir.path(), |v| {
        v["quantized"]["output"] = serde_json::json!({"kind": "threshold", "index": 9, "threshold": 0})
    });
    assert!(ModelPackage::load(dir.path()).is_err());
}

#[test]
fn package_inputs_are_checked_against_the_schema() {
    let pkg = package(2);
    let q = pkg.input_from_json(r#"{"input_data": [[0.5, -0.5, 1.0]]}"#, "in").expect("input");
    assert_eq!(q.len(), 3);
    let named = pkg.input_from_json(r#"{"features": {"a": 0.5, "b": -0.5, "c": 1.0}}"#, "in").expect("named");
    assert_eq!(q, named);
    let err = pkg.input_from_json(r#"{"input_data": [[0.5, -2, 1.0]]}"#, "in").expect_err("range");
    assert_eq!(err.to_string(), "feature `b` = -2 is outside its allowed range [-1, 1]");
    assert!(matches!(pkg.load_input("/nonexistent.json"), Err(ModelError::Io { .. })));
    let trace = pkg.quantized.forward(&q).expect("forward");
    assert_eq!(pkg.quantized.decode_public_outputs(&trace.public_outputs).len(), 1);
}

#[test]
fn compile_reads_an_onnx_file() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let schema = Schema::load(fixtures.join("sybil_lr.schema.toml")).expect("schema");
    let rows =
        loopx_models::load_rows(fixtures.join("sybil_lr.calibration.json"), Some(&schema), 24).expect("rows");
    let (pkg, report) =
        compile(fixtures.join("sybil_lr.onnx"), &rows, Some(schema), &OutputRequest::Auto, "sybil_lr")
            .expect("compile");
    assert_eq!(pkg.source.opset, Some(13));
    assert_eq!(pkg.source.inputs, 24);
    assert_eq!(pkg.report, report);
    let err =
        compile(fixtures.join("missing.onnx"), &rows, None, &OutputRequest::Auto, "x").expect_err("missing");
    assert!(matches!(err, ModelError::Io { .. }));
}
