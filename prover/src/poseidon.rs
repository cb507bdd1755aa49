//! Proving and verifying with the Poseidon transcript that snark-verifier's aggregation circuit
//! replays in-circuit (snark-verifier-sdk's `PoseidonTranscript` over the native loader, with the
//! sdk's own `POSEIDON_SPEC`). Hashing the transcript with Poseidon costs a few hundred rows per
//! challenge in the aggregation circuit, where Keccak would cost tens of thousands; such proofs
//! are meant for `loopx aggregate`, not for a Solidity verifier of their own.

use halo2_proofs::plonk::{create_proof, verify_proof, ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use loopx_circuits::ModelCircuit;
use rand::rngs::OsRng;
use snark_verifier_sdk::halo2::{PoseidonTranscript, POSEIDON_SPEC};
use snark_verifier_sdk::snark_verifier::system::halo2::transcript::halo2::ChallengeScalar;
use snark_verifier_sdk::NativeLoader;

use crate::error::{ProverError, Result};

/// Proves `circuit` with SHPLONK and the aggregation circuit's Poseidon transcript.
pub(crate) fn prove(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: &ModelCircuit,
    column: &[Fr],
) -> Result<Vec<u8>> {
    let mut transcript =
        PoseidonTranscript::<NativeLoader, Vec<u8>>::from_spec(Vec::new(), POSEIDON_SPEC.clone());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, ChallengeScalar<G1Affine>, _, _, _>(
        params,
        pk,
        std::slice::from_ref(circuit),
        &[&[column]],
        OsRng,
        &mut transcript,
    )
    .map_err(|e| ProverError::Halo2 { stage: "proving (Poseidon transcript)", message: format!("{e:?}") })?;
    Ok(transcript.finalize())
}

/// Verifies a Poseidon-transcript proof: true iff it is valid for `column` and every proof byte
/// is consumed (the caller pins the instance count).
pub(crate) fn verify(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    column: &[Fr],
) -> bool {
    let mut unread = proof;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut transcript =
            PoseidonTranscript::<NativeLoader, &mut &[u8]>::from_spec(&mut unread, POSEIDON_SPEC.clone());
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, ChallengeScalar<G1Affine>, _, _>(
            params,
            vk,
            SingleStrategy::new(params),
            &[&[column]],
            &mut transcript,
        )
    }));
    matches!(outcome, Ok(Ok(_))) && unread.is_empty()
}
