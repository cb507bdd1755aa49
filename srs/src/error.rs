//! Errors of SRS generation, loading, import and policy.

use std::path::PathBuf;

use thiserror::Error;

use crate::artifact::ArtifactError;
use crate::ptau::PtauProblem;
use crate::srs::MAX_K;

/// Everything that can go wrong with a structured reference string.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SrsError {
    /// An SRS file is unreadable or damaged.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// A ceremony file could not be read.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The SRS has fewer points than the circuit needs.
    #[error("the SRS has k = {srs_k} but the circuit needs k = {circuit_k}; use an SRS with k ≥ {circuit_k} (`loopx srs new --k {circuit_k} --dev` for tests, or import a larger powers-of-tau file)")]
    TooSmall {
        /// The SRS's size.
        srs_k: u32,
        /// The circuit's size.
        circuit_k: u32,
    },
    /// A size outside what BN254 supports.
    #[error("SRS generation failed: k must be between 1 and {MAX_K}, got {0}")]
    KOutOfRange(u32),
    /// A dev SRS was given where the policy requires a ceremony SRS.
    #[error("{0} is an insecure dev SRS (its toxic waste is known); pass --dev-srs to use it for testing, or import a real powers-of-tau ceremony file with `loopx srs import-ptau`")]
    DevSrsRefused(String),
    /// A powers-of-tau ceremony file cannot be imported.
    #[error("cannot import {}: {problem}", .path.display())]
    InvalidPtau {
        /// The `.ptau` file.
        path: PathBuf,
        /// What is wrong with it.
        problem: PtauProblem,
    },
}

/// Shorthand for results in this crate.
pub type Result<T> = std::result::Result<T, SrsError>;

impl SrsError {
    /// An I/O error on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SrsError::Io { action, path: path.into(), source }
    }
}
