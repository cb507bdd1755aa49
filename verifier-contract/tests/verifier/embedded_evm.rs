//! The generated verifier in revm, case by case against the native halo2 verifier.

use crate::fixture::{
    base_modulus, fixture, native_verify, read_word, scalar_modulus, toy_circuit, write_word,
    DeployedVerifier, Fixture,
};
use loopx_verifier_contract::{
    decode_verify_return, encode_verify_calldata, encode_verify_calldata_words, verify_in_evm,
    DEFAULT_CALLER, EIP170_CODE_SIZE_LIMIT, U256,
};

/// Asks both judges; panics unless they agree with each other and with `expected`.
fn assert_judged(
    fx: &Fixture,
    evm: &mut DeployedVerifier,
    proof: &[u8],
    words: &[U256],
    expected: bool,
    case: &str,
) {
    let native = fx.native_accepts(proof, words);
    let verdict = evm.verdict(proof, words);
    assert_eq!(
        (native, verdict.valid),
        (expected, expected),
        "{case}: native accepted = {native}, EVM accepted = {} (gas {})",
        verdict.valid,
        verdict.gas_used
    );
}

#[test]
fn accepts_valid_proof_within_eip170_and_reports_size_and_gas() {
    let fx = fixture();
    let mut evm = fx.deploy();
    let verdict = evm.verdict(&fx.proof, &fx.words());
    assert!(verdict.valid, "valid proof rejected (gas {})", verdict.gas_used);
    assert!(fx.native_accepts(&fx.proof, &fx.words()));

    let size = fx.compiled.deployed_size();
    assert!(size < EIP170_CODE_SIZE_LIMIT, "deployed size {size}");
    eprintln!(
        "toy verifier: deployed {size} bytes (init code {} bytes), verifyProof gas {} (tx total), proof {} bytes",
        fx.compiled.bytecode.len(),
        verdict.gas_used,
        fx.proof.len()
    );
    assert!(fx.compiled.warnings.is_empty(), "solc warnings: {:?}", fx.compiled.warnings);
    // The one-shot helper agrees.
    assert!(verify_in_evm(&fx.compiled.bytecode, &fx.proof, &fx.instances).unwrap().valid);
}

#[test]
fn generated_layout_matches_the_prover() {
    let fx = fixture();
    let layout = &fx.generated.layout;
    assert_eq!(fx.generated.proof_len, fx.proof.len());
    assert_eq!(layout.proof_len, fx.proof.len());
    assert_eq!(fx.generated.num_instances, 3);
    assert_eq!(layout.scalar_offsets.len() * 32 + layout.point_offsets.len() * 64, fx.proof.len());
    assert!(fx.generated.solidity.contains(&fx.generated.vk_digest));
    // The published ABI is what solc derives from the generated source.
    let published: serde_json::Value = serde_json::from_str(fx.generated.abi_json()).unwrap();
    assert_eq!(fx.compiled.abi, published);
    // Every point in the proof is on the curve, every scalar canonical.
    for &offset in &layout.scalar_offsets {
        assert!(read_word(&fx.proof, offset) < scalar_modulus(), "scalar at {offset}");
    }
    for &offset in &layout.point_offsets {
        assert!(read_word(&fx.proof, offset) < base_modulus(), "x at {offset}");
    }
}

#[test]
fn a_second_proof_of_another_wallet_verifies_only_with_its_own_instances() {
    let fx = fixture();
    let mut evm = fx.deploy();
    let mut other = toy_circuit();
    other.wallet += halo2curves::bn256::Fr::from(1);
    let other_proof = fx.prove(&other, 2);
    let other_words: Vec<U256> = other.instances().iter().map(loopx_verifier_contract::fr_to_u256).collect();
    assert_judged(fx, &mut evm, &other_proof, &other_words, true, "other wallet, own instances");
    assert_judged(fx, &mut evm, &other_proof, &fx.words(), false, "other wallet's proof, fixture instances");
    assert_judged(fx, &mut evm, &fx.proof, &other_words, false, "fixture proof, other wallet's instances");
}

#[test]
fn rejects_every_single_bit_flip_in_the_proof_like_native() {
    let fx = fixture();
    let mut evm = fx.deploy();
    let words = fx.words();
    for position in 0..fx.proof.len() {
        let mut proof = fx.proof.clone();
        proof[position] ^= 1 << (position % 8);
        assert_judged(
            fx,
            &mut evm,
            &proof,
            &words,
            false,
            &format!("bit {} of byte {position}", position % 8),
        );
    }
}

