//! The aggregate file `loopx aggregate` writes (JSON): the aggregate proof, its instances, and
//! which proofs, rows, wallets and outputs it covers. The coverage fields are for people; what
//! a verifier reports is unpacked from the proven instances and compared with them.

use std::path::Path;

use halo2curves::bn256::Fr;
use loopx_prover::proof::{fr_from_hex, fr_to_hex};
use loopx_prover::{ClaimVerifier, InstanceClaim, Package};
use loopx_srs::artifact::write_atomically;
use loopx_srs::SrsPolicy;
use serde::{Deserialize, Serialize};

use crate::error::{AggregateError, Result};
use crate::keys::AggregationKeys;
use crate::verify::{covered_claims, verify_aggregate};

/// Format version of aggregate files.
pub const AGGREGATE_FORMAT_VERSION: u32 = 1;

/// One covered proof of an aggregate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoveredProof {
    /// The app proof file it came from (name in the proofs directory).
    pub source: String,
    /// The input row of the batch that proved it, when the batch manifest says.
    pub row: Option<usize>,
    /// The wallet (`0x` + 40 hex digits).
    pub wallet: String,
    /// The commitment to the wallet's features.
    pub commitment: String,
    /// The outputs as the circuit's integers.
    pub raw_outputs: Vec<i64>,
    /// The outputs decoded as the package declares them.
    pub outputs: Vec<f64>,
    /// Whether this slot repeats an earlier proof to fill the last aggregate of a run.
    pub padding: bool,
}

/// An aggregate as stored on disk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AggregateFile {
    /// [`AGGREGATE_FORMAT_VERSION`].
    pub format_version: u32,
    /// The model of every covered proof.
    pub model_id: String,
    /// Proofs the aggregation circuit covers (N).
    pub proofs: usize,
    /// The covered proofs, in instance order.
    pub covered: Vec<CoveredProof>,
    /// All public instances (accumulator limbs, then the covered proofs' words), `0x` hex.
    pub instances: Vec<String>,
    /// The EVM-transcript proof bytes, `0x` hex.
    pub proof: String,
    /// The aggregation circuit's k.
    pub k: u32,
    /// Digest of the aggregation verifying key.
    pub vk_digest: String,
    /// Whether the aggregation keys come from an insecure dev SRS.
    pub dev_srs: bool,
    /// Wall-clock aggregation time.
    pub aggregate_seconds: f64,
}

impl AggregateFile {
    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| AggregateError::InvalidAggregateFile(e.to_string()))?;
        write_atomically(path, text.as_bytes()).map_err(loopx_srs::SrsError::from)?;
        Ok(())
    }

    /// Reads and parses an aggregate file (syntax and encodings only).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| AggregateError::io("read", path, e))?;
        let file: AggregateFile = serde_json::from_str(&text)
            .map_err(|e| AggregateError::InvalidAggregateFile(format!("{}: {e}", path.display())))?;
        if file.format_version != AGGREGATE_FORMAT_VERSION {
            return Err(AggregateError::InvalidAggregateFile(format!(
                "{}: format version {} (this build reads {AGGREGATE_FORMAT_VERSION})",
                path.display(),
                file.format_version
            )));
        }
        file.proof_bytes()?;
        file.instance_values()?;
        Ok(file)
    }

    /// The proof bytes.
    pub fn proof_bytes(&self) -> Result<Vec<u8>> {
        let digits = self.proof.strip_prefix("0x").unwrap_or(&self.proof);
        hex::decode(digits)
            .map_err(|e| AggregateError::InvalidAggregateFile(format!("proof is not hex: {e}")))
    }

    /// The instances as field elements.
    pub fn instance_values(&self) -> Result<Vec<Fr>> {
        self.instances
            .iter()
            .map(|s| {
                fr_from_hex(s).ok_or_else(|| {
                    AggregateError::InvalidAggregateFile(format!("instance `{s}` is not a field element"))
                })
            })
            .collect()
    }

    /// Instance words as `0x` hex (what [`AggregateFile::instances`] holds).
    pub fn hex_instances(values: &[Fr]) -> Vec<String> {
        values.iter().map(fr_to_hex).collect()
    }
}

