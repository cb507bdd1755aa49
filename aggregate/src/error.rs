//! Errors of aggregation.

use std::path::{Path, PathBuf};

/// What went wrong while setting up, proving or verifying an aggregate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AggregateError {
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Bad input from the caller (counts, lengths, a proof of the wrong kind).
    #[error("{0}")]
    InvalidInput(String),
    /// A covered app proof was refused (it does not verify, or is for another model).
    #[error("{file}: {reason}")]
    AppProof {
        /// The proof file (or its name in the batch).
        file: String,
        /// Why it was refused.
        reason: String,
    },
    /// The aggregation keys are absent.
    #[error("{} has no aggregation keys for {proofs} proofs yet; run `loopx aggregate` (with --srs FILE or --dev-srs) first", .package.display())]
    NotSetUp {
        /// The package directory.
        package: PathBuf,
        /// Proofs per aggregate.
        proofs: usize,
    },
    /// The aggregation keys on disk do not belong to this package or this circuit.
    #[error("the aggregation keys in {}: {reason}", .path.display())]
    KeysNotBound {
        /// The keys' directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file of the aggregation keys is not what the aggregation circuit of this package gives:
    /// the circuit is laid out from the package's app key, the layout and setup.json's
    /// configuration under the aggregation SRS, and the file's key is not that circuit's key.
    #[error(
        "{} is not the aggregation verifying key of this package's circuit (laid out from the \
         package's app key and {}'s configuration under the aggregation SRS): {reason}; the keys \
         were altered or made by another build — delete {} and rerun `loopx aggregate` (with \
         --srs FILE or --dev-srs) to make them again",
        .path.display(), crate::keys::SETUP_FILE, .dir.display()
    )]
    VkMismatch {
        /// The file that disagrees (`vk.bin`, or `setup.json` for its digest).
        path: PathBuf,
        /// The keys' directory.
        dir: PathBuf,
        /// How it differs.
        reason: String,
    },
    /// The aggregation SRS is not the app SRS's ceremony, or is too small.
    #[error("aggregation SRS: {0}")]
    SrsMismatch(String),
    /// An aggregate proof or file is malformed.
    #[error("invalid aggregate file: {0}")]
    InvalidAggregateFile(String),
    /// The aggregate does not verify.
    #[error("the aggregate proof does not verify: {0}")]
    Rejected(String),
    /// halo2 or snark-verifier failed.
    #[error("{stage} failed: {message}")]
    Halo2 {
        /// What was being done.
        stage: &'static str,
        /// The library's message.
        message: String,
    },
    /// From the prover (app keys, claims).
    #[error(transparent)]
    Prover(#[from] loopx_prover::ProverError),
    /// From the SRS.
    #[error(transparent)]
    Srs(#[from] loopx_srs::SrsError),
}

impl AggregateError {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        AggregateError::Io { action, path: path.to_path_buf(), source }
    }
}

/// Result of this crate.
pub type Result<T, E = AggregateError> = std::result::Result<T, E>;
