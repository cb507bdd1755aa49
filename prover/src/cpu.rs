//! The CPU check for builds with the `asm` feature, whose field arithmetic uses the BMI2 and ADX
//! instructions: without them the first multiplication would die of an illegal instruction, far
//! from any message a user could act on.

use crate::{ProverError, Result};

/// Whether this build's field arithmetic runs on this CPU; call it before any proving or
/// verifying. Builds without the `asm` feature (and non-x86-64 builds) always pass.
pub fn check() -> Result<()> {
    match missing_instructions() {
        None => Ok(()),
        Some(missing) => Err(ProverError::UnsupportedCpu { missing }),
    }
}

/// The instruction sets this build needs and this CPU lacks, if any.
fn missing_instructions() -> Option<&'static str> {
    #[cfg(all(feature = "asm", target_arch = "x86_64"))]
    {
        match (std::arch::is_x86_feature_detected!("bmi2"), std::arch::is_x86_feature_detected!("adx")) {
            (true, true) => None,
            (false, true) => Some("BMI2"),
            (true, false) => Some("ADX"),
            (false, false) => Some("BMI2 and ADX"),
        }
    }
    #[cfg(not(all(feature = "asm", target_arch = "x86_64")))]
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_machine_running_the_suite_passes() {
        // The suite's proofs run this build's arithmetic here, so the check must agree.
        super::check().expect("CPU check");
    }
}
