//! The crate's single error type.

use std::path::PathBuf;

/// Everything that can go wrong while generating, compiling, deploying or running a verifier.
///
/// A *rejected proof* is not an error: it is an [`EvmVerdict`](crate::EvmVerdict) with
/// `valid == false`. Errors mean the question could not be asked (no toolchain, no node, no
/// contract at the address, …).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierError {
    /// `node` or `npm` is not installed; the message says how to fix it.
    #[error("{0}")]
    ToolchainMissing(String),
    /// `npm ci` (or the pinned tools themselves) failed.
    #[error("installing the pinned npm tools in {dir} failed: {message}")]
    ToolInstall {
        /// The tools directory (holds package.json and package-lock.json).
        dir: PathBuf,
        /// What npm or the install script printed.
        message: String,
    },
    /// solc rejected the Solidity sources; `message` is solc's own text.
    #[error("solc could not compile `{contract}`:\n{message}")]
    Compile {
        /// The contract that was asked for.
        contract: String,
        /// solc's formatted error messages, one per line block.
        message: String,
    },
    /// snark-verifier could not turn the verifying key into a verifier, or its output did not
    /// have the shape this crate post-processes.
    #[error("verifier generation failed: {0}")]
    Generation(String),
    /// The deployed bytecode exceeds the EIP-170 limit, so no chain would accept it.
    #[error("deployed bytecode is {size} bytes, over the EIP-170 limit of {limit} bytes")]
    CodeTooLarge {
        /// Deployed (runtime) bytecode size.
        size: usize,
        /// The limit (24,576 bytes).
        limit: usize,
    },
    /// The embedded EVM failed to execute a transaction (not a revert: a setup failure).
    #[error("embedded EVM: {0}")]
    Evm(String),
    /// The RPC endpoint did not answer at the transport level.
    #[error("the RPC node at {url} is not reachable: {message}")]
    RpcUnreachable {
        /// The URL that was tried.
        url: String,
        /// The transport error.
        message: String,
    },
    /// The RPC node answered with an error.
    #[error("RPC request to {url} failed: {message}")]
    Rpc {
        /// The node's URL.
        url: String,
        /// The node's error message.
        message: String,
    },
    /// The RPC URL could not be parsed.
    #[error("invalid RPC URL `{url}`: {message}")]
    InvalidRpcUrl {
        /// The URL as given.
        url: String,
        /// Why it is invalid.
        message: String,
    },
    /// There is no contract code at the address on that chain.
    #[error("no contract code at address {address} on {url} (wrong address or wrong chain?)")]
    NoCode {
        /// The address that was called.
        address: String,
        /// The node's URL.
        url: String,
    },
    /// The sending account cannot pay for the transaction.
    #[error("account {address} has insufficient funds for the transaction: {message}")]
    InsufficientFunds {
        /// The sender.
        address: String,
        /// The node's message.
        message: String,
    },
    /// The private key is not a 32-byte hex secp256k1 key (the key itself is never echoed).
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(String),
    /// A transaction was mined but failed.
    #[error("transaction {tx_hash} failed on chain: {message}")]
    TransactionFailed {
        /// Transaction hash.
        tx_hash: String,
        /// What is known about the failure.
        message: String,
    },
    /// The contract refused the transaction (the reason decoded when it is a known custom error).
    #[error("the transaction was refused: {reason}")]
    Reverted {
        /// The revert reason.
        reason: String,
    },
    /// The local anvil node could not be started.
    #[error("anvil: {0}")]
    Anvil(String),
    /// An input violates a precondition (e.g. wrong number of instances).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The package's keys or proof could not be loaded.
    #[error(transparent)]
    Prover(#[from] loopx_prover::ProverError),
    /// A file of the verifier's cache could not be written.
    #[error(transparent)]
    Artifact(#[from] loopx_srs::ArtifactError),
    /// An I/O operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl VerifierError {
    /// Wraps an I/O error with a description of what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }
}
