//! Verifying a directory of proofs: every proof file goes through the package's claim verifier,
//! in parallel (native verification, and agreement between what the file says and what it
//! proves), and its name must match the wallet it proves, since a submission step reads names.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use loopx_prover::{parse_wallet, ClaimVerifier, Package, ProofFile};
use loopx_srs::SrsPolicy;

use crate::error::Result;
use crate::ProofStore;

/// Proof files checked per parallel round: bounds memory however many files the directory holds.
const FILES_PER_ROUND: usize = 256;

/// The verdict on one proof file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProofCheck {
    /// The file.
    pub file: PathBuf,
    /// Why it is invalid; `None` if it is valid.
    pub problem: Option<String>,
}

impl ProofCheck {
    /// Whether the proof is valid.
    pub fn is_valid(&self) -> bool {
        self.problem.is_none()
    }
}

/// Counts of a directory check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerifySummary {
    /// Valid proofs.
    pub valid: usize,
    /// Invalid or unreadable proof files.
    pub invalid: usize,
    /// Wall-clock time.
    pub seconds: f64,
}

/// Verifies proofs of one package through its [`ClaimVerifier`].
#[derive(Debug)]
pub struct BatchVerifier {
    claims: ClaimVerifier,
}

impl BatchVerifier {
    /// Loads the package's bound verifying key and SRS, if `policy` admits the SRS.
    pub fn load(dir: &Package, policy: SrsPolicy) -> Result<Self> {
        let claims = dir.claim_verifier()?;
        policy.admit(claims.srs()).map_err(loopx_prover::ProverError::from)?;
        Ok(BatchVerifier { claims })
    }

    /// Checks one proof file.
    pub fn check(&self, path: &Path) -> ProofCheck {
        ProofCheck { file: path.to_path_buf(), problem: self.problem(path).err() }
    }

    fn problem(&self, path: &Path) -> std::result::Result<(), String> {
        let file = ProofFile::load(path).map_err(|e| format!("unreadable: {e}"))?;
        let claim = self.claims.verify(&file).map_err(|e| e.to_string())?;
        // Batch proofs are named `<wallet>-<hash>.json`; a renamed file would mislead.
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let Some((prefix, _)) = name.split_once('-') {
            if parse_wallet(prefix).is_ok() && !prefix.eq_ignore_ascii_case(&claim.proven.wallet) {
                return Err(format!(
                    "the file is named for wallet {prefix} but proves wallet {}",
                    claim.proven.wallet
                ));
            }
        }
        Ok(())
    }

    /// Checks every proof file in `store`, in parallel, calling `on_proof` (on this thread) with
    /// each verdict.
    pub fn verify_dir(
        &self,
        store: &ProofStore,
        mut on_proof: impl FnMut(&ProofCheck),
    ) -> Result<VerifySummary> {
        let start = Instant::now();
        let (mut valid, mut invalid) = (0, 0);
        let mut files = store.proof_files()?;
        loop {
            let round = files.by_ref().take(FILES_PER_ROUND).collect::<Result<Vec<PathBuf>>>()?;
            if round.is_empty() {
                break;
            }
            let checks: Vec<ProofCheck> = round.par_iter().map(|path| self.check(path)).collect();
            for check in &checks {
                if check.is_valid() {
                    valid += 1;
                } else {
                    invalid += 1;
                }
                on_proof(check);
            }
        }
        Ok(VerifySummary { valid, invalid, seconds: start.elapsed().as_secs_f64() })
    }
}
