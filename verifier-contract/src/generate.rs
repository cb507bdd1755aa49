//! Generation of the Solidity verifier from a verifying key.
//!
//! snark-verifier (`EvmLoader` + `PlonkVerifier<KzgAs<Bn256, Bdfg21>>`, i.e. SHPLONK) emits the
//! verification algorithm as Yul inside a `fallback` that reads `instances ‖ proof` from raw
//! calldata. This module runs it, then rewrites that Yul into a contract with the project's
//! public interface, `verifyProof(bytes proof, uint256[] instances) returns (bool)`, closing
//! the input checks the generated code lacks (see [`rewrite`]):
//!
//! | check                          | generated code            | after rewriting            |
//! |--------------------------------|---------------------------|----------------------------|
//! | proof length, instance count   | none (reads past the end) | exact, plus exact calldata |
//! | instance / proof scalar `< r`  | none (`mod r` silently)   | `read_fr` rejects          |
//! | point on curve, coords `< p`   | yes, but keeps running    | rejects at once            |
//! | precompile call fails (gas)    | folded into the verdict   | reverts                    |
//! | invalid input or proof         | `revert`                  | returns `false`            |
//!
//! Reducing scalars `mod r` instead of rejecting them makes proofs malleable (`s` and `s + r`
//! both verify) and lets an instance `≥ r` pass as its reduction, so a consumer reading
//! `instances[i]` would see a value the proof never attested.

mod family;
mod inline;
mod rewrite;
mod split;

use crate::VerifierError;
use halo2_proofs::{
    plonk::VerifyingKey,
    poly::{
        commitment::{Params, ParamsProver},
        kzg::commitment::ParamsKZG,
    },
};
use halo2curves::{
    bn256::{Bn256, Fq, Fr, G1Affine},
    ff::PrimeField,
};
use snark_verifier::{
    loader::evm::EvmLoader,
    pcs::kzg::{Bdfg21, KzgAs, KzgDecidingKey, LimbsEncoding},
    system::halo2::{compile, transcript::evm::EvmTranscript, Config},
    verifier::{plonk::PlonkVerifier, SnarkVerifier},
};
use std::{panic, rc::Rc};

pub use family::{
    encode_family_verify_calldata, encode_family_verify_calldata_words, generate_family_verifier,
    vk_data_contract, FamilyVerifier, VkDataContract, FAMILY_VERIFIER_ABI_JSON,
    FAMILY_VERIFIER_CONTRACT_NAME, VERIFY_PROOF_WITH_VK_SIGNATURE, VK_CONTRACT_GUARD_BYTE,
};
pub use rewrite::ProofLayout;
pub use split::{CompiledVerifier, MAX_VERIFIER_CONTRACTS};

/// SHPLONK (BDFG21 multi-open) KZG, the scheme the prover uses (`ProverSHPLONK`).
type Shplonk = KzgAs<Bn256, Bdfg21>;

/// Name of the generated verifier contract.
pub const VERIFIER_CONTRACT_NAME: &str = "LoopXVerifier";

/// A generated Solidity verifier and what a caller needs to know about its inputs.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct GeneratedVerifier {
    /// Solidity source of [`VERIFIER_CONTRACT_NAME`] (pragma `0.8.19`, compile with
    /// [`compile_solidity`](crate::compile_solidity) or [`GeneratedVerifier::compile`]).
    pub solidity: String,
    /// Exact number of public instances `verifyProof` accepts.
    pub num_instances: usize,
    /// Exact proof length in bytes `verifyProof` accepts.
    pub proof_len: usize,
    /// Where the scalars and points sit inside the proof bytes.
    pub layout: ProofLayout,
    /// The verifying key's transcript digest (the first value absorbed into the Fiat–Shamir
    /// transcript), big-endian hex with `0x`; it names the verifying key the contract checks.
    pub vk_digest: String,
}

impl GeneratedVerifier {
    /// ABI JSON of the contract's public interface ([`VERIFIER_ABI_JSON`](crate::VERIFIER_ABI_JSON)).
    pub fn abi_json(&self) -> &'static str {
        crate::VERIFIER_ABI_JSON
    }

    /// Compiles the verifier with the pinned solc and checks the EIP-170 size limit.
    pub fn compile(&self) -> Result<crate::CompiledContract, VerifierError> {
        let compiled =
            crate::compile_solidity(&[("LoopXVerifier.sol", &self.solidity)], VERIFIER_CONTRACT_NAME)?;
        compiled.check_code_size()?;
        Ok(compiled)
    }
}

