//! The on-chain side of LoopX: the Solidity verifier generated from a model's verifying key,
//! its calldata, an embedded EVM (revm) to run it, and an RPC client (alloy) to deploy and
//! call it on a real chain.
//!
//! * [`generate_verifier`] turns `(ParamsKZG, VerifyingKey, n)` into Solidity exposing
//!   `verifyProof(bytes proof, uint256[] instances) view returns (bool)`, with exact input
//!   checks (lengths, scalars `< r`, points on BN254) on top of snark-verifier's algorithm.
//! * [`compile_solidity`] compiles with the npm-pinned solc 0.8.19 (no native solc needed).
//! * [`EmbeddedEvm`] / [`verify_in_evm`] run it in memory; [`deploy`] / [`verify_onchain`]
//!   talk to a node over JSON-RPC; [`AnvilNode`] starts a throwaway local node for tests.
//! * [`generate_family_verifier`] / [`vk_data_contract`]: one verifier for every model of the
//!   same constraint system, each model's verifying key in a small data contract passed by
//!   address (`verifyProof(address vk, bytes proof, uint256[] instances)`; see `FAMILY.md`).
//! * [`WALLET_ATTRIBUTES_SOL`] is the consumer contract that records a verified attribute;
//!   [`eas`] deploys the real EAS and `AttestedAttributes`, which records it only when a trusted
//!   issuer vouched for the features (an EAS attestation or an EIP-712 credential).
//!
//! Node tooling (solc-js, anvil, snarkjs) is pinned in this crate's `package.json` and
//! installed on first use by `scripts/ensure-tools.sh` (see [`tools`]).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod anvil;
mod calldata;
mod chain;
mod consumer;
pub mod eas;
mod error;
mod evm;
mod generate;
mod package;
mod solc;
pub mod tools;

pub use anvil::{AnvilNode, ANVIL_DEV_PRIVATE_KEYS};
pub use calldata::{
    decode_verify_return, encode_verify_calldata, encode_verify_calldata_words, fr_to_u256,
    verify_proof_selector, VERIFIER_ABI_JSON, VERIFY_PROOF_SIGNATURE,
};
pub use chain::{
    block_on, deploy, deploy_blocking, verify_calldata_onchain, verify_onchain, verify_onchain_blocking,
    RECEIPT_TIMEOUT, RPC_TIMEOUT,
};
pub use consumer::{
    compile_wallet_attributes, measure_submit_batch, BatchGas, WALLET_ATTRIBUTES_CONTRACT_NAME,
    WALLET_ATTRIBUTES_SOL,
};
pub use error::VerifierError;
pub use evm::{verify_in_evm, CallOutcome, EmbeddedEvm, EvmVerdict, DEFAULT_CALLER, TX_GAS_LIMIT};
pub use generate::{
    encode_family_verify_calldata, encode_family_verify_calldata_words, generate_family_verifier,
    vk_data_contract, FamilyVerifier, VkDataContract, FAMILY_VERIFIER_ABI_JSON,
    FAMILY_VERIFIER_CONTRACT_NAME, VERIFY_PROOF_WITH_VK_SIGNATURE, VK_CONTRACT_GUARD_BYTE,
};
pub use generate::{
    generate_aggregate_verifier, generate_verifier, CompiledVerifier, GeneratedVerifier, ProofLayout,
    AGGREGATE_ACCUMULATOR_LIMBS, MAX_VERIFIER_CONTRACTS, VERIFIER_CONTRACT_NAME,
};
pub use package::{package_verifier, package_verifier_for, PackageSolidity, PackageVerifier, SolidityFiles};
pub use solc::{compile_solidity, CompiledContract, EIP170_CODE_SIZE_LIMIT, EVM_VERSION, OPTIMIZER_RUNS};

/// Re-exported so that callers can name addresses and words without depending on alloy.
pub use alloy::primitives::{Address, U256};
/// The calldata of LoopX's contracts (`verifyProof`, `WalletAttributes`), shared with the browser build.
pub use loopx_abi as abi;
