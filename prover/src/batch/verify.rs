//! Verifying a directory of proofs: every proof file is checked natively, in parallel, and also
//! for agreement between what the file says (wallet, commitment, outputs, name) and the public
//! instances the proof is actually about, since a submission step reads the former.

use std::path::{Path, PathBuf};
use std::time::Instant;

use halo2_proofs::plonk::VerifyingKey;
use halo2curves::bn256::G1Affine;
use loopx_circuits::instances::fr_to_i64;
use loopx_circuits::{wallet_to_fr, PublicInstances};
use loopx_models::ModelPackage;
use rayon::prelude::*;
use serde::Serialize;

use super::ProofStore;
use crate::error::Result;
use crate::keys::KeyHeader;
use crate::package_dir::PackageDir;
use crate::proof::{fr_to_hex, verify};
use crate::proof_file::{format_wallet, parse_wallet, ProofFile};
use crate::srs::Srs;

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

/// Verifies proofs of one package; holds its verifying key and SRS.
#[derive(Debug)]
pub struct BatchVerifier {
    package: ModelPackage,
    header: KeyHeader,
    vk: VerifyingKey<G1Affine>,
    srs: Srs,
}

impl BatchVerifier {
    /// Loads the package's verifying key and SRS.
    pub fn load(dir: &PackageDir) -> Result<Self> {
        let (header, vk) = dir.verifying_key()?;
        Ok(BatchVerifier { package: dir.package.clone(), header, vk, srs: dir.srs()? })
    }

    /// Checks one proof file.
    pub fn check(&self, path: &Path) -> ProofCheck {
        ProofCheck { file: path.to_path_buf(), problem: self.problem(path).err() }
    }

    fn problem(&self, path: &Path) -> std::result::Result<(), String> {
        let file = ProofFile::load(path).map_err(|e| format!("unreadable: {e}"))?;
        if file.model_id != self.package.model_id {
            return Err(format!(
                "a proof for model {}, not this package's {}",
                file.model_id, self.package.model_id
            ));
        }
        let values = file.instance_values().map_err(|e| e.to_string())?;
        let instances = PublicInstances::from_slice(&values, &self.package.quantized)
            .ok_or_else(|| format!("{} public instances, not what the model has", values.len()))?;
        self.check_description(path, &file, &instances)?;
        let bytes = file.proof_bytes().map_err(|e| e.to_string())?;
        match verify(&self.vk, &self.srs, self.header.shape.k, &bytes, &values) {
            Ok(true) => Ok(()),
            Ok(false) => Err("the proof does not verify".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The file's readable fields must say what its instances say.
    fn check_description(
        &self,
        path: &Path,
        file: &ProofFile,
        instances: &PublicInstances,
    ) -> std::result::Result<(), String> {
        let wallet = parse_wallet(&file.wallet).map_err(|e| e.to_string())?;
        if wallet_to_fr(&wallet) != instances.wallet {
            return Err(format!("`wallet` says {} but the proof is for another wallet", file.wallet));
        }
        if file.commitment != fr_to_hex(&instances.commitment) {
            return Err("`commitment` differs from the proof's commitment".into());
        }
        let raw: Option<Vec<i64>> = instances.outputs.iter().map(fr_to_i64).collect();
        if raw.as_ref() != Some(&file.raw_outputs)
            || self.package.quantized.decode_public_outputs(&file.raw_outputs) != file.outputs
        {
            return Err("`outputs` differ from the proof's outputs".into());
        }
        // Batch proofs are named `<wallet>-<hash>.json`; a renamed file would mislead.
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let Some((prefix, _)) = name.split_once('-') {
            if parse_wallet(prefix).is_ok() && !prefix.eq_ignore_ascii_case(&format_wallet(&wallet)) {
                return Err(format!(
                    "the file is named for wallet {prefix} but proves wallet {}",
                    file.wallet
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
