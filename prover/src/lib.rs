//! The LoopX prover: key generation for a quantized wallet model, KZG proofs with SHPLONK and the
//! EVM-compatible Keccak transcript (so every proof is chain-verifiable), native verification,
//! verified claims, proof files, and the model package directory with the [`Package`] facade that
//! every front end calls. SRS handling lives in `loopx-srs` below it; batch proving in
//! `loopx-batch` above it.

// Dependency lists stay honest; test builds see the dev-dependencies too, so they are exempt.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod binding;
pub mod claim;
pub mod cpu;
pub mod error;
pub mod keys;
pub mod package;
#[cfg(feature = "poseidon-transcript")]
mod poseidon;
pub mod proof;
pub mod proof_file;
pub mod transcript;

pub use claim::{Claim, ClaimVerifier, InstanceClaim};
pub use error::{ProverError, Result};
pub use keys::{setup, vk_digest, KeyHeader, ModelKeys};
pub use package::{CompileOptions, Package, PackageFiles, PackageProver};
pub use proof::{
    prove, prove_with_transcript, random_salt, verify, verify_with_transcript, Proof, ProofRequest,
    TranscriptKind,
};
pub use proof_file::{format_wallet, parse_wallet, ProofFile};
