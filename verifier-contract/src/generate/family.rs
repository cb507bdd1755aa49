//! One verifier for a *family* of models: the verification code is shared, each model's
//! verifying key lives in a small data contract passed by address.
//!
//! Two verifying keys belong to the same family when everything snark-verifier's generated
//! code depends on, except the key's *values*, is the same: the constraint system (gates,
//! lookups, permutation layout, hence circuit shape), the instance count and the SRS (`g1`,
//! `g2`, `s·g2`). Only these values differ between members (pinned by the `=0.2.7`
//! dependency, and checked on every generation, see below):
//!
//! * the transcript's initial state (the vk digest, a decimal literal absorbed first), and
//! * the `x`/`y` coordinates of every preprocessed commitment (fixed columns, then the
//!   permutation's sigma columns), each a `0x…` 64-digit literal stored with `mstore` before
//!   it enters an `ecMul`/`ecAdd`.
//!
//! The family verifier is generated with distinct random *placeholder* values in their place
//! and each placeholder literal is then replaced by `mload` from a scratch region past all the
//! memory the generated code uses. At the start of a call the region is filled with
//! `EXTCODECOPY` from the vk data contract named by the call. Generation also runs
//! snark-verifier on the real key and checks that the placeholder code with the real literals
//! put back is *textually identical* to it: the family verifier, given a member's data
//! contract, computes exactly what that member's own verifier computes.
//!
//! The family id is `keccak256("loopx.vk-family.v1" ‖ template code)`; a member's data
//! contract carries it as its first word and the verifier checks it and the exact code size,
//! so an address with no code, or with other code, gives `false`.
//!
//! Data contract runtime code: `0xFE` (INVALID: calling it fails) ‖ family id ‖ vk digest ‖
//! `x₀ ‖ y₀ ‖ x₁ ‖ y₁ …` (32-byte big-endian words). Its creation code is 12 bytes of hand
//! written init code (`PUSH2 len, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN`, no
//! PUSH0, so it deploys on `paris`) followed by the runtime code.
//!
//! **Security: pin the vk address.** Anyone can deploy a data contract of the family holding
//! the key of a circuit of their own choosing with the same shape (other weights, other
//! tables), and make valid proofs for it. `verifyProof(vk, …) == true` only says "valid for
//! the key at `vk`": the consumer must map each model id to the vk address it trusts (set
//! when the model is registered) and never take `vk` from the party submitting the proof.

use super::{rewrite, snark_verifier_yul, Shplonk};
use crate::{ProofLayout, VerifierError, EIP170_CODE_SIZE_LIMIT};
use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    sol,
    sol_types::SolCall,
};
use halo2_proofs::{
    plonk::VerifyingKey,
    poly::{
        commitment::{Params, ParamsProver},
        kzg::commitment::ParamsKZG,
    },
};
use halo2curves::{
    bn256::{Bn256, Fq, Fr, G1Affine},
    ff::{FromUniformBytes, PrimeField},
    group::Curve,
    CurveAffine,
};
use snark_verifier::{
    loader::evm::EvmLoader,
    pcs::kzg::KzgDecidingKey,
    system::halo2::{compile, transcript::evm::EvmTranscript, Config},
    verifier::{plonk::PlonkVerifier, SnarkVerifier},
};
use std::{fmt::Write as _, rc::Rc};

/// Name of the generated family verifier contract.
pub const FAMILY_VERIFIER_CONTRACT_NAME: &str = "LoopXFamilyVerifier";

/// Solidity signature of the family verifier's entry point.
pub const VERIFY_PROOF_WITH_VK_SIGNATURE: &str = "verifyProof(address,bytes,uint256[])";

/// ABI JSON of the family verifier's public interface.
pub const FAMILY_VERIFIER_ABI_JSON: &str = r#"[{"type":"function","name":"verifyProof","stateMutability":"view","inputs":[{"name":"vk","type":"address","internalType":"address"},{"name":"proof","type":"bytes","internalType":"bytes"},{"name":"instances","type":"uint256[]","internalType":"uint256[]"}],"outputs":[{"name":"","type":"bool","internalType":"bool"}]}]"#;

/// First byte of a vk data contract's runtime code: INVALID, so calling it always fails.
pub const VK_CONTRACT_GUARD_BYTE: u8 = 0xfe;

/// Domain separator of the family id.
const FAMILY_DOMAIN: &[u8] = b"loopx.vk-family.v1";

