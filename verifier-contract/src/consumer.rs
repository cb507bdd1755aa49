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

mod batch {
    use alloy::primitives::{Address, Bytes, B256, U256};
    use alloy::sol;
    use alloy::sol_types::SolCall;
    use halo2curves::bn256::Fr;

    use crate::{calldata::fr_to_u256, EmbeddedEvm, VerifierError, DEFAULT_CALLER};

    sol! {
        function registerBatchVerifier(bytes32 modelId, uint256 proofs, uint256 wordsPerProof, address verifier) external;
        function setSubmitter(address submitter, bool allowed) external;
        function submitBatch(bytes32 modelId, bytes calldata proof, uint256[] calldata instances) external returns (uint256);
    }

    /// Words of a KZG accumulator at the head of an aggregate's instances.
    const ACCUMULATOR_WORDS: usize = crate::AGGREGATE_ACCUMULATOR_LIMBS;

    /// What `WalletAttributes.submitBatch` of one aggregate costs, measured in the embedded EVM
    /// (whole-transaction gas: 21k intrinsic + calldata + execution).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct BatchGas {
        /// `verifyProof` of the aggregate alone (no storage writes).
        pub verify: u64,
        /// `submitBatch` recording wallets never recorded before (new storage slots).
        pub submit_new: u64,
        /// `submitBatch` again, rewriting the same wallets' records.
        pub submit_rewrite: u64,
    }

    /// Deploys the aggregate verifier (its parts first, if split) and `WalletAttributes` in a
    /// fresh embedded EVM, registers the verifier for aggregates of `proofs` proofs of
    /// `words_per_proof` words, has every covered wallet allow a relayer, and measures the relayer's
    /// `submitBatch` of `proof` and `instances` (plus `verifyProof` alone). Refused unless the
    /// submission succeeds.
    pub fn measure_submit_batch(
        verifier: &crate::CompiledVerifier,
        proof: &[u8],
        instances: &[Fr],
        proofs: usize,
        words_per_proof: usize,
    ) -> Result<BatchGas, VerifierError> {
        if words_per_proof < 2 || instances.len() != ACCUMULATOR_WORDS + proofs * words_per_proof {
            return Err(VerifierError::InvalidInput(format!(
                "{} instances are not an aggregate of {proofs} proofs of {words_per_proof} words",
                instances.len()
            )));
        }
        let consumer_code = super::compile_wallet_attributes()?.bytecode;
        let mut evm = EmbeddedEvm::new();
        let verifier = verifier.deploy_in(&mut evm)?;
        let consumer = evm.deploy(&consumer_code)?;
        let model = B256::repeat_byte(0x42);
        let relayer = Address::repeat_byte(0x99);
        let expect = |outcome: crate::CallOutcome, what: &str| {
            if outcome.success {
                Ok(outcome.gas_used)
            } else {
                Err(VerifierError::InvalidInput(format!(
                    "{what} reverted: 0x{}",
                    hex::encode(&outcome.output)
                )))
            }
        };
        let register = registerBatchVerifierCall {
            modelId: model,
            proofs: U256::from(proofs),
            wordsPerProof: U256::from(words_per_proof),
            verifier,
        };
        expect(evm.send(DEFAULT_CALLER, consumer, register.abi_encode())?, "registerBatchVerifier")?;
        let words: Vec<U256> = instances.iter().map(fr_to_u256).collect();
        for packed in words[ACCUMULATOR_WORDS + 1..].iter().step_by(words_per_proof) {
            let low: U256 = *packed & ((U256::from(1u8) << 160) - U256::from(1u8));
            let wallet = Address::from_word(B256::from(low.to_be_bytes::<32>()));
            let allow = setSubmitterCall { submitter: relayer, allowed: true }.abi_encode();
            expect(evm.send(wallet, consumer, allow)?, "setSubmitter")?;
        }
        let verify = evm.verify(verifier, proof, instances)?;
        if !verify.valid {
            return Err(VerifierError::InvalidInput("the aggregate verifier rejects the aggregate".into()));
        }
        let submit =
            submitBatchCall { modelId: model, proof: Bytes::copy_from_slice(proof), instances: words };
        let submit_new = expect(evm.send(relayer, consumer, submit.abi_encode())?, "submitBatch")?;
        let submit_rewrite =
            expect(evm.send(relayer, consumer, submit.abi_encode())?, "submitBatch (again)")?;
        Ok(BatchGas { verify: verify.gas_used, submit_new, submit_rewrite })
    }
}

pub use batch::{measure_submit_batch, BatchGas};
