//! Which structured reference strings a caller accepts. The decision lives here, not in the
//! front ends: every library entry point that uses an SRS (setup, proving, verification, the
//! Solidity verifier) takes an [`SrsPolicy`] and refuses what it does not admit.

use crate::error::{Result, SrsError};
use crate::srs::Srs;

/// Whether an insecure dev SRS is acceptable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SrsPolicy {
    /// Only an SRS from a powers-of-tau ceremony: a dev SRS (labelled as one, or carrying the
    /// public dev seed's secret whatever its label) is refused.
    #[default]
    CeremonyOnly,
    /// A dev SRS is accepted too (tests, demos); whoever reports the result says it is insecure.
    AllowDev,
}

impl SrsPolicy {
    /// [`SrsPolicy::AllowDev`] when `allow_dev`, else [`SrsPolicy::CeremonyOnly`].
    pub fn allowing_dev(allow_dev: bool) -> Self {
        if allow_dev {
            SrsPolicy::AllowDev
        } else {
            SrsPolicy::CeremonyOnly
        }
    }

    /// Refuses `srs` unless this policy admits it.
    pub fn admit(self, srs: &Srs) -> Result<()> {
        if self == SrsPolicy::CeremonyOnly && srs.is_dev() {
            let name = srs.origin().map_or_else(|| "the SRS".to_string(), |p| p.display().to_string());
            return Err(SrsError::DevSrsRefused(name));
        }
        Ok(())
    }
}
