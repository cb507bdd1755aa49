//! Errors of key generation, proving, proof files and verification.

use std::path::PathBuf;

use loopx_srs::{ArtifactError, SrsError};
use thiserror::Error;

/// Everything that can go wrong in the prover.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProverError {
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Keys made by a build with other gates.
    #[error(
        "{path} holds keys for circuit version {found}, this build proves version {current}: \
         run `loopx setup` on the package again"
    )]
    StaleKeys {
        /// The key file.
        path: PathBuf,
        /// The version the keys were made for (0: before versions were recorded).
        found: u32,
        /// This build's version.
        current: u32,
    },
    /// Keys were made for another model package.
    #[error(
        "the keys were made for model {keys} but the package is model {package}; run `loopx setup` again"
    )]
    ModelMismatch {
        /// Model id in the key file.
        keys: String,
        /// Model id of the package.
        package: String,
    },
    /// A package's verifying key is not the one its model's circuit gives.
    #[error(
        "{} does not belong to this package's model {model_id}: {reason}; the package's keys were \
         swapped or damaged, run `loopx setup` on it again",
        path.display()
    )]
    KeysNotBound {
        /// The verifying key file.
        path: PathBuf,
        /// The package's model id.
        model_id: String,
        /// What differs.
        reason: String,
    },
    /// The proof does not verify against the package's verifying key and its instances.
    #[error("the proof does not verify against model {model_id}'s verifying key")]
    ProofRejected {
        /// The package's model id.
        model_id: String,
    },
    /// A proof file's descriptive field disagrees with what its proof proves.
    #[error(
        "the proof file's `{field}` says {stated} but its proof is about {proven}: the file was \
         edited or mixes two proofs, so nothing it says is reported"
    )]
    ClaimMismatch {
        /// The field.
        field: &'static str,
        /// What the file says.
        stated: String,
        /// What the instances (or the package's keys) say.
        proven: String,
    },
    /// The proof carries another number of public instances than the circuit publishes.
    #[error("the proof has {found} public instances but model {model_id} publishes exactly {expected}")]
    InstanceCount {
        /// The package's model id.
        model_id: String,
        /// Instances the circuit publishes.
        expected: usize,
        /// Instances the proof carries.
        found: usize,
    },
    /// A public instance is not what its position requires (a 160-bit wallet, a small integer).
    #[error("public instance {index} ({what}) is {value}, which is not {expected}")]
    MalformedInstance {
        /// Position in the instance column.
        index: usize,
        /// What sits there.
        what: &'static str,
        /// The value, as hex.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A key file is unreadable or damaged.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// The SRS is too small, damaged, or refused by the policy.
    #[error(transparent)]
    Srs(#[from] SrsError),
    /// The model rejected the input.
    #[error(transparent)]
    Model(#[from] loopx_models::ModelError),
    /// halo2 failed while synthesising, generating keys or proving.
    #[error("{stage} failed: {message}")]
    Halo2 {
        /// The stage.
        stage: &'static str,
        /// halo2's message.
        message: String,
    },
    /// The package has no keys yet.
    #[error("{} has no keys yet; run `loopx setup {}` (with --dev-srs or --srs FILE) first", .0.display(), .0.display())]
    NotSetUp(PathBuf),
    /// A wallet address is malformed.
    #[error("`{0}` is not a wallet address: expected 0x followed by 40 hex digits")]
    InvalidWallet(String),
    /// A proof in a transcript this build was compiled without.
    #[error("this build of LoopX cannot handle proofs in the {0} transcript (built without the `poseidon-transcript` feature)")]
    TranscriptUnsupported(&'static str),
    /// The build's field arithmetic needs instructions this CPU lacks (feature `asm`).
    #[error("this LoopX was built with the `asm` feature, whose field arithmetic needs the {missing} instructions this CPU lacks; rebuild it without that feature (e.g. `cargo build --release -p loopx-cli --no-default-features`)")]
    UnsupportedCpu {
        /// The instruction sets missing.
        missing: &'static str,
    },
    /// A proof file is malformed.
    #[error("invalid proof file: {0}")]
    InvalidProofFile(String),
}

/// Shorthand for results in this crate.
pub type Result<T> = std::result::Result<T, ProverError>;

impl ProverError {
    /// An I/O error on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ProverError::Io { action, path: path.into(), source }
    }
}
