//! Errors of a batch run. A bad row is not one of them: it is a [`crate::FailedRow`] in the error
//! log, and the batch goes on.

use std::path::PathBuf;

use loopx_prover::ProverError;
use thiserror::Error;

/// What stops a batch run (or keeps it from starting).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The package, its keys or a proof file.
    #[error(transparent)]
    Prover(#[from] ProverError),
    /// A file or directory of the batch could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A batch input file cannot be read as rows (bad rows are reported per row, not here).
    #[error("batch input {}: {reason}", path.display())]
    Input {
        /// The input file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A shard specification is malformed.
    #[error("invalid shard `{0}`: expected I/N with 0 ≤ I < N, e.g. 0/4")]
    InvalidShard(String),
    /// The batch prover's worker threads could not be started.
    #[error("cannot start the batch prover's worker threads: {0}")]
    Threads(String),
}

/// Shorthand for results in this crate.
pub type Result<T> = std::result::Result<T, BatchError>;

impl BatchError {
    /// An I/O error on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BatchError::Io { action, path: path.into(), source }
    }
}
