//! A bundled model set up under a dev SRS large enough for the aggregation circuit, and app
//! proofs of it in the Poseidon transcript.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use halo2curves::bn256::Fr;
use loopx_models::{compile_files, OutputRequest};
use loopx_prover::{Package, ProofFile, ProofRequest, TranscriptKind};
use loopx_srs::{Srs, SrsPolicy};

/// The smallest bundled model (k = 12).
pub const MODEL: &str = "sybil_lr";

/// The aggregation circuit's k in tests (`LOOPX_AGG_K` overrides it).
pub fn agg_k() -> u32 {
    std::env::var("LOOPX_AGG_K").ok().and_then(|k| k.parse().ok()).unwrap_or(20)
}

/// The repository's fixtures folder.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Compiles [`MODEL`] into `dir` and sets it up with the dev SRS (cut to the model's k).
pub fn set_up(dir: &Path, srs: &Srs) -> Package {
    let file = |suffix: &str| fixtures().join(format!("{MODEL}.{suffix}"));
    let schema = file("schema.toml");
    let (package, _) =
        compile_files(file("onnx"), file("calibration.json"), Some(&schema), &OutputRequest::Auto, MODEL)
            .expect("bundled model compiles");
    package.save(dir).expect("package saved");
    let package = Package::open(dir).expect("package opens");
    package.setup(srs, SrsPolicy::AllowDev).expect("setup");
    package
}

/// `count` Poseidon-transcript proofs of the bundled input for wallets 0x…01, 0x…02, …
pub fn poseidon_proofs(package: &Package, count: usize) -> Vec<(String, ProofFile)> {
    let features = package.package.load_input(fixtures().join(format!("{MODEL}.input.json"))).expect("input");
    let prover = package.prover(SrsPolicy::AllowDev).expect("prover");
    (0..count)
        .map(|i| {
            let mut wallet = [0u8; 20];
            wallet[0] = 0xa0;
            wallet[19] = i as u8 + 1;
            let request = ProofRequest { features: &features, wallet, salt: Fr::from(1000 + i as u64) };
            let file = prover.prove_with_transcript(&request, TranscriptKind::Poseidon).expect("proof");
            (format!("proof-{i}.json"), file)
        })
        .collect()
}