/// Calldata offset of the proof bytes in `verifyProof(address, bytes, uint256[])`: selector,
/// vk, two heads, proof length.
const PROOF_START: usize = 0x84;

/// Length of the data contract's init code.
const INIT_CODE_LEN: u8 = 12;

sol! {
    /// The interface of a family verifier.
    interface IFamilyVerifier {
        /// True when `proof` is valid, under the verifying key held by the data contract at
        /// `vk`, for exactly these public `instances`.
        function verifyProof(address vk, bytes calldata proof, uint256[] calldata instances) external view returns (bool);
    }
}

/// A generated family verifier.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FamilyVerifier {
    /// Solidity source of [`FAMILY_VERIFIER_CONTRACT_NAME`] (pragma `0.8.19`).
    pub solidity: String,
    /// The family id: the first word of every member's data contract.
    pub family_id: B256,
    /// Exact number of public instances `verifyProof` accepts.
    pub num_instances: usize,
    /// Exact proof length in bytes `verifyProof` accepts.
    pub proof_len: usize,
    /// Where the scalars and points sit inside the proof bytes.
    pub layout: ProofLayout,
    /// Number of verifying-key words a data contract holds (digest, then `x`, `y` of every
    /// preprocessed commitment).
    pub vk_words: usize,
    /// Exact runtime code size of a member's data contract.
    pub vk_code_size: usize,
}

impl FamilyVerifier {
    /// ABI JSON of the contract's public interface.
    pub fn abi_json(&self) -> &'static str {
        FAMILY_VERIFIER_ABI_JSON
    }

    /// Compiles the verifier with the pinned solc and checks the EIP-170 size limit.
    pub fn compile(&self) -> Result<crate::CompiledContract, VerifierError> {
        let compiled = crate::compile_solidity(
            &[("LoopXFamilyVerifier.sol", &self.solidity)],
            FAMILY_VERIFIER_CONTRACT_NAME,
        )?;
        compiled.check_code_size()?;
        Ok(compiled)
    }

    /// The data contract of `vk` for this family; an error when `vk` is not a member (another
    /// constraint system, instance count or SRS).
    pub fn vk_data_contract(
        &self,
        params: &ParamsKZG<Bn256>,
        vk: &VerifyingKey<G1Affine>,
    ) -> Result<VkDataContract, VerifierError> {
        let contract = vk_data_contract(params, vk, self.num_instances)?;
        if contract.family_id != self.family_id {
            return Err(VerifierError::InvalidInput(format!(
                "the verifying key is of family {}, not {}: its constraint system (circuit shape, \
                 gates, lookups, permutation), instance count or SRS differ",
                contract.family_id, self.family_id
            )));
        }
        Ok(contract)
    }
}

/// A verifying key as a data contract for a family verifier.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VkDataContract {
    /// The family the key belongs to.
    pub family_id: B256,
    /// The verifying key's transcript digest, `0x`-prefixed big-endian hex.
    pub vk_digest: String,
    /// The key's words: digest, then `x`, `y` of every preprocessed commitment.
    pub words: Vec<U256>,
    /// Runtime code: guard byte ‖ family id ‖ words.
    pub runtime_code: Vec<u8>,
    /// Creation code: 12 bytes of init code ‖ runtime code.
    pub creation_code: Vec<u8>,
}