#[test]
fn rejects_each_changed_public_instance_like_native() {
    let fx = fixture();
    let mut evm = fx.deploy();
    for index in 0..fx.instances.len() {
        for delta in [1u64, 2, 1 << 40] {
            let mut words = fx.words();
            words[index] = (words[index] + U256::from(delta)) % scalar_modulus();
            assert_judged(fx, &mut evm, &fx.proof, &words, false, &format!("instance {index} + {delta}"));
        }
    }
    let mut swapped = fx.words();
    swapped.swap(0, 2);
    assert_judged(fx, &mut evm, &fx.proof, &swapped, false, "instances 0 and 2 swapped");
}

#[test]
fn rejects_instances_not_below_the_scalar_modulus() {
    let fx = fixture();
    let mut evm = fx.deploy();
    let r = scalar_modulus();
    for index in 0..fx.instances.len() {
        let original = fx.words()[index];
        // `original + r` reduces to the proven value: the generated code alone would accept it.
        for (word, label) in [(original + r, "v + r"), (r, "r"), (U256::MAX, "2^256 - 1")] {
            let mut words = fx.words();
            words[index] = word;
            assert_judged(fx, &mut evm, &fx.proof, &words, false, &format!("instance {index} = {label}"));
        }
    }
}

#[test]
fn rejects_proof_scalars_not_below_the_scalar_modulus() {
    let fx = fixture();
    let mut evm = fx.deploy();
    let words = fx.words();
    let r = scalar_modulus();
    for &offset in &fx.generated.layout.scalar_offsets {
        for add in [r, r + r] {
            let mut proof = fx.proof.clone();
            let Some(word) = read_word(&proof, offset).checked_add(add) else { continue };
            write_word(&mut proof, offset, word);
            assert_judged(fx, &mut evm, &proof, &words, false, &format!("scalar at {offset} + k·r"));
        }
    }
}

#[test]
fn rejects_proof_points_off_the_curve_like_native() {
    let fx = fixture();
    let mut evm = fx.deploy();
    let words = fx.words();
    let p = base_modulus();
    for &offset in &fx.generated.layout.point_offsets {
        let x = read_word(&fx.proof, offset);
        let y = read_word(&fx.proof, offset + 32);
        let cases = [
            (x, (y + U256::from(1)) % p, "y + 1 (off the curve)"),
            (x + p, y, "x + p (same point, non-canonical x)"),
            (x, y + p, "y + p (same point, non-canonical y)"),
            (x, p - y, "-y (on the curve, the negated point)"),
            (U256::ZERO, U256::ZERO, "(0, 0) (infinity)"),
            (U256::from(1), U256::from(2), "(1, 2) (the generator)"),
        ];
        for (new_x, new_y, label) in cases {
            let mut proof = fx.proof.clone();
            write_word(&mut proof, offset, new_x);
            write_word(&mut proof, offset + 32, new_y);
            assert_judged(fx, &mut evm, &proof, &words, false, &format!("point at {offset}: {label}"));
        }
    }
}

#[test]
fn rejects_wrong_proof_length_and_instance_count() {
    let fx = fixture();
    let mut evm = fx.deploy();
    let words = fx.words();
    let proof = &fx.proof;
    let len = proof.len();
    let extended = |extra: &[u8]| [proof.as_slice(), extra].concat();
    let cases: Vec<(Vec<u8>, Vec<U256>, &str)> = vec![
        (proof[..len - 1].to_vec(), words.clone(), "proof minus 1 byte"),
        (proof[..len - 32].to_vec(), words.clone(), "proof minus its last word"),
        (Vec::new(), words.clone(), "empty proof"),
        (extended(&[0]), words.clone(), "proof plus 1 zero byte"),
        (extended(&[0; 32]), words.clone(), "proof plus a zero word"),
        (extended(&proof[..64]), words.clone(), "proof plus a copy of its first point"),
        (proof.clone(), words[..2].to_vec(), "2 instances"),
        (proof.clone(), [words.as_slice(), &[U256::ZERO]].concat(), "4 instances, extra 0"),
        (proof.clone(), Vec::new(), "no instances"),
    ];
    for (proof, words, label) in cases {
        assert_judged(fx, &mut evm, &proof, &words, false, label);
    }
}

