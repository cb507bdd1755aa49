//! The verifier's return-data decoder, and the calldata encoder's layout on arbitrary inputs.
#![no_main]
use libfuzzer_sys::fuzz_target;
use loopx_verifier_contract::{
    decode_verify_return, encode_verify_calldata_words, verify_proof_selector, U256,
};

fuzz_target!(|data: &[u8]| {
    // Any return data: decodes to an answer or to None, never panics; an answer is a canonical bool.
    if let Some(answer) = decode_verify_return(data) {
        assert!(data.len() >= 32);
        assert!(data[..31].iter().all(|b| *b == 0) && data[31] == u8::from(answer), "{data:?}");
    }
    // Round trip of the canonical bool words.
    for answer in [false, true] {
        let mut word = [0u8; 32];
        word[31] = u8::from(answer);
        assert_eq!(decode_verify_return(&word), Some(answer));
    }
    // Encode: split the input into a proof and instance words; check the ABI layout.
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (proof, rest) = data.split_at(split);
    let words: Vec<U256> = rest.chunks(32).map(U256::from_be_slice).collect();
    let calldata = encode_verify_calldata_words(proof, &words);
    assert_eq!(&calldata[..4], &verify_proof_selector());
    let word = |i: usize| U256::from_be_slice(&calldata[4 + 32 * i..4 + 32 * (i + 1)]);
    assert_eq!(word(0), U256::from(0x40));
    assert_eq!(word(2), U256::from(proof.len()));
    let proof_words = proof.len().div_ceil(32);
    assert_eq!(&calldata[4 + 96..4 + 96 + proof.len()], proof);
    let count_at = 3 + proof_words;
    assert_eq!(word(1), U256::from(32 * count_at));
    assert_eq!(word(count_at), U256::from(words.len()));
    for (i, w) in words.iter().enumerate() {
        assert_eq!(word(count_at + 1 + i), *w);
    }
    assert_eq!(calldata.len(), 4 + 32 * (count_at + 1 + words.len()));
});
