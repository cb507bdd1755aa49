//! Benchmark workloads for LoopX prover: the bundled wallet models and the model shapes of the
//! EZKL comparison, each compiled, set up and ready to prove. Shared by the criterion benches
//! (`benches/`) and the `figures` example, which prints k, timings and peak memory per model.

// Dependency lists stay honest; test builds see the dev-dependencies too, so they are exempt.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use std::path::{Path, PathBuf};

use loopx_circuits::{choose_shape, CircuitPlan};
use loopx_models::graph::random_rows;
use loopx_models::{Graph, GraphSummary, ModelPackage, Op, OutputRequest};
use loopx_prover::{setup, ModelKeys, ProofRequest};
use loopx_srs::Srs;

pub use loopx_models::BUNDLED_MODELS as BUNDLED;

/// The shapes EZKL 23 was measured on (see the circuits issue): name and layer sizes.
pub const EZKL_SHAPES: [(&str, &[usize]); 3] = [
    ("lr16_sigmoid", &[16, 1]),
    ("mlp_32_64_32_4", &[32, 64, 32, 4]),
    ("mlp_64_256_256_8", &[64, 256, 256, 8]),
];

/// A compiled model with its plan.
pub struct Workload {
    /// Name.
    pub name: String,
    /// The package.
    pub package: ModelPackage,
    /// How the circuit is laid out.
    pub plan: CircuitPlan,
    /// Sample rows to prove.
    pub rows: Vec<Vec<f64>>,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Stops with the reason where this CPU cannot run the `asm` field arithmetic the benches are
/// built with, rather than dying of an illegal instruction in the first multiplication.
pub fn require_cpu() {
    if let Err(e) = loopx_prover::cpu::check() {
        panic!("{e}");
    }
}

/// A bundled model compiled from its ONNX file, with its held-out rows.
pub fn bundled(name: &str) -> Workload {
    require_cpu();
    let dir = fixtures();
    let file = |suffix: &str| dir.join(format!("{name}.{suffix}"));
    let (package, _) = loopx_models::compile_named(&dir, name).expect("bundled model compiles");
    let rows = loopx_models::load_rows(file("heldout.json"), package.schema.as_ref(), package.features())
        .expect("held-out rows");
    let plan = choose_shape(&package.quantized);
    Workload { name: name.into(), package, plan, rows }
}

/// A random-weight model of an EZKL comparison shape (sigmoid output for one output, ReLU MLP
/// with argmax otherwise), calibrated on random rows.
pub fn ezkl_shape(name: &str, sizes: &[usize]) -> Workload {
    require_cpu();
    let graph = if sizes.len() == 2 && sizes[1] == 1 {
        Graph::logistic_regression(sizes[0], 7).expect("graph")
    } else {
        Graph::mlp(sizes, Op::Relu, None, 7).expect("graph")
    };
    let rows = random_rows(sizes[0], 64, 11);
    let source = GraphSummary::of(&graph, "loopx-benches", None);
    let (package, _) =
        ModelPackage::from_graph(&graph, source, &rows, None, &OutputRequest::Auto, name).expect("quantizes");
    let plan = choose_shape(&package.quantized);
    Workload { name: name.into(), package, plan, rows }
}

/// Every workload: bundled models, then the EZKL shapes.
pub fn all() -> Vec<Workload> {
    BUNDLED.iter().map(|n| bundled(n)).chain(EZKL_SHAPES.iter().map(|(n, s)| ezkl_shape(n, s))).collect()
}

/// The names [`workload`] knows.
pub fn all_names() -> Vec<&'static str> {
    BUNDLED.iter().copied().chain(EZKL_SHAPES.iter().map(|(n, _)| *n)).collect()
}

/// One workload by name: a bundled model, an EZKL shape (see [`all_names`]), or an exported model
/// under `fixtures/activations/` or `fixtures/sklearn/` (compiled from its 32 calibration rows).
pub fn workload(name: &str) -> Option<Workload> {
    if BUNDLED.contains(&name) {
        return Some(bundled(name));
    }
    if let Some((n, s)) = EZKL_SHAPES.iter().find(|(n, _)| *n == name) {
        return Some(ezkl_shape(n, s));
    }
    ["activations", "sklearn"].iter().find_map(|folder| exported(folder, name))
}

/// An exported fixture model, compiled without a schema from its calibration rows.
fn exported(folder: &str, name: &str) -> Option<Workload> {
    require_cpu();
    let dir = fixtures().join(folder);
    let onnx = dir.join(format!("{name}.onnx"));
    if !onnx.exists() {
        return None;
    }
    let calibration = loopx_models::load_rows(dir.join(format!("{name}.calibration.json")), None, 24).ok()?;
    let (package, _) = loopx_models::compile(&onnx, &calibration, None, &OutputRequest::Auto, name)
        .expect("fixture compiles");
    let rows = loopx_models::load_rows(dir.join(format!("{name}.heldout.json")), None, 24).ok()?;
    let plan = choose_shape(&package.quantized);
    Some(Workload { name: name.into(), package, plan, rows })
}

impl Workload {
    /// Keys from a dev SRS of the circuit's size.
    pub fn keys(&self, srs: &Srs) -> ModelKeys {
        setup(&self.package.quantized, &self.package.model_id, &self.plan, srs).expect("setup")
    }

    /// Quantized features of row `i`.
    pub fn features(&self, i: usize) -> Vec<i64> {
        self.package.quantize_row(&self.rows[i % self.rows.len()]).expect("row in range")
    }

    /// A proof request for row `i` (features must outlive it).
    pub fn request<'a>(&self, features: &'a [i64]) -> ProofRequest<'a> {
        ProofRequest { features, wallet: [0x42; 20], salt: loopx_circuits::Fr::from(9) }
    }
}
