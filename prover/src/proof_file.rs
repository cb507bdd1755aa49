//! The proof file `loopx prove` writes: the proof, its public instances, the decoded outputs,
//! and the salt the owner keeps to open the commitment later.

use std::path::Path;

use halo2curves::bn256::Fr;
use loopx_models::ModelPackage;
use loopx_srs::artifact::write_atomically;
use serde::{Deserialize, Serialize};

use crate::error::{ProverError, Result};
use crate::keys::KeyHeader;
use crate::proof::{fr_from_hex, fr_to_hex, Proof, TranscriptKind};

/// Format version of proof files.
pub const PROOF_FORMAT_VERSION: u32 = 1;

/// A proof as stored on disk (JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProofFile {
    /// [`PROOF_FORMAT_VERSION`].
    pub format_version: u32,
    /// The model the proof is about.
    pub model_id: String,
    /// The wallet the attribute belongs to (`0x` + 40 hex digits).
    pub wallet: String,
    /// The commitment's salt: private, keep it to open the commitment.
    pub salt: String,
    /// `Poseidon(wallet, salt, features…)`.
    pub commitment: String,
    /// All public instances, as 0x-prefixed uint256 hex.
    pub instances: Vec<String>,
    /// The public outputs decoded to floats (class index or 0/1 for argmax/threshold).
    pub outputs: Vec<f64>,
    /// The public outputs as the circuit's integers.
    pub raw_outputs: Vec<i64>,
    /// The transcript bytes, `0x`-prefixed hex.
    pub proof: String,
    /// The circuit's k.
    pub k: u32,
    /// Whether the keys came from an insecure dev SRS.
    pub dev_srs: bool,
    /// Wall-clock proving time.
    pub prove_seconds: f64,
    /// The transcript the proof was made with; absent means [`TranscriptKind::Evm`] (files
    /// written before proofs for aggregation existed read unchanged, and EVM proof files are
    /// written as they always were).
    #[serde(default, skip_serializing_if = "is_evm")]
    pub transcript: TranscriptKind,
}

fn is_evm(kind: &TranscriptKind) -> bool {
    *kind == TranscriptKind::Evm
}

/// Parses a `0x`-prefixed 20-byte address.
pub fn parse_wallet(text: &str) -> Result<[u8; 20]> {
    let bad = || ProverError::InvalidWallet(text.to_string());
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).ok_or_else(bad)?;
    let bytes = hex::decode(digits).map_err(|_| bad())?;
    bytes.try_into().map_err(|_| bad())
}

/// Formats a wallet address.
pub fn format_wallet(wallet: &[u8; 20]) -> String {
    format!("0x{}", hex::encode(wallet))
}

impl ProofFile {
    /// Describes a fresh proof.
    pub fn new(
        package: &ModelPackage,
        header: &KeyHeader,
        proof: &Proof,
        wallet: &[u8; 20],
        salt: Fr,
        seconds: f64,
    ) -> Self {
        let raw_outputs: Vec<i64> = proof
            .instances
            .outputs
            .iter()
            .map(|f| loopx_circuits::instances::fr_to_i64(f).unwrap_or(i64::MAX))
            .collect();
        ProofFile {
            format_version: PROOF_FORMAT_VERSION,
            model_id: package.model_id.clone(),
            wallet: format_wallet(wallet),
            salt: fr_to_hex(&salt),
            commitment: fr_to_hex(&proof.instances.commitment),
            instances: proof.instances.to_vec().iter().map(fr_to_hex).collect(),
            outputs: package.quantized.decode_public_outputs(&raw_outputs),
            raw_outputs,
            proof: format!("0x{}", hex::encode(&proof.bytes)),
            k: header.shape.k,
            dev_srs: header.dev_srs,
            prove_seconds: seconds,
            transcript: proof.transcript,
        }
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text =
            serde_json::to_string_pretty(self).map_err(|e| ProverError::InvalidProofFile(e.to_string()))?;
        Ok(write_atomically(path, text.as_bytes())?)
    }

    /// Reads and checks a proof file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ProverError::io("read", path, e))?;
        Self::parse(&text).map_err(|e| match e {
            ProverError::InvalidProofFile(reason) => {
                ProverError::InvalidProofFile(format!("{}: {reason}", path.display()))
            }
            other => other,
        })
    }

    /// Parses and checks the text of a proof file (its syntax and encodings; what it claims is
    /// checked against the proof by the claim verifier).
    pub fn parse(text: &str) -> Result<Self> {
        let file: ProofFile =
            serde_json::from_str(text).map_err(|e| ProverError::InvalidProofFile(e.to_string()))?;
        if file.format_version != PROOF_FORMAT_VERSION {
            return Err(ProverError::InvalidProofFile(format!(
                "format version {} (this build reads {PROOF_FORMAT_VERSION})",
                file.format_version
            )));
        }
        file.proof_bytes()?;
        file.instance_values()?;
        parse_wallet(&file.wallet)?;
        Ok(file)
    }

    /// The transcript bytes.
    pub fn proof_bytes(&self) -> Result<Vec<u8>> {
        let digits = self.proof.strip_prefix("0x").unwrap_or(&self.proof);
        hex::decode(digits).map_err(|e| ProverError::InvalidProofFile(format!("proof is not hex: {e}")))
    }

    /// The public instances as field elements.
    pub fn instance_values(&self) -> Result<Vec<Fr>> {
        self.instances
            .iter()
            .map(|s| {
                fr_from_hex(s).ok_or_else(|| {
                    ProverError::InvalidProofFile(format!("instance `{s}` is not a field element"))
                })
            })
            .collect()
    }
}
