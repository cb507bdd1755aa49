//! Verified claims: what a proof proves — wallet, outputs, commitment, model id, vk digest, dev
//! SRS — decoded from its public instances and the package's own (bound) keys. A proof file's
//! descriptive fields are for people and anyone can edit them; they are compared with the proven
//! values and a file that disagrees is refused, never reported.

use halo2_proofs::plonk::VerifyingKey;
use halo2curves::bn256::{Fr, G1Affine};
use halo2curves::ff::PrimeField;
use loopx_circuits::instances::{fr_to_i64, COMMITMENT_ROW, FIRST_OUTPUT_ROW, WALLET_ROW};
use loopx_models::ModelPackage;
use loopx_srs::Srs;
use serde::Serialize;

use crate::error::{ProverError, Result};
use crate::keys::{vk_digest, KeyHeader};
use crate::proof::{fr_to_hex, verify_with_transcript, TranscriptKind};
use crate::proof_file::{format_wallet, parse_wallet, ProofFile};

/// What an instance column says in the layout every LoopX circuit publishes (commitment, wallet,
/// outputs), before any model decodes the outputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceClaim {
    /// `0x`-prefixed commitment to the wallet, the salt and the features.
    pub commitment: String,
    /// `0x` + 40 hex digits.
    pub wallet: String,
    /// The outputs as the circuit's integers.
    pub raw_outputs: Vec<i64>,
}

impl InstanceClaim {
    /// Decodes an instance column: the wallet must be a 160-bit address and every output a small
    /// signed integer, or the column is refused.
    pub fn decode(values: &[Fr]) -> Result<Self> {
        if values.len() < FIRST_OUTPUT_ROW {
            return Err(ProverError::InvalidProofFile(format!(
                "{} public instances: a LoopX proof publishes at least a commitment and a wallet",
                values.len()
            )));
        }
        let raw_outputs = values[FIRST_OUTPUT_ROW..]
            .iter()
            .enumerate()
            .map(|(i, v)| {
                fr_to_i64(v).ok_or_else(|| ProverError::MalformedInstance {
                    index: FIRST_OUTPUT_ROW + i,
                    what: "output",
                    value: fr_to_hex(v),
                    expected: "a signed 64-bit integer",
                })
            })
            .collect::<Result<_>>()?;
        Ok(InstanceClaim {
            commitment: fr_to_hex(&values[COMMITMENT_ROW]),
            wallet: format_wallet(&wallet_of(&values[WALLET_ROW])?),
            raw_outputs,
        })
    }

    /// Refuses `file` unless its wallet, commitment and raw outputs are the ones proven here.
    pub fn check_file(&self, file: &ProofFile) -> Result<()> {
        let stated_wallet = parse_wallet(&file.wallet)?;
        agree("wallet", &format_wallet(&stated_wallet), &self.wallet)?;
        let stated_commitment = crate::proof::fr_from_hex(&file.commitment).map(|f| fr_to_hex(&f));
        agree("commitment", stated_commitment.as_deref().unwrap_or(&file.commitment), &self.commitment)?;
        agree("raw_outputs", &format!("{:?}", file.raw_outputs), &format!("{:?}", self.raw_outputs))
    }
}

/// The address a wallet instance encodes: refused unless it is below 2^160 (the circuit checks
/// the same; a caller handed a column from elsewhere must not learn a truncated address).
fn wallet_of(value: &Fr) -> Result<[u8; 20]> {
    let repr = value.to_repr();
    let bytes = repr.as_ref();
    if bytes[20..].iter().any(|b| *b != 0) {
        return Err(ProverError::MalformedInstance {
            index: WALLET_ROW,
            what: "wallet",
            value: fr_to_hex(value),
            expected: "a 160-bit address",
        });
    }
    let mut address = [0u8; 20];
    for (i, b) in bytes[..20].iter().enumerate() {
        address[19 - i] = *b;
    }
    Ok(address)
}

fn agree(field: &'static str, stated: &str, proven: &str) -> Result<()> {
    if stated == proven {
        return Ok(());
    }
    Err(ProverError::ClaimMismatch { field, stated: stated.to_string(), proven: proven.to_string() })
}

