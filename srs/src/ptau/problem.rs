//! What can be wrong with a `.ptau` file, and the names of its sections.

use thiserror::Error;

use super::PTAU_VERSION;
use crate::srs::MAX_K;

/// What is wrong with a `.ptau` file (wrapped, with the file's path, in
/// [`SrsError::InvalidPtau`]).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PtauProblem {
    /// The file does not start with `ptau`.
    #[error("wrong magic bytes {found:?} (expected \"ptau\"): not a snarkjs powers-of-tau file")]
    WrongMagic {
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// A format version other than 1.
    #[error("format version {0} is not supported (this build reads version {PTAU_VERSION})")]
    UnsupportedVersion(u32),
    /// The header names another curve's base field.
    #[error("not a bn128 file: {0} (only BN254, snarkjs' `bn128`, is supported)")]
    WrongCurve(String),
    /// The file ends before something it declares.
    #[error("truncated: {what} needs {needed} bytes but only {available} remain in the file")]
    Truncated {
        /// What was being read.
        what: String,
        /// Bytes it needs.
        needed: u64,
        /// Bytes left in the file.
        available: u64,
    },
    /// A required section is absent.
    #[error("section {id} ({name}) is missing")]
    MissingSection {
        /// Section id.
        id: u32,
        /// Section name.
        name: &'static str,
    },
    /// A section appears more than once.
    #[error("section {id} ({name}) appears more than once")]
    DuplicateSection {
        /// Section id.
        id: u32,
        /// Section name.
        name: &'static str,
    },
    /// A section's length disagrees with the header.
    #[error("section {id} ({name}) has {found} bytes but power {power} needs exactly {expected}")]
    SectionSize {
        /// Section id.
        id: u32,
        /// Section name.
        name: &'static str,
        /// The header's power.
        power: u32,
        /// Bytes the section should have.
        expected: u64,
        /// Bytes it has.
        found: u64,
    },
    /// A header field is out of range.
    #[error("invalid header: {0}")]
    BadHeader(String),
    /// The file holds fewer powers than requested.
    #[error("it holds 2^{power} powers of tau (power {power}) but k = {requested} was requested; use a larger ceremony file or a smaller --k")]
    PowerTooSmall {
        /// The file's power.
        power: u32,
        /// The requested k.
        requested: u32,
    },
    /// The requested k is outside what any SRS of this build can have.
    #[error("k = {requested} was requested; k must be between 1 and {MAX_K}")]
    KOutOfRange {
        /// The requested k.
        requested: u32,
    },
    /// A coordinate is not a canonical field element (≥ q in Montgomery form).
    #[error("{section}[{index}] has a coordinate that is not below the field modulus")]
    NonCanonicalCoordinate {
        /// Section name.
        section: &'static str,
        /// Point index within the section.
        index: u64,
    },
    /// A point does not satisfy the curve equation.
    #[error("{section}[{index}] is not on the curve")]
    PointNotOnCurve {
        /// Section name.
        section: &'static str,
        /// Point index within the section.
        index: u64,
    },
    /// A point is the point at infinity, which no power of a non-zero τ can be.
    #[error("{section}[{index}] is the point at infinity")]
    PointAtInfinity {
        /// Section name.
        section: &'static str,
        /// Point index within the section.
        index: u64,
    },
    /// A G2 point lies outside the prime-order subgroup.
    #[error("{section}[{index}] is not in the prime-order subgroup")]
    PointNotInSubgroup {
        /// Section name.
        section: &'static str,
        /// Point index within the section.
        index: u64,
    },
    /// The 0th power is not the group generator.
    #[error("{section}[0] is not the generator (τ^0 · G must be G)")]
    NotGenerator {
        /// Section name.
        section: &'static str,
    },
    /// τ = 1: the file is a fresh `powersoftau new` output that nobody contributed to.
    #[error(
        "τ = 1 (tauG1[1] is the generator): the file has no contributions, anyone can forge proofs with it"
    )]
    TrivialTau,
    /// The G1 points are not successive powers of the τ in tauG2[1].
    #[error(
        "tauG1 and tauG2 are not powers of the same τ (pairing check failed): the file is damaged or forged"
    )]
    InconsistentPowers,
}

pub(super) fn section_name(id: u32) -> &'static str {
    match id {
        1 => "header",
        2 => "tauG1",
        3 => "tauG2",
        4 => "alphaTauG1",
        5 => "betaTauG1",
        6 => "betaG2",
        7 => "contributions",
        12 => "lagrange tauG1",
        13 => "lagrange tauG2",
        14 => "lagrange alphaTauG1",
        15 => "lagrange betaTauG1",
        _ => "unknown",
    }
}