/// What a verified aggregate proves about one covered wallet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoveredClaim {
    /// Commitment, wallet and the outputs as integers, unpacked from the proven instances.
    #[serde(flatten)]
    pub proven: InstanceClaim,
    /// The outputs decoded as the package declares them.
    pub outputs: Vec<f64>,
}

/// Checks aggregates of one package: its bound app keys and the aggregation keys.
#[derive(Clone, Debug)]
pub struct AggregateVerifier {
    claims: ClaimVerifier,
    keys: AggregationKeys,
}

impl AggregateVerifier {
    /// Loads the verifier of `package`'s aggregates of `proofs`, if `policy` admits the SRSs.
    pub fn load(package: &Package, proofs: usize, policy: SrsPolicy) -> Result<Self> {
        let claims = package.claim_verifier()?;
        policy.admit(claims.srs())?;
        let keys = AggregationKeys::load(package, proofs, policy)?;
        Ok(AggregateVerifier { claims, keys })
    }

    /// The aggregation keys.
    pub fn keys(&self) -> &AggregationKeys {
        &self.keys
    }

    /// The id of the model whose proofs these keys aggregate (the package's own).
    pub fn model_id(&self) -> &str {
        &self.claims.package().model_id
    }

    /// Whether the keys come from an insecure dev SRS (read off the aggregation SRS's points,
    /// which share the app keys' ceremony; never from an aggregate file's `dev_srs` field).
    pub fn dev_srs(&self) -> bool {
        self.keys.srs.is_dev()
    }

    /// What the file claims, after checking each descriptive field against the instances — not
    /// yet verified.
    pub fn claims_of(&self, file: &AggregateFile) -> Result<Vec<CoveredClaim>> {
        let mismatch = |what: String| AggregateError::InvalidAggregateFile(what);
        if file.model_id != self.claims.package().model_id {
            return Err(mismatch(format!(
                "it covers model {}, the package is {}",
                file.model_id,
                self.claims.package().model_id
            )));
        }
        if file.proofs != self.keys.setup.layout.proofs || file.covered.len() != file.proofs {
            return Err(mismatch(format!(
                "it says it covers {} proofs in {} entries, the keys aggregate {}",
                file.proofs,
                file.covered.len(),
                self.keys.setup.layout.proofs
            )));
        }
        let proven = covered_claims(&self.keys.setup.layout, &file.instance_values()?)?;
        proven
            .into_iter()
            .zip(&file.covered)
            .enumerate()
            .map(|(slot, (proven, stated))| {
                if stated.wallet.to_lowercase() != proven.wallet
                    || fr_from_hex(&stated.commitment).map(|c| fr_to_hex(&c)) != Some(proven.commitment.clone())
                    || stated.raw_outputs != proven.raw_outputs
                {
                    return Err(mismatch(format!(
                        "covered proof {slot} says wallet {} commitment {} outputs {:?}, the instances prove {} {} {:?}",
                        stated.wallet,
                        stated.commitment,
                        stated.raw_outputs,
                        proven.wallet,
                        proven.commitment,
                        proven.raw_outputs
                    )));
                }
                let outputs = self.claims.package().quantized.decode_public_outputs(&proven.raw_outputs);
                Ok(CoveredClaim { proven, outputs })
            })
            .collect()
    }

    /// Verifies an aggregate file natively and returns what it proves of each covered wallet.
    pub fn verify(&self, file: &AggregateFile) -> Result<Vec<CoveredClaim>> {
        let claims = self.claims_of(file)?;
        verify_aggregate(&self.keys, &file.proof_bytes()?, &file.instance_values()?)?;
        Ok(claims)
    }
}
