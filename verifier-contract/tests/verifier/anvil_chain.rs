//! The verifier on a real (local) chain: the npm-pinned anvil, reached over JSON-RPC.

use crate::fixture::fixture;
use loopx_verifier_contract::{
    deploy_blocking, encode_verify_calldata, verify_calldata_onchain, verify_onchain_blocking, Address,
    AnvilNode, EmbeddedEvm, EvmVerdict, VerifierError,
};
use std::{
    net::{Ipv4Addr, TcpListener, TcpStream},
    thread,
    time::{Duration, Instant},
};

#[test]
fn anvil_deploys_the_verifier_and_agrees_with_revm() {
    let fx = fixture();
    let node = AnvilNode::start().expect("anvil starts");
    let address =
        deploy_blocking(node.url(), node.dev_private_key(0), &fx.compiled.bytecode).expect("deploys");

    let valid = verify_onchain_blocking(node.url(), address, &fx.proof, &fx.instances).expect("eth_call");
    assert!(valid.valid, "valid proof rejected on anvil");

    let mut tampered = fx.proof.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x10;
    let rejected = verify_onchain_blocking(node.url(), address, &tampered, &fx.instances).expect("eth_call");
    assert!(!rejected.valid, "tampered proof accepted on anvil");

    // Malformed ABI (truncated calldata) reverts; that reads as "not valid", not as an error.
    let calldata = encode_verify_calldata(&fx.proof, &fx.instances);
    let truncated = calldata[..calldata.len() / 2].to_vec();
    let reverted = verify_calldata_onchain_blocking(node.url(), address, truncated);
    assert!(!reverted.expect("a revert is a verdict").valid);

    let mut changed = fx.instances.clone();
    changed[1] += halo2curves::bn256::Fr::from(1);
    assert!(!verify_onchain_blocking(node.url(), address, &fx.proof, &changed).unwrap().valid);

    // Same bytecode, same answer and comparable gas in the embedded EVM.
    let mut evm = EmbeddedEvm::new();
    let local = evm.deploy(&fx.compiled.bytecode).unwrap();
    let revm = evm.verify(local, &fx.proof, &fx.instances).unwrap();
    assert!(revm.valid);
    eprintln!("verifyProof gas: anvil eth_estimateGas {}, revm {}", valid.gas_used, revm.gas_used);
    // eth_estimateGas over-approximates (the 63/64 rule on precompile calls), never under.
    assert!(valid.gas_used >= revm.gas_used && valid.gas_used < revm.gas_used + revm.gas_used / 2);

    // Errors a user can make against a live node.
    let nobody = Address::new([0x42; 20]);
    match verify_onchain_blocking(node.url(), nobody, &fx.proof, &fx.instances) {
        Err(VerifierError::NoCode { address, url }) => {
            assert_eq!(address, nobody.to_string());
            assert_eq!(url, node.url());
        }
        other => panic!("expected NoCode, got {other:?}"),
    }
    match deploy_blocking(node.url(), "0xnot-a-key", &fx.compiled.bytecode) {
        Err(err @ VerifierError::InvalidPrivateKey(_)) => assert!(!err.to_string().contains("not-a-key")),
        other => panic!("expected InvalidPrivateKey, got {other:?}"),
    }
    // A valid key whose account holds nothing.
    let unfunded = "0x0000000000000000000000000000000000000000000000000000000000000b0b";
    match deploy_blocking(node.url(), unfunded, &fx.compiled.bytecode) {
        Err(VerifierError::InsufficientFunds { .. }) => {}
        other => panic!("expected InsufficientFunds, got {other:?}"),
    }
}

fn verify_calldata_onchain_blocking(
    url: &str,
    address: Address,
    calldata: Vec<u8>,
) -> Result<EvmVerdict, VerifierError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(verify_calldata_onchain(url, address, calldata))
}

#[test]
fn unreachable_rpc_names_the_url() {
    let fx = fixture();
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let err = verify_onchain_blocking(&url, Address::new([1; 20]), &fx.proof, &fx.instances).unwrap_err();
    assert!(matches!(err, VerifierError::RpcUnreachable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&url) && message.contains("not reachable"), "{message}");

    let err =
        deploy_blocking(&url, loopx_verifier_contract::ANVIL_DEV_PRIVATE_KEYS[0], &fx.compiled.bytecode)
            .unwrap_err();
    assert!(matches!(err, VerifierError::RpcUnreachable { .. }), "{err:?}");

    let err =
        deploy_blocking("not a url", loopx_verifier_contract::ANVIL_DEV_PRIVATE_KEYS[0], &[]).unwrap_err();
    assert!(matches!(err, VerifierError::InvalidRpcUrl { .. }), "{err:?}");
}

#[test]
fn dropping_the_node_stops_the_wrapper_and_the_anvil_binary() {
    let node = AnvilNode::start().expect("anvil starts");
    let port = node.port();
    assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok());
    drop(node);
    // The listening socket belongs to the anvil binary (the wrapper's child): once it is gone,
    // connections are refused.
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
        assert!(Instant::now() < deadline, "anvil still listens on {port} after drop");
        thread::sleep(Duration::from_millis(50));
    }
}
