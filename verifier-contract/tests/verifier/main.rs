//! Integration tests of the generated verifier against a toy circuit: the embedded EVM
//! (differential against the native halo2 verifier), a local anvil chain, and the
//! `WalletAttributes` consumer contract.

mod anvil_chain;
mod embedded_evm;
mod fixture;
mod solidity;
mod split;
mod toy_circuit;
mod wallet_attributes;
