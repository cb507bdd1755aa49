//! `WalletAttributes.registerBatchVerifier`: only the owner binds a model's aggregate verifier,
//! once per instance count, with a sane shape; `submitBatch` refuses an unregistered shape. (The
//! submissions themselves are checked against a real aggregate in `aggregate.rs`.)

use alloy::primitives::{Bytes, B256, U256};
use alloy::sol;
use alloy::sol_types::{SolCall, SolError};
use loopx_verifier_contract::{compile_wallet_attributes, Address, EmbeddedEvm, DEFAULT_CALLER};

sol! {
    function registerBatchVerifier(bytes32 modelId, uint256 proofs, uint256 wordsPerProof, address verifier) external;
    function submitBatch(bytes32 modelId, bytes calldata proof, uint256[] calldata instances) external returns (uint256);
    error NotOwner();
    error ZeroAddress();
    error BatchVerifierAlreadyRegistered(bytes32 modelId, uint256 instanceCount);
    error BadBatchShape(uint256 proofs, uint256 wordsPerProof);
    error UnknownBatchVerifier(bytes32 modelId, uint256 instanceCount);
}

const MODEL: B256 = B256::new([0x42; 32]);
const VERIFIER: Address = Address::new([0x33; 20]);

fn register(proofs: u64, words: u64, verifier: Address) -> Vec<u8> {
    registerBatchVerifierCall {
        modelId: MODEL,
        proofs: U256::from(proofs),
        wordsPerProof: U256::from(words),
        verifier,
    }
    .abi_encode()
}

#[test]
fn only_the_owner_registers_a_batch_verifier_once_per_shape() {
    let mut evm = EmbeddedEvm::new();
    let consumer = evm.deploy(&compile_wallet_attributes().unwrap().bytecode).unwrap();
    let stranger = Address::new([0x55; 20]);

    let by_stranger = evm.send(stranger, consumer, register(8, 2, VERIFIER)).unwrap();
    assert_eq!(by_stranger.output, NotOwner {}.abi_encode());
    let zero = evm.send(DEFAULT_CALLER, consumer, register(8, 2, Address::ZERO)).unwrap();
    assert_eq!(zero.output, ZeroAddress {}.abi_encode());
    for (proofs, words) in [(0, 2), (8, 1), (8, 0)] {
        let bad = evm.send(DEFAULT_CALLER, consumer, register(proofs, words, VERIFIER)).unwrap();
        assert_eq!(
            bad.output,
            BadBatchShape { proofs: U256::from(proofs), wordsPerProof: U256::from(words) }.abi_encode()
        );
    }

    assert!(evm.send(DEFAULT_CALLER, consumer, register(8, 2, VERIFIER)).unwrap().success);
    let again = evm.send(DEFAULT_CALLER, consumer, register(8, 2, Address::new([0x34; 20]))).unwrap();
    let count = U256::from(12 + 8 * 2);
    assert_eq!(
        again.output,
        BatchVerifierAlreadyRegistered { modelId: MODEL, instanceCount: count }.abi_encode()
    );
    // Another N for the same model is another verifier.
    assert!(evm.send(DEFAULT_CALLER, consumer, register(4, 2, VERIFIER)).unwrap().success);

    // A batch of a shape no verifier was registered for is refused before anything else.
    let words = vec![U256::from(1); 12 + 3 * 2];
    let call = submitBatchCall { modelId: MODEL, proof: Bytes::new(), instances: words }.abi_encode();
    let outcome = evm.send(stranger, consumer, call).unwrap();
    assert_eq!(
        outcome.output,
        UnknownBatchVerifier { modelId: MODEL, instanceCount: U256::from(18) }.abi_encode()
    );
}
