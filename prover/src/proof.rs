//! Proving with SHPLONK and the EVM Keccak transcript, native verification, and the proof file.

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

/// A proof and the instances it proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// Transcript bytes, as the Solidity verifier reads them.
    pub bytes: Vec<u8>,
    /// The public instances.
    pub instances: PublicInstances,
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
    let (witness, instances) = witness(model, request)?;
    let circuit = ModelCircuit::with_witness(model.clone(), keys.header.shape, witness);
    prove_circuit(&circuit, keys, srs, instances)
}

/// Proves an already built circuit (also used by soundness tests with tampered witnesses).
pub fn prove_circuit(
    circuit: &ModelCircuit,
    keys: &ModelKeys,
    srs: &Srs,
    instances: PublicInstances,
) -> Result<Proof> {
    let params = srs.params_for(keys.header.shape.k)?;
    let column = instances.to_vec();
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
    Ok(Proof { bytes: transcript.finalize(), instances })
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
    // halo2 commits to whatever instance column it is handed: a proof made with an extra
    // trailing value verifies against that longer column unless the count is pinned here.
    if instances.len() != header.instances {
        return Ok(false);
    }
    let params = srs.params_for(header.shape.k)?;
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