/// What a valid proof proves about a wallet, under one package.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Claim {
    /// The package's model id.
    pub model_id: String,
    /// Digest of the package's verifying key ([`vk_digest`]).
    pub vk_digest: String,
    /// The wallet, the commitment and the outputs as the circuit's integers.
    #[serde(flatten)]
    pub proven: InstanceClaim,
    /// The outputs decoded as the package declares them (floats, class index or 0/1).
    pub outputs: Vec<f64>,
    /// Whether the package's keys come from an insecure dev SRS (read off the SRS itself).
    pub dev_srs: bool,
    /// The circuit's k.
    pub k: u32,
}

/// Turns proofs of one package into claims; holds the package's bound verifying key and SRS
/// (made by [`crate::Package::claim_verifier`], which checks the key belongs to the model).
#[derive(Clone, Debug)]
pub struct ClaimVerifier {
    package: ModelPackage,
    header: KeyHeader,
    vk: VerifyingKey<G1Affine>,
    srs: Srs,
    vk_digest: String,
}

impl ClaimVerifier {
    /// Wraps keys that were already checked to belong to `package` under `srs`.
    pub(crate) fn new(
        package: ModelPackage,
        header: KeyHeader,
        vk: VerifyingKey<G1Affine>,
        srs: Srs,
    ) -> Self {
        let vk_digest = vk_digest(&vk);
        ClaimVerifier { package, header, vk, srs, vk_digest }
    }

    /// The model package.
    pub fn package(&self) -> &ModelPackage {
        &self.package
    }

    /// The key header (its shape and instance count match the model's plan).
    pub fn header(&self) -> &KeyHeader {
        &self.header
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        &self.vk
    }

    /// The SRS the keys were made with.
    pub fn srs(&self) -> &Srs {
        &self.srs
    }

    /// The verifying key's digest.
    pub fn vk_digest(&self) -> &str {
        &self.vk_digest
    }

    /// Whether the keys come from an insecure dev SRS, judged from the SRS's points.
    pub fn dev_srs(&self) -> bool {
        self.srs.is_dev()
    }

    /// What an instance column claims under this package — not yet verified: the exact count,
    /// a 160-bit wallet, outputs the model can publish.
    pub fn decode(&self, instances: &[Fr]) -> Result<Claim> {
        if instances.len() != self.header.instances {
            return Err(ProverError::InstanceCount {
                model_id: self.package.model_id.clone(),
                expected: self.header.instances,
                found: instances.len(),
            });
        }
        let proven = InstanceClaim::decode(instances)?;
        Ok(Claim {
            model_id: self.package.model_id.clone(),
            vk_digest: self.vk_digest.clone(),
            outputs: self.package.quantized.decode_public_outputs(&proven.raw_outputs),
            proven,
            dev_srs: self.dev_srs(),
            k: self.header.shape.k,
        })
    }

    /// The claim of a proof file's instances, after checking that every descriptive field of the
    /// file says the same — not yet verified (the caller verifies natively, in an EVM or on chain).
    pub fn claim_of(&self, file: &ProofFile) -> Result<Claim> {
        agree("model_id", &file.model_id, &self.package.model_id)?;
        let claim = self.decode(&file.instance_values()?)?;
        claim.proven.check_file(file)?;
        agree("outputs", &format!("{:?}", file.outputs), &format!("{:?}", claim.outputs))?;
        agree("dev_srs", &file.dev_srs.to_string(), &claim.dev_srs.to_string())?;
        agree("k", &file.k.to_string(), &claim.k.to_string())?;
        Ok(claim)
    }

    /// Verifies a proof file natively and returns what it proves.
    pub fn verify(&self, file: &ProofFile) -> Result<Claim> {
        let claim = self.claim_of(file)?;
        self.verify_proof_with(&file.proof_bytes()?, &file.instance_values()?, file.transcript)?;
        Ok(claim)
    }

    /// Verifies EVM-transcript proof bytes against instances natively;
    /// [`ProverError::ProofRejected`] if invalid.
    pub fn verify_proof(&self, proof: &[u8], instances: &[Fr]) -> Result<()> {
        self.verify_proof_with(proof, instances, TranscriptKind::Evm)
    }

    /// Verifies proof bytes made with `transcript` against instances natively.
    pub fn verify_proof_with(
        &self,
        proof: &[u8],
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<()> {
        if verify_with_transcript(&self.vk, &self.header, &self.srs, proof, instances, transcript)? {
            Ok(())
        } else {
            Err(ProverError::ProofRejected { model_id: self.package.model_id.clone() })
        }
    }
}