/// Generates the Solidity verifier for proofs made with `params` and `vk`, with one instance
/// column of `num_instances` values, SHPLONK and the EVM (Keccak256) transcript.
pub fn generate_verifier(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> Result<GeneratedVerifier, VerifierError> {
    generate(params, vk, num_instances, false)
}

/// Limbs of a KZG accumulator at the head of an aggregate's instances (two points, x and y,
/// 3 limbs of 88 bits each: snark-verifier-sdk's `LIMBS`/`BITS`).
pub const AGGREGATE_ACCUMULATOR_LIMBS: usize = 12;

/// Generates the Solidity verifier of an aggregation circuit (`loopx-aggregate`): as
/// [`generate_verifier`], and besides the proof it checks the KZG accumulator published in the
/// first [`AGGREGATE_ACCUMULATOR_LIMBS`] instances (each limb below 2^88, both points on the
/// curve), folding it into the one final pairing.
pub fn generate_aggregate_verifier(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> Result<GeneratedVerifier, VerifierError> {
    if num_instances <= AGGREGATE_ACCUMULATOR_LIMBS {
        return Err(VerifierError::InvalidInput(format!(
            "an aggregate publishes its {AGGREGATE_ACCUMULATOR_LIMBS} accumulator limbs and at least one more instance, not {num_instances}"
        )));
    }
    generate(params, vk, num_instances, true)
}

fn generate(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    accumulator: bool,
) -> Result<GeneratedVerifier, VerifierError> {
    if num_instances == 0 {
        return Err(VerifierError::InvalidInput("a verifier needs at least one public instance".into()));
    }
    if vk.get_domain().k() != params.k() {
        return Err(VerifierError::InvalidInput(format!(
            "verifying key is for k = {} but the parameters are for k = {}",
            vk.get_domain().k(),
            params.k()
        )));
    }
    if vk.cs().num_instance_columns() != 1 {
        return Err(VerifierError::InvalidInput(format!(
            "the verifier supports exactly one instance column, the circuit has {}",
            vk.cs().num_instance_columns()
        )));
    }

    // snark-verifier signals unsupported constraint systems with asserts and `unreachable!`;
    // turn such a panic into an error instead of taking the caller down.
    let generated = catch_generation_panic(|| snark_verifier_yul(params, vk, num_instances, accumulator))?;

    let rewritten =
        // The accumulator's two points are built from limbs and validated by the generated code.
        rewrite::rewrite_with_accumulator(
            &generated.code,
            num_instances,
            VERIFIER_CONTRACT_NAME,
            &generated.vk_digest,
            if accumulator { 2 } else { 0 },
        )?;
    Ok(GeneratedVerifier {
        solidity: rewritten.solidity,
        num_instances,
        proof_len: rewritten.layout.proof_len,
        layout: rewritten.layout,
        vk_digest: generated.vk_digest,
    })
}

/// snark-verifier's raw output.
struct SnarkVerifierOutput {
    /// The Solidity text with the Yul verifier inside a `fallback`.
    code: String,
    /// `0x`-prefixed hex of the transcript's initial state.
    vk_digest: String,
}

fn snark_verifier_yul(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    accumulator: bool,
) -> Result<SnarkVerifierOutput, VerifierError> {
    let mut config = Config::kzg().with_num_instance(vec![num_instances]);
    if accumulator {
        config =
            config.with_accumulator_indices(Some((0..AGGREGATE_ACCUMULATOR_LIMBS).map(|i| (0, i)).collect()));
    }
    let protocol = compile(params, vk, config);
    let vk_digest = protocol
        .transcript_initial_state
        .map(|digest| {
            let mut bytes = digest.to_repr();
            bytes.reverse();
            format!("0x{}", hex::encode(bytes))
        })
        .ok_or_else(|| VerifierError::Generation("protocol has no transcript initial state".into()))?;
    let deciding_key: KzgDecidingKey<Bn256> = (params.get_g()[0], params.g2(), params.s_g2()).into();

    let loader = EvmLoader::new::<Fq, Fr>();
    let protocol = protocol.loaded(&loader);
    let mut transcript = EvmTranscript::<G1Affine, Rc<EvmLoader>, _, _>::new(&loader);
    let instances = transcript.load_instances(vec![num_instances]);
    let read_error = |err| VerifierError::Generation(format!("reading the proof layout: {err:?}"));
    let emit_error = |err| VerifierError::Generation(format!("emitting the verification: {err:?}"));
    if accumulator {
        // The accumulator's limbs are decoded as snark-verifier-sdk encodes them.
        type Aggregate = PlonkVerifier<Shplonk, LimbsEncoding<3, 88>>;
        let proof = Aggregate::read_proof(&deciding_key, &protocol, &instances, &mut transcript)
            .map_err(read_error)?;
        Aggregate::verify(&deciding_key, &protocol, &instances, &proof).map_err(emit_error)?;
    } else {
        let proof =
            PlonkVerifier::<Shplonk>::read_proof(&deciding_key, &protocol, &instances, &mut transcript)
                .map_err(read_error)?;
        PlonkVerifier::<Shplonk>::verify(&deciding_key, &protocol, &instances, &proof).map_err(emit_error)?;
    }
    Ok(SnarkVerifierOutput { code: loader.solidity_code(), vk_digest })
}

/// Runs snark-verifier code that signals unsupported input by panicking, turning a panic into
/// [`VerifierError::Generation`].
pub(crate) fn catch_generation_panic<T>(
    f: impl FnOnce() -> Result<T, VerifierError>,
) -> Result<T, VerifierError> {
    panic::catch_unwind(panic::AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        VerifierError::Generation(format!("snark-verifier panicked: {message}"))
    })?
}
