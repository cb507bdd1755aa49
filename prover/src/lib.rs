//! The LoopX prover: structured reference strings (dev generation, loading), key generation for
//! a quantized wallet model, KZG proofs with SHPLONK and the EVM-compatible Keccak transcript (so
//! every proof is chain-verifiable), native verification, and versioned artifact files.

pub mod artifact;
pub mod batch;
pub mod claim;
pub mod error;
pub mod keys;
pub mod package_dir;
pub mod proof;
pub mod proof_file;
pub mod ptau;
pub mod srs;

pub use batch::{
    BatchInput, BatchOptions, BatchProver, BatchSummary, BatchVerifier, Parallelism, ProofStore, Shard,
};
pub use claim::{Claim, ClaimVerifier, InstanceClaim};
pub use error::{ProverError, Result};
pub use keys::{setup, vk_digest, KeyHeader, ModelKeys};
pub use package_dir::PackageDir;
pub use proof::{prove, random_salt, verify, Proof, ProofRequest};
pub use proof_file::{format_wallet, parse_wallet, ProofFile};
pub use ptau::{import_ptau, PtauImport, PtauProblem};
pub use srs::{Srs, SrsSource};
