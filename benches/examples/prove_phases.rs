//! Where one `loopx prove` spends its time, phase by phase, on a package that was set up:
//! opening `model.json`, choosing the layout, loading the SRS and the proving key, binding the
//! key to the model, and proving (witness, synthesis and halo2's prover). Beside the binding, it
//! times the full re-derivation of the verifying key that the binding replaced, and it proves
//! `PROOFS` times (default 1; more for a profiler: `perf record -g` around it).
//! `cargo run --release -p loopx-benches --example prove_phases -- PKG_DIR [INPUT_JSON] [PROOFS]`

use std::time::Instant;

use loopx_circuits::Fr;
use loopx_prover::{Package, ProofRequest};

fn main() {
    loopx_benches::require_cpu();
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: prove_phases PKG_DIR [INPUT_JSON] [PROOFS]");
    let input = args.next().filter(|a| a != "-");
    let proofs: usize = args.next().map_or(1, |n| n.parse().expect("PROOFS is a count"));
    let mut lap = Instant::now();
    let mut phase = |name: &str| {
        println!("{name:<28} {:>7.3} s", lap.elapsed().as_secs_f64());
        lap = Instant::now();
    };
    let package = Package::open(&dir).expect("package");
    phase("open model.json");
    let plan = package.plan();
    phase(&format!("choose layout (k = {})", plan.shape.k));
    let srs = package.srs().expect("srs");
    phase("load srs.bin");
    let pk_path = std::path::Path::new(&dir).join(loopx_prover::keys::PK_FILE);
    let bytes = std::fs::read(&pk_path).expect("pk.bin");
    phase("read pk.bin");
    let parsed = loopx_prover::ModelKeys::from_bytes(&pk_path, bytes).expect("pk.bin parses");
    phase("parse pk.bin");
    let rederived =
        loopx_prover::keys::verifying_key_for(&package.package.quantized, plan.shape, &srs).expect("vk");
    phase("re-derive vk (what bind replaced)");
    let stored = rederived.to_bytes(halo2_proofs::SerdeFormat::RawBytes);
    phase("(serialize it)");
    loopx_prover::keys::bind_verifying_key(&package.package.quantized, plan.shape, &srs, &stored)
        .expect("binds");
    phase("bind vk (one MSM)");
    drop(parsed);
    let keys = package.keys().expect("keys");
    phase("Package::keys (all three)");
    let prover = loopx_prover::PackageProver::new(package.package.clone(), keys, srs).expect("prover");
    phase("prover");
    let rows = match input {
        Some(path) => {
            loopx_models::load_rows(path, package.package.schema.as_ref(), package.package.features())
                .expect("input rows")
        }
        None => loopx_models::graph::random_rows(package.package.features(), 1, 3),
    };
    let features = package.package.quantize_row(&rows[0]).expect("row in range");
    phase("read input");
    let request = ProofRequest { features: &features, wallet: [0xaa; 20], salt: Fr::from(9) };
    for _ in 0..proofs {
        let proof = prover.prove(&request).expect("proof");
        phase(&format!("prove ({} B)", proof.proof.len() / 2));
    }
}
