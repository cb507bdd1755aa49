//! Native verification of an aggregate: the halo2 proof of the aggregation circuit (EVM
//! transcript), then the pairing check of the accumulator it publishes — the same two steps the
//! Solidity verifier takes. Without the second step an aggregate would prove only that the
//! covered proofs' openings were folded, not that they hold.

use halo2_proofs::plonk::verify_proof;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2curves::ff::PrimeField;
use loopx_prover::transcript::{EvmChallenge, EvmTranscript};
use loopx_prover::InstanceClaim;
use snark_verifier::pcs::kzg::{KzgDecidingKey, LimbsEncoding};
use snark_verifier::pcs::{AccumulationDecider, AccumulatorEncoding};
use snark_verifier_sdk::{NativeLoader, BITS, LIMBS, SHPLONK};

use crate::circuit::{output_offset, AggregateLayout, ACCUMULATOR_LIMBS};
use crate::error::{AggregateError, Result};
use crate::keys::AggregationKeys;

/// Verifies an aggregate natively under `keys`: exact instance count, the proof (every byte
/// consumed), and the accumulator's pairing.
pub fn verify_aggregate(keys: &AggregationKeys, proof: &[u8], instances: &[Fr]) -> Result<()> {
    let expected = keys.setup.layout.num_instances();
    if instances.len() != expected {
        return Err(AggregateError::Rejected(format!(
            "{} public instances, the aggregate has {expected}",
            instances.len()
        )));
    }
    let params = keys.srs.params();
    let mut unread = proof;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut transcript = EvmTranscript::new(&mut unread);
        verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, EvmChallenge, _, _>(
            params,
            &keys.vk,
            SingleStrategy::new(params),
            &[&[instances]],
            &mut transcript,
        )
    }));
    if !matches!(outcome, Ok(Ok(_))) {
        return Err(AggregateError::Rejected("the aggregation proof is invalid for these instances".into()));
    }
    if !unread.is_empty() {
        return Err(AggregateError::Rejected(format!("{} bytes after the proof", unread.len())));
    }
    let limbs: Vec<&Fr> = instances[..ACCUMULATOR_LIMBS].iter().collect();
    let accumulator =
        <LimbsEncoding<LIMBS, BITS> as AccumulatorEncoding<G1Affine, NativeLoader>>::from_repr(&limbs)
            .map_err(|e| {
                AggregateError::Rejected(format!("the accumulator is not two curve points: {e:?}"))
            })?;
    let deciding_key: KzgDecidingKey<Bn256> = (params.get_g()[0], params.g2(), params.s_g2()).into();
    <SHPLONK as AccumulationDecider<G1Affine, NativeLoader>>::decide(&deciding_key, accumulator)
        .map_err(|_| AggregateError::Rejected("the accumulator fails its pairing check".into()))
}

/// What the aggregate's instances say about each covered proof: its commitment, wallet and
/// outputs, unpacked from the words the circuit published (before any model decodes outputs).
pub fn covered_claims(layout: &AggregateLayout, instances: &[Fr]) -> Result<Vec<InstanceClaim>> {
    if instances.len() != layout.num_instances() {
        return Err(AggregateError::InvalidAggregateFile(format!(
            "{} instances, the layout has {}",
            instances.len(),
            layout.num_instances()
        )));
    }
    instances[ACCUMULATOR_LIMBS..]
        .chunks(layout.words_per_proof())
        .map(|words| {
            let (wallet, shifted) = split_packed(&words[1])?;
            let mut app = vec![words[0], wallet, shifted - output_offset()];
            app.extend_from_slice(&words[2..]);
            Ok(InstanceClaim::decode(&app)?)
        })
        .collect()
}

/// Splits a packed word into `(wallet, output0 + 2^63)`; refused unless the word is below 2^224.
fn split_packed(word: &Fr) -> Result<(Fr, Fr)> {
    let repr = word.to_repr();
    let bytes = repr.as_ref();
    if bytes[28..].iter().any(|b| *b != 0) {
        return Err(AggregateError::InvalidAggregateFile("a packed wallet word is 2^224 or more".into()));
    }
    let mut wallet = [0u8; 32];
    wallet[..20].copy_from_slice(&bytes[..20]);
    let mut shifted = [0u8; 32];
    shifted[..8].copy_from_slice(&bytes[20..28]);
    // Both are below 2^160, hence canonical.
    let from = |b: [u8; 32]| {
        Fr::from_repr(b)
            .into_option()
            .ok_or_else(|| AggregateError::InvalidAggregateFile("a packed word does not split".into()))
    };
    Ok((from(wallet)?, from(shifted)?))
}
