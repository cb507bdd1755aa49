//! Compiling Solidity through the pinned solc-js.

use loopx_verifier_contract::{
    compile_solidity, compile_wallet_attributes, VerifierError, EIP170_CODE_SIZE_LIMIT,
};

#[test]
fn compile_errors_carry_solc_text() {
    let broken = "pragma solidity 0.8.19;\ncontract Broken { function f() external { uint x = ; } }\n";
    match compile_solidity(&[("Broken.sol", broken)], "Broken") {
        Err(VerifierError::Compile { contract, message }) => {
            assert_eq!(contract, "Broken");
            assert!(message.contains("ParserError") && message.contains("Broken.sol"), "{message}");
        }
        other => panic!("expected a compile error, got {other:?}"),
    }
}

#[test]
fn a_pragma_other_than_the_pinned_compiler_is_refused() {
    let source = "pragma solidity 0.8.20;\ncontract A {}\n";
    let err = compile_solidity(&[("A.sol", source)], "A").unwrap_err();
    assert!(err.to_string().contains("0.8.20"), "{err}");
}

#[test]
fn wallet_attributes_compiles_within_eip170() {
    let compiled = compile_wallet_attributes().expect("compiles");
    assert!(compiled.deployed_size() < EIP170_CODE_SIZE_LIMIT);
    assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
    eprintln!("WalletAttributes: deployed {} bytes", compiled.deployed_size());
}
