//! A real chain over JSON-RPC (alloy): deploy a verifier, ask it about a proof.

use crate::{calldata, EvmVerdict, VerifierError};
use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    transports::{http::reqwest::Url, RpcError, TransportErrorKind},
};
use halo2curves::bn256::Fr;
use std::{future::Future, time::Duration};

/// Longest wait for one RPC answer.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest wait for a deployment to be mined.
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(180);

/// Deploys `creation_code` with the account of `private_key` (hex, with or without `0x`) and
/// returns the contract's address once the transaction is mined.
pub async fn deploy(
    rpc_url: &str,
    private_key: &str,
    creation_code: &[u8],
) -> Result<Address, VerifierError> {
    let url = parse_url(rpc_url)?;
    let signer: PrivateKeySigner = private_key.trim().parse().map_err(|_| {
        VerifierError::InvalidPrivateKey("expected 32 bytes of hex (64 hex digits, optional 0x)".into())
    })?;
    let sender = signer.address();
    let provider = ProviderBuilder::new().wallet(signer).connect_http(url);
    with_timeout(rpc_url, provider.get_chain_id()).await?;

    let tx = TransactionRequest::default().with_from(sender).with_deploy_code(creation_code.to_vec());
    let pending = with_timeout(rpc_url, provider.send_transaction(tx)).await.map_err(|err| match err {
        VerifierError::Rpc { message, .. } if message.to_lowercase().contains("insufficient funds") => {
            VerifierError::InsufficientFunds { address: sender.to_string(), message }
        }
        other => other,
    })?;
    let tx_hash = pending.tx_hash().to_string();
    let receipt = pending.with_timeout(Some(RECEIPT_TIMEOUT)).get_receipt().await.map_err(|err| {
        VerifierError::TransactionFailed { tx_hash: tx_hash.clone(), message: format!("no receipt: {err}") }
    })?;
    if !receipt.status() {
        return Err(VerifierError::TransactionFailed {
            tx_hash,
            message: format!(
                "deployment reverted (gas used {}; is the code over the EIP-170 limit?)",
                receipt.gas_used
            ),
        });
    }
    receipt.contract_address.ok_or_else(|| VerifierError::TransactionFailed {
        tx_hash,
        message: "receipt has no contract address".into(),
    })
}

/// Asks the verifier at `address` about `proof` and `instances` with `eth_call`; the gas is
/// the node's `eth_estimateGas` for the same call (0 when the call reverts).
pub async fn verify_onchain(
    rpc_url: &str,
    address: Address,
    proof: &[u8],
    instances: &[Fr],
) -> Result<EvmVerdict, VerifierError> {
    verify_calldata_onchain(rpc_url, address, calldata::encode_verify_calldata(proof, instances)).await
}

/// Like [`verify_onchain`] with raw calldata (e.g. to ask about malformed inputs).
pub async fn verify_calldata_onchain(
    rpc_url: &str,
    address: Address,
    calldata: Vec<u8>,
) -> Result<EvmVerdict, VerifierError> {
    let url = parse_url(rpc_url)?;
    let provider = ProviderBuilder::new().connect_http(url);
    with_timeout(rpc_url, provider.get_chain_id()).await?;
    let code = with_timeout(rpc_url, provider.get_code_at(address)).await?;
    if code.is_empty() {
        return Err(VerifierError::NoCode { address: address.to_string(), url: rpc_url.to_string() });
    }

    let tx = TransactionRequest::default().with_to(address).with_input(Bytes::from(calldata));
    let output = match with_timeout(rpc_url, provider.call(tx.clone())).await {
        Ok(output) => output,
        // The node ran the call and it reverted: the verifier said no.
        Err(VerifierError::Rpc { message, .. }) if message.to_lowercase().contains("revert") => {
            return Ok(EvmVerdict { valid: false, gas_used: 0 });
        }
        Err(other) => return Err(other),
    };
    let valid = calldata::decode_verify_return(&output) == Some(true);
    let gas_used = with_timeout(rpc_url, provider.estimate_gas(tx)).await.unwrap_or(0);
    Ok(EvmVerdict { valid, gas_used })
}

