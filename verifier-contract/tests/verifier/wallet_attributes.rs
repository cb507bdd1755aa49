//! `WalletAttributes.sol`: records a verified attribute for the wallet a proof names, and only
//! at that wallet's request.

use crate::fixture::{fixture, WALLET};
use alloy::{
    primitives::{Bytes, B256, U256},
    sol,
    sol_types::{SolCall, SolError},
};
use loopx_verifier_contract::{compile_wallet_attributes, Address, EmbeddedEvm, DEFAULT_CALLER};

sol! {
    struct Attribute { bool proven; uint256 value; uint256 commitment; uint64 provenAt; }
    function registerModel(bytes32 modelId, address verifier) external;
    function setSubmitter(address submitter, bool allowed) external;
    function submit(bytes32 modelId, bytes calldata proof, uint256[] calldata instances) external returns (uint256);
    function attributeOf(address wallet, bytes32 modelId) external view returns (Attribute memory);
    error NotAuthorized(address wallet, address sender);
    error InvalidProof();
    error UnknownModel(bytes32 modelId);
    error NotOwner();
}

const MODEL: B256 = B256::new([0x77; 32]);
const RELAYER: Address = Address::new([0x99; 20]);

struct Setup {
    evm: EmbeddedEvm,
    attributes: Address,
}

fn setup() -> Setup {
    let fx = fixture();
    let consumer = compile_wallet_attributes().expect("WalletAttributes compiles");
    let mut evm = EmbeddedEvm::new();
    let verifier = evm.deploy(&fx.compiled.bytecode).unwrap();
    let attributes = evm.deploy(&consumer.bytecode).unwrap();
    let register = registerModelCall { modelId: MODEL, verifier }.abi_encode();
    assert!(evm.send(DEFAULT_CALLER, attributes, register).unwrap().success);
    Setup { evm, attributes }
}

fn submit_call(proof: &[u8], instances: Vec<U256>) -> Vec<u8> {
    submitCall { modelId: MODEL, proof: Bytes::copy_from_slice(proof), instances }.abi_encode()
}

fn attribute_of(setup: &mut Setup, wallet: Address) -> Attribute {
    let call = attributeOfCall { wallet, modelId: MODEL }.abi_encode();
    let outcome = setup.evm.call(DEFAULT_CALLER, setup.attributes, call).unwrap();
    assert!(outcome.success);
    attributeOfCall::abi_decode_returns(&outcome.output).unwrap()
}

#[test]
fn records_the_attribute_for_the_proven_wallet_and_refuses_a_replay_by_another_sender() {
    let fx = fixture();
    let mut setup = setup();
    let words = fx.words();

    // Someone else replays the wallet's proof (e.g. copied from the mempool): refused.
    let replay = setup.evm.send(RELAYER, setup.attributes, submit_call(&fx.proof, words.clone())).unwrap();
    assert!(!replay.success);
    assert_eq!(replay.output, NotAuthorized { wallet: WALLET, sender: RELAYER }.abi_encode());
    assert!(!attribute_of(&mut setup, WALLET).proven);

    // The wallet submits its own proof: recorded, with an event.
    let own = setup.evm.send(WALLET, setup.attributes, submit_call(&fx.proof, words.clone())).unwrap();
    assert!(own.success, "own submission reverted: 0x{}", hex::encode(&own.output));
    let recorded = attribute_of(&mut setup, WALLET);
    assert!(recorded.proven);
    assert_eq!(recorded.value, words[2]);
    assert_eq!(recorded.commitment, words[0]);
    let (emitter, topics, _) = own.logs.last().expect("AttributeProven emitted");
    assert_eq!(*emitter, setup.attributes);
    assert_eq!(topics[1][12..], WALLET.0 .0);
    assert_eq!(topics[2], MODEL.0);
    eprintln!("WalletAttributes.submit gas: {}", own.gas_used);

    // Nothing was recorded for the replaying sender either.
    assert!(!attribute_of(&mut setup, RELAYER).proven);
}

#[test]
fn an_allowed_submitter_may_record_for_the_wallet() {
    let fx = fixture();
    let mut setup = setup();
    let allow = setSubmitterCall { submitter: RELAYER, allowed: true }.abi_encode();
    assert!(setup.evm.send(WALLET, setup.attributes, allow).unwrap().success);
    let relayed = setup.evm.send(RELAYER, setup.attributes, submit_call(&fx.proof, fx.words())).unwrap();
    assert!(relayed.success);
    assert!(attribute_of(&mut setup, WALLET).proven);
}

#[test]
fn refuses_invalid_proofs_unknown_models_and_strangers_registering() {
    let fx = fixture();
    let mut setup = setup();
    let mut tampered = fx.proof.clone();
    tampered[100] ^= 1;
    let outcome = setup.evm.send(WALLET, setup.attributes, submit_call(&tampered, fx.words())).unwrap();
    assert!(!outcome.success);
    assert_eq!(outcome.output, InvalidProof {}.abi_encode());

    let unknown =
        submitCall { modelId: B256::ZERO, proof: Bytes::copy_from_slice(&fx.proof), instances: fx.words() };
    let outcome = setup.evm.send(WALLET, setup.attributes, unknown.abi_encode()).unwrap();
    assert_eq!(outcome.output, UnknownModel { modelId: B256::ZERO }.abi_encode());

    let register = registerModelCall { modelId: B256::ZERO, verifier: RELAYER }.abi_encode();
    let outcome = setup.evm.send(WALLET, setup.attributes, register).unwrap();
    assert_eq!(outcome.output, NotOwner {}.abi_encode());
    assert!(!attribute_of(&mut setup, WALLET).proven);
}
