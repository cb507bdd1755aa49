//! The embedded EVM: deploy bytecode and call it in an in-memory revm (mainnet rules, Osaka).

use crate::{calldata, VerifierError};
use halo2curves::bn256::Fr;
use revm::{
    context::{
        result::{ExecutionResult, Output},
        TxEnv,
    },
    context_interface::ContextTr,
    database::{CacheDB, EmptyDB},
    handler::{MainBuilder, MainContext, MainnetContext, MainnetEvm},
    primitives::{Address, Bytes, TxKind},
    Context, DatabaseRef, ExecuteCommitEvm, ExecuteEvm,
};

/// Gas limit of every transaction: the EIP-7825 per-transaction cap in force since Osaka.
pub const TX_GAS_LIMIT: u64 = 1 << 24;

/// Default sender of transactions in [`EmbeddedEvm`].
pub const DEFAULT_CALLER: Address = Address::new([0x10; 20]);

/// The answer of a verifier to one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EvmVerdict {
    /// True iff the call succeeded and returned ABI `true`.
    pub valid: bool,
    /// Gas the whole transaction used (including the 21,000 intrinsic gas and calldata).
    pub gas_used: u64,
}

/// What one transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// True when execution ended with STOP/RETURN (not REVERT or an exceptional halt).
    pub success: bool,
    /// Return data (or revert data).
    pub output: Vec<u8>,
    /// Gas the whole transaction used.
    pub gas_used: u64,
    /// Logs emitted, as (address, topics, data).
    pub logs: Vec<(Address, Vec<[u8; 32]>, Vec<u8>)>,
}

type Evm = MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>;

/// An in-memory chain with one EVM: deploy contracts, call them, send state-changing
/// transactions. Gas price and base fee are zero, so senders need no balance.
pub struct EmbeddedEvm {
    evm: Evm,
}

impl Default for EmbeddedEvm {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for EmbeddedEvm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedEvm").finish_non_exhaustive()
    }
}

impl EmbeddedEvm {
    /// An empty chain with mainnet rules (latest hardfork revm implements by default).
    pub fn new() -> Self {
        let evm = Context::mainnet().with_db(CacheDB::new(EmptyDB::default())).build_mainnet();
        Self { evm }
    }

    /// Sets the block timestamp (unix seconds) later transactions see.
    pub fn set_timestamp(&mut self, unix_seconds: u64) {
        self.evm.ctx.modify_block(|block| block.timestamp = revm::primitives::U256::from(unix_seconds));
    }

    /// Deploys `creation_code` from [`DEFAULT_CALLER`] and returns the new contract's address.
    pub fn deploy(&mut self, creation_code: &[u8]) -> Result<Address, VerifierError> {
        let outcome = self.execute(DEFAULT_CALLER, TxKind::Create, creation_code.to_vec(), true)?;
        match outcome {
            (ExecutionResult::Success { output: Output::Create(_, Some(address)), .. }, _) => Ok(address),
            (result, _) => Err(VerifierError::Evm(format!("deployment failed: {}", describe(&result)))),
        }
    }

    /// Like [`EmbeddedEvm::deploy`], also returning the gas the deployment transaction used.
    pub fn deploy_with_gas(&mut self, creation_code: &[u8]) -> Result<(Address, u64), VerifierError> {
        let outcome = self.execute(DEFAULT_CALLER, TxKind::Create, creation_code.to_vec(), true)?;
        match outcome {
            (ExecutionResult::Success { output: Output::Create(_, Some(address)), .. }, call) => {
                Ok((address, call.gas_used))
            }
            (result, _) => Err(VerifierError::Evm(format!("deployment failed: {}", describe(&result)))),
        }
    }

    /// Runs a call from `from` to `to` without keeping its state changes (like `eth_call`).
    pub fn call(&mut self, from: Address, to: Address, data: Vec<u8>) -> Result<CallOutcome, VerifierError> {
        self.execute(from, TxKind::Call(to), data, false).map(|(_, outcome)| outcome)
    }

