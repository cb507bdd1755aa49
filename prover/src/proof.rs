//! Proving with SHPLONK and the EVM Keccak transcript (or, for proofs bound for aggregation, the
//! Poseidon transcript of [`TranscriptKind::Poseidon`]), and native verification.

use halo2_proofs::plonk::{create_proof, verify_proof, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
pub use loopx_circuits::wire::{fr_from_hex, fr_to_hex};
use loopx_circuits::{commitment, ModelCircuit, ModelWitness, PublicInstances};
use loopx_models::QuantizedModel;
use loopx_srs::Srs;
use rand::rngs::OsRng;

use crate::error::{ProverError, Result};
use crate::keys::{KeyHeader, ModelKeys};
use crate::transcript::{EvmChallenge, EvmTranscript};

/// The Fiat–Shamir transcript a proof was made with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TranscriptKind {
    /// Keccak256 as the EVM verifiers read it: the proof is verifiable on chain by itself.
    #[default]
    Evm,
    /// Poseidon as snark-verifier's aggregation circuit reads it: cheap to verify in-circuit,
    /// for `loopx aggregate`; not verifiable by the single-proof Solidity verifier.
    Poseidon,
}

impl TranscriptKind {
    /// The name proof files and the CLI use (`evm`, `poseidon`).
    pub fn name(self) -> &'static str {
        match self {
            TranscriptKind::Evm => "evm",
            TranscriptKind::Poseidon => "poseidon",
        }
    }
}

/// A proof and the instances it proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// Transcript bytes, as the Solidity verifier reads them.
    pub bytes: Vec<u8>,
    /// The public instances.
    pub instances: PublicInstances,
    /// The transcript the bytes were made with.
    pub transcript: TranscriptKind,
}

/// The private inputs of one proof.
#[derive(Clone, Debug)]
pub struct ProofRequest<'a> {
    /// Quantized features (checked against the model's ranges).
    pub features: &'a [i64],
    /// Wallet address.
    pub wallet: [u8; 20],
    /// Commitment salt.
    pub salt: Fr,
}

/// A fresh salt from the operating system's CSPRNG.
pub fn random_salt() -> Fr {
    use halo2curves::ff::Field;
    Fr::random(OsRng)
}

/// Computes the witness and the public instances for a request.
pub fn witness(
    model: &QuantizedModel,
    request: &ProofRequest<'_>,
) -> Result<(ModelWitness, PublicInstances)> {
    let trace = model.forward(request.features)?;
    let wallet = loopx_circuits::wallet_to_fr(&request.wallet);
    let instances = PublicInstances {
        commitment: commitment(&model.schema_id(), wallet, request.salt, request.features),
        wallet,
        outputs: trace.public_outputs.iter().map(|v| loopx_circuits::wire::fr_from_i64(*v)).collect(),
    };
    Ok((ModelWitness { trace, wallet, salt: request.salt }, instances))
}

/// Proves one request. `srs` must be at least as large as the keys' k.
pub fn prove(
    model: &QuantizedModel,
    keys: &ModelKeys,
    srs: &Srs,
    request: &ProofRequest<'_>,
) -> Result<Proof> {
    prove_with_transcript(model, keys, srs, request, TranscriptKind::Evm)
}

/// Proves one request with the given transcript.
pub fn prove_with_transcript(
    model: &QuantizedModel,
    keys: &ModelKeys,
    srs: &Srs,
    request: &ProofRequest<'_>,
    transcript: TranscriptKind,
) -> Result<Proof> {
    let (witness, instances) = witness(model, request)?;
    let circuit = ModelCircuit::with_witness(model.clone(), keys.header.shape, witness);
    prove_circuit_with_transcript(&circuit, keys, srs, instances, transcript)
}

/// Proves an already built circuit (also used by soundness tests with tampered witnesses).
pub fn prove_circuit(
    circuit: &ModelCircuit,
    keys: &ModelKeys,
    srs: &Srs,
    instances: PublicInstances,
) -> Result<Proof> {
    prove_circuit_with_transcript(circuit, keys, srs, instances, TranscriptKind::Evm)
}

