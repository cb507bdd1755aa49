//! The ABI of LoopX's contracts: the calldata a transaction or `eth_call` carries to the
//! generated verifier (`verifyProof(bytes proof, uint256[] instances)`) and to the
//! `WalletAttributes` consumer (`submit(bytes32 modelId, bytes proof, uint256[] instances)`), and
//! the decoding of their answers.
//!
//! One implementation for every caller: `loopx-verifier-contract` (revm, RPC) re-exports it, and
//! the browser build (`loopx-wasm`) encodes the submission the page sends through the user's
//! wallet with it. It depends on nothing that does not build for `wasm32-unknown-unknown`
//! (alloy-sol-types, not alloy's providers).

// Dependency lists stay honest; test builds see the dev-dependencies too, so they are exempt.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolCall};
use halo2curves::{bn256::Fr, ff::PrimeField};
use loopx_prover::{ProofFile, ProverError};

sol! {
    /// The interface every generated verifier exposes.
    interface IProofVerifier {
        /// True when `proof` is a valid proof for exactly these public `instances`.
        function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
    }

    /// The part of `WalletAttributes.sol` (verifier-contract/contracts) that tools call.
    interface IWalletAttributes {
        /// A recorded attribute.
        struct Attribute {
            bool proven;
            uint256 value;
            uint256 commitment;
            uint64 provenAt;
        }
        /// Binds `modelId` to its verifier (owner only, once).
        function registerModel(bytes32 modelId, address verifier) external;
        /// Verifies a proof of model `modelId` and records its attribute for the wallet it names.
        function submit(bytes32 modelId, bytes calldata proof, uint256[] calldata instances) external returns (uint256 value);
        /// The attribute recorded for `wallet` under `modelId`.
        function attributeOf(address wallet, bytes32 modelId) external view returns (Attribute memory);
    }
}

pub use IWalletAttributes::Attribute;

/// Solidity signature of the verifier's entry point.
pub const VERIFY_PROOF_SIGNATURE: &str = "verifyProof(bytes,uint256[])";

/// ABI JSON of the verifier's public interface (what integrators need to call it).
pub const VERIFIER_ABI_JSON: &str = r#"[{"type":"function","name":"verifyProof","stateMutability":"view","inputs":[{"name":"proof","type":"bytes","internalType":"bytes"},{"name":"instances","type":"uint256[]","internalType":"uint256[]"}],"outputs":[{"name":"","type":"bool","internalType":"bool"}]}]"#;

/// Why a proof file cannot be turned into calldata.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AbiError {
    /// The proof file's proof or instances do not parse.
    #[error(transparent)]
    ProofFile(#[from] ProverError),
    /// The model id is not the 32-byte hash a consumer contract registers.
    #[error("model id `{0}` is not 32 bytes of hex: is this a LoopX proof file?")]
    ModelId(String),
}

/// The 4-byte selector of `verifyProof(bytes,uint256[])`.
pub fn verify_proof_selector() -> [u8; 4] {
    IProofVerifier::verifyProofCall::SELECTOR
}

/// A field element as the big-endian 256-bit word the EVM sees.
pub fn fr_to_u256(value: &Fr) -> U256 {
    U256::from_le_bytes(value.to_repr())
}

/// ABI calldata for `verifyProof(proof, instances)`.
pub fn encode_verify_calldata(proof: &[u8], instances: &[Fr]) -> Vec<u8> {
    let words: Vec<U256> = instances.iter().map(fr_to_u256).collect();
    encode_verify_calldata_words(proof, &words)
}

/// Like [`encode_verify_calldata`], with instances given as raw 256-bit words, which may be
/// out of the field: the way to ask the verifier about non-canonical inputs.
pub fn encode_verify_calldata_words(proof: &[u8], instances: &[U256]) -> Vec<u8> {
    IProofVerifier::verifyProofCall { proof: Bytes::copy_from_slice(proof), instances: instances.to_vec() }
        .abi_encode()
}

/// Decodes the verifier's return data: `Some(answer)` for a well-formed `bool`, else `None`.
pub fn decode_verify_return(output: &[u8]) -> Option<bool> {
    IProofVerifier::verifyProofCall::abi_decode_returns_validate(output).ok()
}

/// The model id a consumer contract keys verifiers by: the proof file's `model_id` as `bytes32`.
pub fn model_id_word(model_id: &str) -> Result<B256, AbiError> {
    model_id.trim().parse().map_err(|_| AbiError::ModelId(model_id.to_string()))
}

