//! LoopX proof aggregation: up to N app proofs of one model (made with the Poseidon transcript,
//! `loopx batch --for-aggregation`) become one proof that a Solidity verifier checks with one
//! pairing, through snark-verifier-sdk's KZG accumulation circuit. The covered proofs' instances
//! are published compressed (one word fewer per wallet, see [`circuit`]) and constrained to be
//! the instances the covered proofs were verified against.
//!
//! * [`AggregationProver`] makes or loads the aggregation keys (kept beside the package in
//!   `aggregate-N/`) and aggregates; [`AggregationKeys`] is the verifier side. Loading keys
//!   re-derives the verifying key from the circuit of the package's app key and refuses a
//!   published one that differs ([`keys`]).
//! * [`aggregate_all`] aggregates a directory of proofs in resumable chunks of N into
//!   [`AggregateFile`]s with a manifest of the rows, wallets and outputs each covers;
//!   [`AggregateVerifier`] verifies such a file and reports what it proves.
//! * [`verify_aggregate`] checks an aggregate natively, proof and accumulator pairing;
//!   [`covered_claims`] unpacks what it says about each wallet.

// Dependency lists stay honest; test builds see the dev-dependencies too, so they are exempt.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod ceremony;
pub mod circuit;
mod derive;
mod error;
mod file;
pub mod keys;
mod prove;
pub mod run;
mod verify;

pub use circuit::{AggregateLayout, ACCUMULATOR_LIMBS};
pub use error::{AggregateError, Result};
pub use file::{AggregateFile, AggregateVerifier, CoveredClaim, CoveredProof, AGGREGATE_FORMAT_VERSION};
pub use keys::{default_k, keys_dir, AggregationKeys, AggregationSetup};
pub use prove::{snarks_of, AggregateProof, AggregationProver};
pub use run::{aggregate_all, read_proofs, ChunkOutcome, RunSummary, SourceProof, MANIFEST_FILE};
pub use verify::{covered_claims, verify_aggregate};

/// Runs library code that reports bad input by panicking (snark-verifier, halo2-base asserts),
/// turning a panic into [`AggregateError::Halo2`].
pub(crate) fn catch_panic<T>(stage: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        AggregateError::Halo2 { stage, message }
    })?
}