/// Generates the family verifier of the family `vk` belongs to, for proofs with one instance
/// column of `num_instances` values.
pub fn generate_family_verifier(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> Result<FamilyVerifier, VerifierError> {
    let template = family_template(params, vk, num_instances)?;
    let solidity = render_family_contract(&template, num_instances);
    Ok(FamilyVerifier {
        solidity,
        family_id: template.family_id,
        num_instances,
        proof_len: template.layout.proof_len,
        layout: template.layout,
        vk_words: template.words.len(),
        vk_code_size: vk_code_size(template.words.len()),
    })
}

/// The data contract holding `vk` for its family verifier (instances: `num_instances`).
pub fn vk_data_contract(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> Result<VkDataContract, VerifierError> {
    let template = family_template(params, vk, num_instances)?;
    let mut runtime_code = Vec::with_capacity(vk_code_size(template.words.len()));
    runtime_code.push(VK_CONTRACT_GUARD_BYTE);
    runtime_code.extend_from_slice(template.family_id.as_slice());
    for word in &template.words {
        runtime_code.extend_from_slice(&word.to_be_bytes::<32>());
    }
    if runtime_code.len() > EIP170_CODE_SIZE_LIMIT {
        return Err(VerifierError::CodeTooLarge { size: runtime_code.len(), limit: EIP170_CODE_SIZE_LIMIT });
    }
    let [hi, lo] = u16::try_from(runtime_code.len()).expect("below the EIP-170 limit").to_be_bytes();
    // PUSH2 len, DUP1, PUSH1 12, PUSH1 0, CODECOPY (dest 0, offset 12, len), PUSH1 0, RETURN.
    let mut creation_code = vec![0x61, hi, lo, 0x80, 0x60, INIT_CODE_LEN, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    debug_assert_eq!(creation_code.len(), usize::from(INIT_CODE_LEN));
    creation_code.extend_from_slice(&runtime_code);
    Ok(VkDataContract {
        family_id: template.family_id,
        vk_digest: format!("{:#066x}", template.words[0]),
        words: template.words,
        runtime_code,
        creation_code,
    })
}

/// ABI calldata for `verifyProof(vk, proof, instances)` on a family verifier.
pub fn encode_family_verify_calldata(vk: Address, proof: &[u8], instances: &[Fr]) -> Vec<u8> {
    let words: Vec<U256> = instances.iter().map(crate::fr_to_u256).collect();
    encode_family_verify_calldata_words(vk, proof, &words)
}

/// Like [`encode_family_verify_calldata`], with instances given as raw 256-bit words.
pub fn encode_family_verify_calldata_words(vk: Address, proof: &[u8], instances: &[U256]) -> Vec<u8> {
    IFamilyVerifier::verifyProofCall {
        vk,
        proof: Bytes::copy_from_slice(proof),
        instances: instances.to_vec(),
    }
    .abi_encode()
}

fn vk_code_size(words: usize) -> usize {
    1 + 32 + 32 * words
}

/// The family's verification body, with the vk words read from memory.
struct Template {
    /// Rewritten Yul reading the vk words with `mload` from `base + 0x20 …`.
    body: String,
    layout: ProofLayout,
    instances_start: usize,
    /// Memory offset of the copied data contract (family id at `base`, words after it).
    base: usize,
    family_id: B256,
    /// The real key's words (digest first).
    words: Vec<U256>,
}

/// A distinct, deterministic stand-in for vk word `index`.
fn placeholder_scalar(index: u64) -> Fr {
    let mut wide = [0u8; 64];
    for (half, chunk) in wide.chunks_mut(32).enumerate() {
        let mut seed = FAMILY_DOMAIN.to_vec();
        seed.extend_from_slice(b".placeholder");
        seed.extend_from_slice(&index.to_be_bytes());
        seed.push(half as u8);
        chunk.copy_from_slice(keccak256(&seed).as_slice());
    }
    Fr::from_uniform_bytes(&wide)
}

fn coordinates(point: &G1Affine) -> Result<[U256; 2], VerifierError> {
    let c = Option::<halo2curves::Coordinates<G1Affine>>::from(point.coordinates()).ok_or_else(|| {
        VerifierError::Generation("a preprocessed commitment is the point at infinity".into())
    })?;
    Ok([*c.x(), *c.y()].map(|v: Fq| U256::from_le_bytes(v.to_repr())))
}

/// A word as the literal snark-verifier prints: scalars in decimal, coordinates in hex.
fn literal(word: U256, scalar: bool) -> String {
    if scalar {
        format!("{word}")
    } else {
        format!("0x{}", hex::encode(word.to_be_bytes::<32>()))
    }
}

fn family_template(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> Result<Template, VerifierError> {
    if num_instances == 0 {
        return Err(VerifierError::InvalidInput("a verifier needs at least one public instance".into()));
    }
    if vk.get_domain().k() != params.k() || vk.cs().num_instance_columns() != 1 {
        return Err(VerifierError::InvalidInput(format!(
            "verifying key (k = {}, {} instance columns) does not fit parameters of k = {} and one \
             instance column",
            vk.get_domain().k(),
            vk.cs().num_instance_columns(),
            params.k()
        )));
    }
    let (placeholder_code, real_words, placeholder_words, base) = super::catch_generation_panic(|| {
        let protocol = compile(params, vk, Config::kzg().with_num_instance(vec![num_instances]));
        let digest = protocol
            .transcript_initial_state
            .ok_or_else(|| VerifierError::Generation("protocol has no transcript initial state".into()))?;
        let mut real = vec![U256::from_le_bytes(digest.to_repr())];
        for point in &protocol.preprocessed {
            real.extend(coordinates(point)?);
        }
        let mut placeholder_protocol = protocol.clone();
        let digest_stand_in = placeholder_scalar(0);
        placeholder_protocol.transcript_initial_state = Some(digest_stand_in);
        let mut stand_ins = vec![U256::from_le_bytes(digest_stand_in.to_repr())];
        for (i, point) in placeholder_protocol.preprocessed.iter_mut().enumerate() {
            *point = (G1Affine::generator() * placeholder_scalar(i as u64 + 1)).to_affine();
            stand_ins.extend(coordinates(point)?);
        }

        let deciding_key: KzgDecidingKey<Bn256> = (params.get_g()[0], params.g2(), params.s_g2()).into();
        let loader = EvmLoader::new::<Fq, Fr>();
        let protocol = placeholder_protocol.loaded(&loader);
        let mut transcript = EvmTranscript::<G1Affine, Rc<EvmLoader>, _, _>::new(&loader);
        let instances = transcript.load_instances(vec![num_instances]);
        let proof =
            PlonkVerifier::<Shplonk>::read_proof(&deciding_key, &protocol, &instances, &mut transcript)
                .map_err(|err| VerifierError::Generation(format!("reading the proof layout: {err:?}")))?;
        PlonkVerifier::<Shplonk>::verify(&deciding_key, &protocol, &instances, &proof)
            .map_err(|err| VerifierError::Generation(format!("emitting the verification: {err:?}")))?;
        // Past everything the verification uses: the family id, then the words.
        let base = loader.allocate(32 * (1 + stand_ins.len()));
        Ok((loader.solidity_code(), real, stand_ins, base))
    })?;

    // The vk's own verifier must be the template with the real literals put back.
    let real_code =
        super::catch_generation_panic(|| snark_verifier_yul(params, vk, num_instances, false))?.code;
    let mut instantiated = placeholder_code.clone();
    for (index, (stand_in, real)) in placeholder_words.iter().zip(&real_words).enumerate() {
        let scalar = index == 0;
        let (count, text) =
            replace_literal(&instantiated, &literal(*stand_in, scalar), &literal(*real, scalar));
        if count == 0 {
            return Err(drift(format!("vk word {index} does not appear in the generated code")));
        }
        instantiated = text;
    }
    if instantiated != real_code {
        return Err(drift("the code depends on the verifying key beyond its digest and commitments".into()));
    }

    let rewritten = rewrite::rewrite_body(&placeholder_code, num_instances, PROOF_START, 0)?;
    let mut body = rewritten.body;
    for (index, stand_in) in placeholder_words.iter().enumerate() {
        let load = format!("mload({:#x})", base + 32 * (index + 1));
        body = replace_literal(&body, &literal(*stand_in, index == 0), &load).1;
    }
    let mut preimage = FAMILY_DOMAIN.to_vec();
    preimage.extend_from_slice(format!("instances={num_instances};words={};", real_words.len()).as_bytes());
    preimage.extend_from_slice(body.as_bytes());
    let family_id = keccak256(&preimage);
    Ok(Template {
        body,
        layout: rewritten.layout,
        instances_start: rewritten.instances_start,
        base,
        family_id,
        words: real_words,
    })
}

/// Replaces every whole-token occurrence of `from` in `text`; returns the count and the text.
fn replace_literal(text: &str, from: &str, to: &str) -> (usize, String) {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut count = 0;
    let is_token = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while let Some(pos) = rest.find(from) {
        let previous = if pos > 0 { rest[..pos].chars().next_back() } else { out.chars().next_back() };
        let before_ok = !previous.is_some_and(is_token);
        let after = &rest[pos + from.len()..];
        let after_ok = !after.chars().next().is_some_and(is_token);
        out.push_str(&rest[..pos]);
        if before_ok && after_ok {
            out.push_str(to);
            count += 1;
        } else {
            out.push_str(from);
        }
        rest = after;
    }
    out.push_str(rest);
    (count, out)
}

fn drift(message: String) -> VerifierError {
    VerifierError::Generation(format!(
        "snark-verifier's output does not have the expected shape for a family verifier ({message}); \
         was the snark-verifier version changed?"
    ))
}

fn render_family_contract(template: &Template, num_instances: usize) -> String {
    let Template { body, layout, instances_start, base, family_id, words, .. } = template;
    let proof_len = layout.proof_len;
    let instances_start = *instances_start;
    let base = *base;
    let calldata_len = instances_start + 32 * num_instances;
    let code_size = vk_code_size(words.len());
    let r = rewrite::scalar_modulus_hex();
    let body = body.trim_end();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"// SPDX-License-Identifier: MIT
// Generated by loopx-verifier-contract from a halo2 verifying key's constraint system (KZG on
// BN254, SHPLONK multi-open, Keccak256 EVM transcript). Do not edit: regenerate.
// The verification algorithm is snark-verifier's EvmLoader output, rewritten for the
// verifyProof(address,bytes,uint256[]) interface and strict input checks, with the
// verifying key's digest and commitments read from a vk data contract.
//
// Family id:            {family_id}
// Public instances:     {num_instances}
// Proof length:         {proof_len} bytes
// vk data contract:     {code_size} bytes (0xfe, family id, {words} words)

pragma solidity 0.8.19;

/// @title LoopX halo2 proof verifier for a family of models sharing one constraint system
/// @notice `verifyProof` returns true iff `proof` is a valid proof, under the verifying key
///         held by the data contract at `vk`, for exactly these public `instances`. It returns
///         false when `vk`'s code is not exactly {code_size} bytes or does not carry this family's
///         id (no code, another contract, a key of another family), the proof is not
///         {proof_len} bytes, there are not {num_instances} instances, the call is not the canonical ABI
///         encoding, any instance or proof scalar is not below r, or any proof point is not on
///         BN254. It reverts when it runs out of gas or the calldata is not ABI.
/// @dev SECURITY: anyone can deploy a data contract of this family holding the key of a
///      circuit of their own (same shape, other weights) and prove anything that circuit
///      says. `true` only means "valid for the key at `vk`": the consumer must pin which `vk`
///      address stands for which model (e.g. set at the model's registration) and never take
///      `vk` from the party submitting the proof.
contract {contract_name} {{
    /// @param vk The model's verifying-key data contract (pinned by the caller).
    /// @param proof The prover's transcript bytes.
    /// @param instances The public inputs: [commitment, wallet, outputs...].
    /// @return True iff the proof verifies for these instances under `vk`'s key.
    function verifyProof(address vk, bytes calldata proof, uint256[] calldata instances) external view returns (bool) {{
        assembly ("memory-safe") {{
            // Any failed check ends the call with `false`.
            function reject() {{
                mstore(0x00, 0)
                return(0x00, 0x20)
            }}
            // A scalar read from calldata must be canonical (see the single-model verifier).
            function read_fr(cd) -> v {{
                v := calldataload(cd)
                if iszero(lt(v, {r})) {{ reject() }}
            }}
            // Canonical ABI layout with exact lengths: the code below reads the proof at
            // {PROOF_START:#x} and the instances at {instances_start:#x}.
            if iszero(and(eq(proof.offset, {PROOF_START:#x}), eq(proof.length, {proof_len:#x}))) {{ reject() }}
            if iszero(and(eq(instances.offset, {instances_start:#x}), eq(instances.length, {num_instances}))) {{ reject() }}
            if iszero(eq(calldatasize(), {calldata_len:#x})) {{ reject() }}
            // The verifying key: exactly {code_size} bytes of code, this family's id first.
            if iszero(eq(extcodesize(vk), {code_size:#x})) {{ reject() }}
            extcodecopy(vk, {base:#x}, 1, {copy_len:#x})
            if iszero(eq(mload({base:#x}), {family_id})) {{ reject() }}
{body}

            mstore(0x00, success)
            return(0x00, 0x20)
        }}
    }}
}}
"#,
        words = words.len(),
        contract_name = FAMILY_VERIFIER_CONTRACT_NAME,
        copy_len = code_size - 1,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_replacement_respects_token_boundaries() {
        let (n, out) = replace_literal("mstore(0x20, 0xab) x 0xabc 10xab 0xab", "0xab", "mload(0x40)");
        assert_eq!(n, 2);
        assert_eq!(out, "mstore(0x20, mload(0x40)) x 0xabc 10xab mload(0x40)");
    }

    #[test]
    fn placeholders_are_distinct() {
        let a = placeholder_scalar(0);
        let b = placeholder_scalar(1);
        assert_ne!(a, b);
    }
}
