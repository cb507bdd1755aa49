//! Batch proving: one model, many wallets. [`BatchProver`] loads the proving key and the SRS
//! once, streams the rows of an input file ([`BatchInput`]) through a few workers, writes each
//! proof atomically into a [`ProofStore`] under a name derived from what it proves, and so:
//!
//! - loses nothing and duplicates nothing across a kill and restart: a row whose proof file
//!   exists is skipped, a proof file is whole or absent;
//! - keeps going past bad rows: each is reported as a [`FailedRow`] in `errors.jsonl`;
//! - splits without a coordinator: [`Shard`] `I/N` takes every N-th row;
//! - keeps memory flat: rows are read as they are needed, a few per worker at a time.
//!
//! [`BatchVerifier`] checks a directory of proofs in parallel.

// Dependency lists stay honest; test builds see the dev-dependencies too, so they are exempt.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod credentials;
mod error;
mod input;
mod options;
mod prover;
mod shard;
mod store;
mod verify;

pub use error::{BatchError, Result};
pub use input::{BatchInput, FeatureLayout, InputFormat, InputRow, Opening, RowReader, WalletRow};
pub use options::{available_cores, BatchOptions, Parallelism};
pub use prover::{BatchProver, BatchSummary, FailedRow, RowOutcome};
pub use shard::Shard;
pub use store::{ManifestEntry, ProofStore};
pub use verify::{BatchVerifier, ProofCheck, VerifySummary};
