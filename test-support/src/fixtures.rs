//! The repository's `fixtures/` folder and the bundled wallet models in it.

use std::path::PathBuf;

use loopx_models::{compile_files, ModelPackage, OutputRequest};

pub use loopx_models::BUNDLED_MODELS;

/// The repository's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// A file in `fixtures/`, e.g. `fixture("wallets.jsonl")`.
pub fn fixture(file: &str) -> PathBuf {
    fixtures_dir().join(file)
}

/// A file of bundled model `name`, e.g. `model_file("risk_mlp", "input.json")`.
pub fn model_file(name: &str, suffix: &str) -> PathBuf {
    fixture(&format!("{name}.{suffix}"))
}

/// Bundled model `name` compiled from its ONNX file, calibration rows and schema, with the
/// given output request (`loopx quickstart` uses [`OutputRequest::Auto`]).
pub fn compile_bundled(name: &str, output: &OutputRequest) -> ModelPackage {
    let schema = model_file(name, "schema.toml");
    let (package, _) = compile_files(
        model_file(name, "onnx"),
        model_file(name, "calibration.json"),
        Some(&schema),
        output,
        name,
    )
    .unwrap_or_else(|e| panic!("bundled model {name} compiles: {e}"));
    package
}

/// The held-out rows of bundled model `name`, in the package's feature order.
pub fn heldout_rows(package: &ModelPackage, name: &str) -> Vec<Vec<f64>> {
    loopx_models::load_rows(model_file(name, "heldout.json"), package.schema.as_ref(), package.features())
        .unwrap_or_else(|e| panic!("held-out rows of {name}: {e}"))
}
