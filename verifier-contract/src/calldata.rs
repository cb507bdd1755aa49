//! ABI encoding of `verifyProof(bytes proof, uint256[] instances)` calls and their answers.

use alloy::{
    primitives::{Bytes, U256},
    sol,
    sol_types::SolCall,
};
use halo2curves::{bn256::Fr, ff::PrimeField};

sol! {
    /// The interface every generated verifier exposes.
    interface IProofVerifier {
        /// True when `proof` is a valid proof for exactly these public `instances`.
        function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
    }
}

/// Solidity signature of the verifier's entry point.
pub const VERIFY_PROOF_SIGNATURE: &str = "verifyProof(bytes,uint256[])";

/// ABI JSON of the verifier's public interface (what integrators need to call it).
pub const VERIFIER_ABI_JSON: &str = r#"[{"type":"function","name":"verifyProof","stateMutability":"view","inputs":[{"name":"proof","type":"bytes","internalType":"bytes"},{"name":"instances","type":"uint256[]","internalType":"uint256[]"}],"outputs":[{"name":"","type":"bool","internalType":"bool"}]}]"#;

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
        let hash = alloy::primitives::keccak256(VERIFY_PROOF_SIGNATURE.as_bytes());
        assert_eq!(verify_proof_selector(), hash[..4]);
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