    /// Like [`EmbeddedEvm::call`] with a transaction gas limit of `gas_limit` instead of
    /// [`TX_GAS_LIMIT`].
    pub fn call_with_gas_limit(
        &mut self,
        from: Address,
        to: Address,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> Result<CallOutcome, VerifierError> {
        self.execute_with_gas(from, TxKind::Call(to), data, false, gas_limit).map(|(_, outcome)| outcome)
    }

    /// Runs a transaction from `from` to `to` and keeps its state changes.
    pub fn send(&mut self, from: Address, to: Address, data: Vec<u8>) -> Result<CallOutcome, VerifierError> {
        self.execute(from, TxKind::Call(to), data, true).map(|(_, outcome)| outcome)
    }

    /// Asks the verifier at `verifier` about `proof` and `instances`.
    pub fn verify(
        &mut self,
        verifier: Address,
        proof: &[u8],
        instances: &[Fr],
    ) -> Result<EvmVerdict, VerifierError> {
        self.verify_calldata(verifier, calldata::encode_verify_calldata(proof, instances))
    }

    /// Sends raw calldata to the verifier and reads the answer: valid only when the call
    /// succeeded and returned ABI `true`; a revert or a halt is `valid: false`.
    pub fn verify_calldata(
        &mut self,
        verifier: Address,
        calldata: Vec<u8>,
    ) -> Result<EvmVerdict, VerifierError> {
        let outcome = self.call(DEFAULT_CALLER, verifier, calldata)?;
        let valid = outcome.success && calldata::decode_verify_return(&outcome.output) == Some(true);
        Ok(EvmVerdict { valid, gas_used: outcome.gas_used })
    }

    /// The contract code deployed at `address` (empty when none).
    pub fn code_at(&self, address: Address) -> Vec<u8> {
        self.evm
            .ctx
            .db()
            .basic_ref(address)
            .ok()
            .flatten()
            .and_then(|info| info.code)
            .map(|code| code.original_bytes().to_vec())
            .unwrap_or_default()
    }

    fn nonce_of(&self, address: Address) -> u64 {
        self.evm.ctx.db().basic_ref(address).ok().flatten().map_or(0, |info| info.nonce)
    }

    fn execute(
        &mut self,
        from: Address,
        kind: TxKind,
        data: Vec<u8>,
        commit: bool,
    ) -> Result<(ExecutionResult, CallOutcome), VerifierError> {
        self.execute_with_gas(from, kind, data, commit, TX_GAS_LIMIT)
    }

    fn execute_with_gas(
        &mut self,
        from: Address,
        kind: TxKind,
        data: Vec<u8>,
        commit: bool,
        gas_limit: u64,
    ) -> Result<(ExecutionResult, CallOutcome), VerifierError> {
        let tx = TxEnv::builder()
            .caller(from)
            .kind(kind)
            .data(Bytes::from(data))
            .gas_limit(gas_limit)
            .nonce(self.nonce_of(from))
            .build_fill();
        let result = if commit {
            self.evm.transact_commit(tx)
        } else {
            self.evm.transact(tx).map(|result_and_state| result_and_state.result)
        }
        .map_err(|err| VerifierError::Evm(format!("transaction rejected: {err}")))?;
        let outcome = CallOutcome {
            success: result.is_success(),
            output: result.output().map(|bytes| bytes.to_vec()).unwrap_or_default(),
            gas_used: result.gas().total_gas_spent(),
            logs: result
                .logs()
                .iter()
                .map(|log| (log.address, log.topics().iter().map(|t| t.0).collect(), log.data.data.to_vec()))
                .collect(),
        };
        Ok((result, outcome))
    }
}

/// Deploys `creation_code` in a fresh [`EmbeddedEvm`] and asks it about one proof.
pub fn verify_in_evm(
    creation_code: &[u8],
    proof: &[u8],
    instances: &[Fr],
) -> Result<EvmVerdict, VerifierError> {
    let mut evm = EmbeddedEvm::new();
    let verifier = evm.deploy(creation_code)?;
    evm.verify(verifier, proof, instances)
}

fn describe(result: &ExecutionResult) -> String {
    match result {
        ExecutionResult::Success { .. } => "succeeded without creating a contract".into(),
        ExecutionResult::Revert { output, .. } => format!("reverted (0x{})", hex::encode(output)),
        ExecutionResult::Halt { reason, .. } => format!("halted: {reason:?}"),
    }
}
