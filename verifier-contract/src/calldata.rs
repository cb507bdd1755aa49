//! ABI encoding of `verifyProof(bytes proof, uint256[] instances)` calls and their answers:
//! `loopx-abi`'s (one implementation, which the browser build shares), re-exported here.

pub use loopx_abi::{
    decode_verify_return, encode_verify_calldata, encode_verify_calldata_words, fr_to_u256,
    verify_proof_selector, VERIFIER_ABI_JSON, VERIFY_PROOF_SIGNATURE,
};
