#[test]
fn zz_dump() {
    let fx = crate::fixture::fixture();
    std::fs::write("/tmp/vc_code.hex", hex::encode(&fx.compiled.bytecode)).unwrap();
    std::fs::write(
        "/tmp/vc_calldata.hex",
        hex::encode(loopx_verifier_contract::encode_verify_calldata(&fx.proof, &fx.instances)),
    )
    .unwrap();
    std::fs::write("/tmp/vc.sol", &fx.generated.solidity).unwrap();
}
