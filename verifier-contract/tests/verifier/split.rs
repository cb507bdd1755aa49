//! The verifier split over several contracts (what a verifier over EIP-170 becomes), against the
//! one-contract verifier and the native halo2 verifier: same verdict on every case, parts pinned
//! by code hash, the same on a real anvil node.

use crate::fixture::{fixture, read_word, scalar_modulus, write_word, DeployedVerifier, Fixture};
use loopx_verifier_contract::{
    verify_onchain_blocking, Address, AnvilNode, CompiledVerifier, EmbeddedEvm, MAX_VERIFIER_CONTRACTS, U256,
};
use std::sync::OnceLock;

/// The fixture's verifier split over 2 and over 3 contracts (compiled once per test binary).
fn splits() -> &'static [CompiledVerifier; 2] {
    static SPLITS: OnceLock<[CompiledVerifier; 2]> = OnceLock::new();
    SPLITS.get_or_init(|| {
        let generated = &fixture().generated;
        [generated.compile_split(2).expect("splits in 2"), generated.compile_split(3).expect("splits in 3")]
    })
}

fn deploy(split: &CompiledVerifier) -> DeployedVerifier {
    let mut evm = EmbeddedEvm::new();
    let address = split.deploy_in(&mut evm).expect("parts and verifier deploy");
    DeployedVerifier { evm, address }
}

/// Every case of the one-contract verifier's suite, in small: the valid proof, flipped proof
/// bytes across the whole proof, each instance changed, an instance `≥ r`, a truncated proof.
fn cases(fx: &Fixture) -> Vec<(String, Vec<u8>, Vec<U256>)> {
    let mut cases = vec![("valid".to_string(), fx.proof.clone(), fx.words())];
    for at in (0..fx.proof.len()).step_by(97) {
        let mut proof = fx.proof.clone();
        proof[at] ^= 0x04;
        cases.push((format!("proof byte {at} flipped"), proof, fx.words()));
    }
    for index in 0..fx.words().len() {
        let mut words = fx.words();
        words[index] += U256::from(1);
        cases.push((format!("instance {index} + 1"), fx.proof.clone(), words));
        let mut words = fx.words();
        words[index] += scalar_modulus();
        if words[index] >= fx.words()[index] {
            cases.push((format!("instance {index} + r"), fx.proof.clone(), words));
        }
    }
    let mut scalar = fx.proof.clone();
    let last = fx.generated.layout.scalar_offsets[fx.generated.layout.scalar_offsets.len() - 1];
    let raised = read_word(&scalar, last) + scalar_modulus();
    write_word(&mut scalar, last, raised);
    cases.push(("last proof scalar + r".into(), scalar, fx.words()));
    cases.push(("truncated proof".into(), fx.proof[..fx.proof.len() - 32].to_vec(), fx.words()));
    cases
}

#[test]
fn split_verifiers_answer_every_case_as_the_single_contract_and_native_do() {
    let fx = fixture();
    let mut single = fx.deploy();
    for split in splits() {
        let contracts = split.parts.len() + 1;
        assert!(split.solidity.contains("contract LoopXVerifierPart1"), "{contracts} contracts");
        let warnings: Vec<_> = split.parts.iter().chain([&split.entry]).flat_map(|c| &c.warnings).collect();
        assert!(warnings.is_empty(), "solc warnings: {warnings:?}");
        let mut deployed = deploy(split);
        for (case, proof, words) in cases(fx) {
            let expected = fx.native_accepts(&proof, &words);
            let one = single.verdict(&proof, &words);
            let many = deployed.verdict(&proof, &words);
            assert_eq!((one.valid, many.valid), (expected, expected), "{contracts} contracts, {case}");
        }
        let (one, many) = (single.verdict(&fx.proof, &fx.words()), deployed.verdict(&fx.proof, &fx.words()));
        eprintln!(
            "toy verifier in {contracts} contracts: sizes {:?} (one contract: {} bytes), verifyProof gas {} (one contract: {})",
            split.deployed_sizes(),
            fx.compiled.deployed_size(),
            many.gas_used,
            one.gas_used
        );
    }
}

#[test]
fn the_verifier_refuses_parts_that_are_not_its_own() {
    let fx = fixture();
    let [two, three] = splits();
    let mut evm = EmbeddedEvm::new();
    let parts: Vec<Address> = three.parts.iter().map(|p| evm.deploy(&p.bytecode).unwrap()).collect();
    let honest = three.entry_creation_code(&parts).unwrap();
    assert!(evm.deploy(&honest).is_ok(), "the honest chain deploys");

    let other = evm.deploy(&two.parts[0].bytecode).unwrap();
    let single = evm.deploy(&fx.compiled.bytecode).unwrap();
    for (case, addresses) in [
        ("parts swapped", vec![parts[1], parts[0]]),
        ("a part of another split", vec![other, parts[1]]),
        ("the one-contract verifier as a part", vec![parts[0], single]),
        ("an address without code", vec![parts[0], Address::repeat_byte(0x77)]),
    ] {
        let code = three.entry_creation_code(&addresses).unwrap();
        assert!(evm.deploy(&code).is_err(), "{case}: the verifier deployed");
    }
    assert!(three.entry_creation_code(&parts[..1]).is_err(), "a missing part address");
}

#[test]
fn a_verifier_that_fits_stays_one_contract_and_splits_are_bounded() {
    let fx = fixture();
    let deployable = fx.generated.compile_deployable().unwrap();
    assert!(deployable.parts.is_empty());
    assert_eq!(deployable.entry.deployed_bytecode, fx.compiled.deployed_bytecode);
    for contracts in [0, 1, MAX_VERIFIER_CONTRACTS + 1] {
        assert!(fx.generated.compile_split(contracts).is_err(), "{contracts} contracts");
    }
}

#[test]
fn anvil_runs_the_split_verifier() {
    let fx = fixture();
    let split = &splits()[1];
    let node = AnvilNode::start().expect("anvil starts");
    let address = split.deploy_onchain_blocking(node.url(), node.dev_private_key(0)).expect("deploys");
    assert!(verify_onchain_blocking(node.url(), address, &fx.proof, &fx.instances).unwrap().valid);
    let mut tampered = fx.proof.clone();
    tampered[fx.proof.len() / 2] ^= 0x10;
    assert!(!verify_onchain_blocking(node.url(), address, &tampered, &fx.instances).unwrap().valid);
    let mut changed = fx.instances.clone();
    changed[0] += halo2curves::bn256::Fr::from(1);
    assert!(!verify_onchain_blocking(node.url(), address, &fx.proof, &changed).unwrap().valid);
}