/// [`deploy`] for callers without an async runtime.
pub fn deploy_blocking(
    rpc_url: &str,
    private_key: &str,
    creation_code: &[u8],
) -> Result<Address, VerifierError> {
    block_on(deploy(rpc_url, private_key, creation_code))
}

/// [`verify_onchain`] for callers without an async runtime.
pub fn verify_onchain_blocking(
    rpc_url: &str,
    address: Address,
    proof: &[u8],
    instances: &[Fr],
) -> Result<EvmVerdict, VerifierError> {
    block_on(verify_onchain(rpc_url, address, proof, instances))
}

/// Runs an RPC future to completion on a fresh single-threaded runtime (for callers without one).
pub fn block_on<T>(future: impl Future<Output = Result<T, VerifierError>>) -> Result<T, VerifierError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(VerifierError::InvalidInput(
            "a *_blocking function was called inside an async runtime; await the async version".into(),
        ));
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| VerifierError::io("starting an async runtime", err))?
        .block_on(future)
}

pub(crate) fn parse_url(rpc_url: &str) -> Result<Url, VerifierError> {
    let url: Url = rpc_url.parse().map_err(|err| VerifierError::InvalidRpcUrl {
        url: rpc_url.to_string(),
        message: format!("{err}"),
    })?;
    match url.scheme() {
        "http" => {}
        // The workspace builds alloy's reqwest transport without a TLS backend.
        "https" => {
            return Err(VerifierError::InvalidRpcUrl {
                url: rpc_url.to_string(),
                message: "https:// endpoints need TLS, which this build leaves out (alloy feature \
                          `reqwest-rustls-tls`); use an http:// endpoint (e.g. a local node or proxy)"
                    .into(),
            })
        }
        _ => {
            return Err(VerifierError::InvalidRpcUrl {
                url: rpc_url.to_string(),
                message: "only http:// endpoints are supported".into(),
            })
        }
    }
    Ok(url)
}

/// Awaits one RPC request with [`RPC_TIMEOUT`], classifying failures: no answer at the
/// transport level is "not reachable", an error answer is the node's message.
pub(crate) async fn with_timeout<T>(
    rpc_url: &str,
    request: impl std::future::IntoFuture<Output = Result<T, RpcError<TransportErrorKind>>>,
) -> Result<T, VerifierError> {
    classify(rpc_url, tokio::time::timeout(RPC_TIMEOUT, request.into_future()).await)
}

/// Like [`with_timeout`], but a call the node ran and reverted comes back as its revert data
/// (`Ok(Err(data))`) for the caller to decode.
pub(crate) async fn with_timeout_or_revert<T>(
    rpc_url: &str,
    request: impl std::future::IntoFuture<Output = Result<T, RpcError<TransportErrorKind>>>,
) -> Result<Result<T, (String, Option<Vec<u8>>)>, VerifierError> {
    match tokio::time::timeout(RPC_TIMEOUT, request.into_future()).await {
        Ok(Err(RpcError::ErrorResp(payload))) if payload.message.to_lowercase().contains("revert") => {
            Ok(Err((payload.message.to_string(), payload.as_revert_data().map(|d| d.to_vec()))))
        }
        other => classify(rpc_url, other).map(Ok),
    }
}

fn classify<T>(
    rpc_url: &str,
    outcome: Result<Result<T, RpcError<TransportErrorKind>>, tokio::time::error::Elapsed>,
) -> Result<T, VerifierError> {
    match outcome {
        Err(_) => Err(VerifierError::RpcUnreachable {
            url: rpc_url.to_string(),
            message: format!("no answer within {} s", RPC_TIMEOUT.as_secs()),
        }),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(RpcError::Transport(kind))) => {
            Err(VerifierError::RpcUnreachable { url: rpc_url.to_string(), message: transport_message(&kind) })
        }
        Ok(Err(RpcError::ErrorResp(payload))) => {
            Err(VerifierError::Rpc { url: rpc_url.to_string(), message: payload.message.to_string() })
        }
        Ok(Err(other)) => Err(VerifierError::Rpc { url: rpc_url.to_string(), message: other.to_string() }),
    }
}

/// The innermost cause of a transport error ("Connection refused" rather than "error sending
/// request").
fn transport_message(kind: &TransportErrorKind) -> String {
    let mut message = kind.to_string();
    let mut source = std::error::Error::source(kind);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}
