//! A bundled model set up under a dev SRS large enough for the aggregation circuit, and app
//! proofs of it in the Poseidon transcript.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use halo2curves::bn256::Fr;
use loopx_models::OutputRequest;
use loopx_prover::{Package, ProofFile, ProofRequest, TranscriptKind};
use loopx_srs::{Srs, SrsPolicy};
use loopx_test_support::{model_file, set_up_bundled_with};

/// The smallest bundled model (k = 12).
pub const MODEL: &str = "sybil_lr";

/// The aggregation circuit's k in tests (`LOOPX_AGG_K` overrides it).
pub fn agg_k() -> u32 {
    std::env::var("LOOPX_AGG_K").ok().and_then(|k| k.parse().ok()).unwrap_or(20)
}

/// Compiles [`MODEL`] into `dir` and sets it up with the dev SRS (cut to the model's k).
pub fn set_up(dir: &Path, srs: &Srs) -> Package {
    set_up_bundled_with(dir, MODEL, &OutputRequest::Auto, |_| srs.clone())
}

/// The dev SRS of size 2^k, generated once and kept in the target directory (generating it at
/// k = 20 takes minutes; loading it, seconds).
pub fn dev_srs(k: u32) -> Srs {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("loopx-dev-srs-k{k}.bin"));
    if let Ok(srs) = Srs::load(&path) {
        if srs.is_dev() && srs.k() == k {
            return srs;
        }
    }
    let srs = Srs::dev(k).expect("dev SRS");
    srs.save(&path).expect("dev SRS cached");
    srs
}

/// Anvil's dev accounts 1 and 2 (account 0 deploys and relays): the wallets of the proofs, so
/// that a test on a node can sign as them.
pub const WALLETS: [&str; 2] =
    ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"];

/// `count` Poseidon-transcript proofs of the bundled input, for [`WALLETS`] and then wallets
/// 0xa0…03, 0xa0…04, …
pub fn poseidon_proofs(package: &Package, count: usize) -> Vec<(String, ProofFile)> {
    let features = package.package.load_input(model_file(MODEL, "input.json")).expect("input");
    let prover = package.prover(SrsPolicy::AllowDev).expect("prover");
    (0..count)
        .map(|i| {
            let mut wallet = [0u8; 20];
            wallet[0] = 0xa0;
            wallet[19] = i as u8 + 1;
            if let Some(known) = WALLETS.get(i) {
                wallet = loopx_prover::parse_wallet(&known.to_lowercase()).expect("wallet");
            }
            let request = ProofRequest { features: &features, wallet, salt: Fr::from(1000 + i as u64) };
            let file = prover.prove_with_transcript(&request, TranscriptKind::Poseidon).expect("proof");
            (format!("proof-{i}.json"), file)
        })
        .collect()
}

pub mod forge;
