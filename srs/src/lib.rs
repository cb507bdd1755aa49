//! Structured reference strings for LoopX's KZG proofs: the insecure dev SRS (a public seed, for
//! tests), import of a snarkjs powers-of-tau ceremony file, the SRS file, the [`SrsPolicy`] that
//! decides whether a dev SRS is acceptable, and the versioned [`artifact`] container that SRS and
//! key files share. Knows nothing of circuits or models: the prover builds on it.

// Dependency lists stay honest; test builds see the dev-dependencies too, so they are exempt.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod artifact;
mod error;
mod policy;
pub mod ptau;
mod srs;

pub use artifact::ArtifactError;
pub use error::{Result, SrsError};
pub use policy::SrsPolicy;
pub use ptau::{import_ptau, import_ptau_bytes, PtauFile, PtauImport, PtauProblem};
pub use srs::{file_sha256, Srs, SrsSource, MAX_K};