/// ABI calldata for `WalletAttributes.submit(modelId, proof, instances)`.
pub fn encode_submit_calldata(model_id: B256, proof: &[u8], instances: &[Fr]) -> Vec<u8> {
    IWalletAttributes::submitCall {
        modelId: model_id,
        proof: Bytes::copy_from_slice(proof),
        instances: instances.iter().map(fr_to_u256).collect(),
    }
    .abi_encode()
}

/// The `WalletAttributes.submit` calldata of a proof file (what the browser page sends through
/// the user's wallet, and what `loopx prove` output submits as is).
pub fn submit_calldata(file: &ProofFile) -> Result<Vec<u8>, AbiError> {
    Ok(encode_submit_calldata(model_id_word(&file.model_id)?, &file.proof_bytes()?, &file.instance_values()?))
}

/// ABI calldata for `WalletAttributes.registerModel(modelId, verifier)`.
pub fn encode_register_model_calldata(model_id: B256, verifier: Address) -> Vec<u8> {
    IWalletAttributes::registerModelCall { modelId: model_id, verifier }.abi_encode()
}

/// ABI calldata for `WalletAttributes.attributeOf(wallet, modelId)`.
pub fn encode_attribute_of_calldata(wallet: Address, model_id: B256) -> Vec<u8> {
    IWalletAttributes::attributeOfCall { wallet, modelId: model_id }.abi_encode()
}

/// Decodes `attributeOf`'s return data; `None` when it is not an `Attribute`.
pub fn decode_attribute_of_return(output: &[u8]) -> Option<Attribute> {
    IWalletAttributes::attributeOfCall::abi_decode_returns_validate(output).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calldata_has_canonical_layout() {
        let proof = [0xab_u8; 33];
        let calldata = encode_verify_calldata(&proof, &[Fr::from(7), Fr::from(9)]);
        assert_eq!(&calldata[..4], &verify_proof_selector());
        let word = |i: usize| U256::from_be_slice(&calldata[4 + 32 * i..4 + 32 * (i + 1)]);
        assert_eq!(word(0), U256::from(0x40)); // offset of proof
        assert_eq!(word(1), U256::from(0x40 + 0x20 + 0x40)); // offset of instances (33 bytes → 2 words)
        assert_eq!(word(2), U256::from(33)); // proof length
        assert_eq!(word(5), U256::from(2)); // instance count
        assert_eq!(word(6), U256::from(7));
        assert_eq!(word(7), U256::from(9));
        assert_eq!(calldata.len(), 4 + 32 * 8);
    }

    #[test]
    fn selector_matches_signature() {
        let hash = alloy_primitives::keccak256(VERIFY_PROOF_SIGNATURE.as_bytes());
        assert_eq!(verify_proof_selector(), hash[..4]);
    }

    #[test]
    fn submit_calldata_is_the_verify_calldata_behind_a_model_id() {
        let model = B256::repeat_byte(0x5a);
        let proof = [0xcd_u8; 40];
        let instances = [Fr::from(1), Fr::from(0xb7), Fr::from(2)];
        let submit = encode_submit_calldata(model, &proof, &instances);
        let selector = alloy_primitives::keccak256(b"submit(bytes32,bytes,uint256[])");
        assert_eq!(submit[..4], selector[..4]);
        assert_eq!(&submit[4..36], model.as_slice());
        let decoded = IWalletAttributes::submitCall::abi_decode(&submit).expect("decodes");
        assert_eq!(decoded.proof.as_ref(), &proof);
        assert_eq!(decoded.instances, instances.iter().map(fr_to_u256).collect::<Vec<_>>());
    }

    #[test]
    fn a_model_id_that_is_not_32_bytes_is_refused() {
        assert!(matches!(model_id_word("0x1234"), Err(AbiError::ModelId(_))));
        assert!(model_id_word(&format!("0x{}", "ab".repeat(32))).is_ok());
    }

    #[test]
    fn return_data_decoding() {
        let mut word = [0u8; 32];
        assert_eq!(decode_verify_return(&word), Some(false));
        word[31] = 1;
        assert_eq!(decode_verify_return(&word), Some(true));
        assert_eq!(decode_verify_return(&[]), None);
        word[31] = 2;
        assert_eq!(decode_verify_return(&word), None);
    }
}
