//! Consumer contracts: Solidity that acts on a verified proof.

use crate::{CompiledContract, VerifierError};

/// Source of `WalletAttributes.sol`.
pub const WALLET_ATTRIBUTES_SOL: &str = include_str!("../contracts/WalletAttributes.sol");

/// Name of the consumer contract in [`WALLET_ATTRIBUTES_SOL`].
pub const WALLET_ATTRIBUTES_CONTRACT_NAME: &str = "WalletAttributes";

/// Compiles [`WALLET_ATTRIBUTES_SOL`] with the pinned solc.
pub fn compile_wallet_attributes() -> Result<CompiledContract, VerifierError> {
    let compiled = crate::compile_solidity(
        &[("WalletAttributes.sol", WALLET_ATTRIBUTES_SOL)],
        WALLET_ATTRIBUTES_CONTRACT_NAME,
    )?;
    compiled.check_code_size()?;
    Ok(compiled)
}