/// [`prove_circuit`] with the given transcript.
pub fn prove_circuit_with_transcript(
    circuit: &ModelCircuit,
    keys: &ModelKeys,
    srs: &Srs,
    instances: PublicInstances,
    transcript: TranscriptKind,
) -> Result<Proof> {
    let params = srs.params_for(keys.header.shape.k)?;
    let column = instances.to_vec();
    if transcript == TranscriptKind::Poseidon {
        let bytes = prove_poseidon(&params, keys, circuit, &column)?;
        return Ok(Proof { bytes, instances, transcript });
    }
    let mut transcript = EvmTranscript::new(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, EvmChallenge, _, _, _>(
        &params,
        &keys.pk,
        std::slice::from_ref(circuit),
        &[&[&column]],
        OsRng,
        &mut transcript,
    )
    .map_err(|e| ProverError::Halo2 { stage: "proving", message: format!("{e:?}") })?;
    Ok(Proof { bytes: transcript.finalize(), instances, transcript: TranscriptKind::Evm })
}

#[cfg(feature = "poseidon-transcript")]
fn prove_poseidon(
    params: &halo2_proofs::poly::kzg::commitment::ParamsKZG<Bn256>,
    keys: &ModelKeys,
    circuit: &ModelCircuit,
    column: &[Fr],
) -> Result<Vec<u8>> {
    crate::poseidon::prove(params, &keys.pk, circuit, column)
}

#[cfg(not(feature = "poseidon-transcript"))]
fn prove_poseidon(
    _: &halo2_proofs::poly::kzg::commitment::ParamsKZG<Bn256>,
    _: &ModelKeys,
    _: &ModelCircuit,
    _: &[Fr],
) -> Result<Vec<u8>> {
    Err(ProverError::TranscriptUnsupported(TranscriptKind::Poseidon.name()))
}

/// Verifies a proof natively: true iff it carries exactly the instances the keys publish, is
/// valid for them, every proof byte is consumed, and nothing is left over. This checks a proof,
/// not a claim: to learn what a proof file proves, use [`crate::ClaimVerifier`].
pub fn verify(
    vk: &VerifyingKey<G1Affine>,
    header: &KeyHeader,
    srs: &Srs,
    proof: &[u8],
    instances: &[Fr],
) -> Result<bool> {
    verify_with_transcript(vk, header, srs, proof, instances, TranscriptKind::Evm)
}

/// [`verify`] for a proof made with the given transcript.
pub fn verify_with_transcript(
    vk: &VerifyingKey<G1Affine>,
    header: &KeyHeader,
    srs: &Srs,
    proof: &[u8],
    instances: &[Fr],
    transcript: TranscriptKind,
) -> Result<bool> {
    // halo2 commits to whatever instance column it is handed: a proof made with an extra
    // trailing value verifies against that longer column unless the count is pinned here.
    if instances.len() != header.instances {
        return Ok(false);
    }
    let params = srs.params_for(header.shape.k)?;
    if transcript == TranscriptKind::Poseidon {
        #[cfg(feature = "poseidon-transcript")]
        return Ok(crate::poseidon::verify(&params, vk, proof, instances));
        #[cfg(not(feature = "poseidon-transcript"))]
        return Err(ProverError::TranscriptUnsupported(TranscriptKind::Poseidon.name()));
    }
    let mut unread = proof;
    let mut transcript = EvmTranscript::new(&mut unread);
    let strategy = SingleStrategy::new(&params);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, EvmChallenge, _, _>(
            params.as_ref(),
            vk,
            strategy,
            &[&[instances]],
            &mut transcript,
        )
    }));
    drop(transcript);
    let consumed_all = unread.is_empty();
    Ok(matches!(outcome, Ok(Ok(_))) && consumed_all)
}