#[test]
fn rejects_truncated_overlong_and_non_canonical_calldata() {
    let fx = fixture();
    let mut evm = fx.deploy();
    let calldata = encode_verify_calldata(&fx.proof, &fx.instances);
    assert!(evm.verdict_calldata(calldata.clone()).valid);

    let mut cases: Vec<(Vec<u8>, &str)> = vec![
        (calldata[..calldata.len() - 1].to_vec(), "calldata minus 1 byte"),
        (calldata[..calldata.len() - 32].to_vec(), "calldata minus its last word"),
        (calldata[..4].to_vec(), "selector only"),
        ([calldata.as_slice(), &[0]].concat(), "calldata plus 1 byte"),
        ([calldata.as_slice(), &[0; 32]].concat(), "calldata plus a zero word"),
    ];
    // Same values, instances encoded before the proof (offsets swapped): valid ABI, not canonical.
    let proof_area = 32 + fx.proof.len();
    let instances_area = 32 + 32 * fx.instances.len();
    let head = &calldata[4..68];
    let body = &calldata[68..];
    let (proof_part, instances_part) = body.split_at(proof_area);
    assert_eq!(instances_part.len(), instances_area);
    let mut swapped = calldata[..4].to_vec();
    swapped.extend_from_slice(&U256::from(0x40 + instances_area).to_be_bytes::<32>());
    swapped.extend_from_slice(&U256::from(0x40).to_be_bytes::<32>());
    swapped.extend_from_slice(instances_part);
    swapped.extend_from_slice(proof_part);
    assert_ne!(&swapped[4..68], head);
    cases.push((swapped, "instances encoded before the proof"));

    for (data, label) in cases {
        let verdict = evm.verdict_calldata(data);
        assert!(!verdict.valid, "{label}: accepted");
    }
    // The well-formed one still passes after all that.
    assert!(evm.verdict_calldata(calldata).valid);
}

#[test]
fn running_out_of_gas_reverts_and_never_answers_false() {
    // Otherwise a caller (or relayer) short on gas could make a valid proof read as invalid,
    // and eth_estimateGas would settle on a limit that yields `false`.
    let fx = fixture();
    let mut evm = fx.deploy();
    let calldata = encode_verify_calldata(&fx.proof, &fx.instances);
    let needed = evm.verdict_calldata(calldata.clone()).gas_used;
    // From just above the EIP-7623 calldata floor (below it the transaction is not valid at all).
    for gas_limit in (100_000..needed).step_by(2_500) {
        let outcome =
            evm.evm.call_with_gas_limit(DEFAULT_CALLER, evm.address, calldata.clone(), gas_limit).unwrap();
        assert!(
            !outcome.success,
            "gas limit {gas_limit}: call completed with 0x{}",
            hex::encode(&outcome.output)
        );
    }
    // The 63/64 rule on the precompile calls needs a margin over the gas actually spent.
    let outcome =
        evm.evm.call_with_gas_limit(DEFAULT_CALLER, evm.address, calldata, needed * 11 / 10).unwrap();
    assert!(outcome.success && decode_verify_return(&outcome.output) == Some(true));
}

#[test]
fn halo2_native_verifier_alone_ignores_trailing_proof_bytes() {
    // Documents the trap the fixture's native judge closes: halo2's `verify_proof` accepts a
    // proof followed by junk, so exact length must be checked by whoever calls it natively.
    let fx = fixture();
    let padded = [fx.proof.as_slice(), &[0xff; 32]].concat();
    let (accepted, rest) = native_verify(&fx.params, fx.vk(), &padded, &fx.instances);
    assert!(accepted, "halo2 accepted a padded proof");
    assert_eq!(rest, 32);
    assert!(!fx.native_accepts(&padded, &fx.words()));
    let mut evm = fx.deploy();
    assert!(!evm.verdict(&padded, &fx.words()).valid);
}

#[test]
fn generation_refuses_a_wrong_instance_count_and_a_mismatched_k() {
    let fx = fixture();
    assert!(loopx_verifier_contract::generate_verifier(&fx.params, fx.vk(), 0).is_err());
    let other_params = halo2_proofs::poly::kzg::commitment::ParamsKZG::<halo2curves::bn256::Bn256>::setup(
        crate::fixture::K + 1,
        {
            use rand::SeedableRng;
            rand_chacha::ChaCha20Rng::seed_from_u64(7)
        },
    );
    let err = loopx_verifier_contract::generate_verifier(&other_params, fx.vk(), 3).unwrap_err();
    assert!(err.to_string().contains("k = "), "{err}");
}

#[test]
fn encodes_instances_as_big_endian_words() {
    let fx = fixture();
    let calldata = encode_verify_calldata(&fx.proof, &fx.instances);
    let words = fx.words();
    assert_eq!(calldata, encode_verify_calldata_words(&fx.proof, &words));
    let start = calldata.len() - 32 * words.len();
    for (i, word) in words.iter().enumerate() {
        assert_eq!(read_word(&calldata, start + 32 * i), *word);
    }
}
