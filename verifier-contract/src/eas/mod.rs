//! Attested attributes on chain: the real Ethereum Attestation Service (EAS 1.8.0, compiled from
//! the pinned npm package with the solc it is written for) and `AttestedAttributes.sol`, the
//! consumer that records a model's attribute only when a trusted issuer vouched for the
//! features behind it.
//!
//! Two kinds of issuer evidence reach the consumer:
//! * an **EAS attestation** of the feature commitment ([`COMMITMENT_SCHEMA`], recipient = the
//!   wallet), made by the issuer with `attest` ([`attest_commitment`]), revocable in EAS;
//! * the **off-chain EIP-712 credential** itself, whose signature the consumer recovers
//!   (`submitWithCredential`): no issuer transaction per wallet, and the issuer revokes it with
//!   EAS's off-chain revocation registry (`revokeOffchain(uid)`), which the consumer reads. EAS's
//!   delegated attestations were the alternative; they bind the issuer's signature to one EAS
//!   deployment and to the attester's sequential EAS nonce, which breaks bulk, offline issuance.

use alloy::{
    network::TransactionBuilder,
    primitives::{keccak256, Address, Bytes, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolValue},
};
use halo2curves::bn256::Fr;
use loopx_credentials::Credential;
use serde::{Deserialize, Serialize};
use std::process::Command;

use crate::{calldata::fr_to_u256, chain, tools, CompiledContract, VerifierError};

mod bindings;
mod embedded;

use bindings::{
    reverted, AttestationRequest, AttestationRequestData, ISchemaRegistry, RevocationRequest,
    RevocationRequestData, IEAS,
};
pub use bindings::{Attestation, Attribute, FeatureCredential, IAttestedAttributes};
pub use embedded::{EmbeddedAttestation, EmbeddedSubmission};

/// The EAS schema of an issuer's feature commitment (revocable, no resolver).
pub const COMMITMENT_SCHEMA: &str = "bytes32 commitment, bytes32 featureSchemaId";

/// The EAS schema of a proven LoopX attribute, attested by the consumer (not revocable).
pub const ATTRIBUTE_SCHEMA: &str = "bytes32 modelId, uint256[] outputs, bytes32 featureCommitment";

/// Source of `AttestedAttributes.sol`.
pub const ATTESTED_ATTRIBUTES_SOL: &str = include_str!("../../contracts/AttestedAttributes.sol");

/// The EAS schema UID of `schema`: `keccak256(abi.encodePacked(schema, resolver, revocable))`.
pub fn schema_uid(schema: &str, resolver: Address, revocable: bool) -> B256 {
    let mut packed = schema.as_bytes().to_vec();
    packed.extend_from_slice(resolver.as_slice());
    packed.push(u8::from(revocable));
    keccak256(packed)
}

/// UID of [`COMMITMENT_SCHEMA`] (revocable, no resolver).
pub fn commitment_schema_uid() -> B256 {
    schema_uid(COMMITMENT_SCHEMA, Address::ZERO, true)
}

/// UID of [`ATTRIBUTE_SCHEMA`] (not revocable, no resolver).
pub fn attribute_schema_uid() -> B256 {
    schema_uid(ATTRIBUTE_SCHEMA, Address::ZERO, false)
}

/// EAS's two contracts, compiled from the pinned npm package.
#[derive(Clone, Debug)]
pub struct EasContracts {
    /// `SchemaRegistry` creation code.
    pub schema_registry: Vec<u8>,
    /// `EAS` creation code (constructor argument: the registry).
    pub eas: Vec<u8>,
    /// The solc version that compiled them.
    pub solc: String,
}

impl EasContracts {
    /// `EAS`' creation code with its constructor argument, the schema registry.
    pub fn eas_creation_code(&self, schema_registry: Address) -> Vec<u8> {
        let mut code = self.eas.clone();
        code.extend(schema_registry.abi_encode());
        code
    }
}

/// Compiles (or reads from the tools' cache) the real EAS contracts with `scripts/compile-eas.js`.
pub fn compile_eas() -> Result<EasContracts, VerifierError> {
    let dir = tools::ensure_tools()?;
    let script = dir.join("scripts").join("compile-eas.js");
    let output = Command::new("node")
        .arg(&script)
        .current_dir(&dir)
        .output()
        .map_err(|err| VerifierError::io(format!("running node {}", script.display()), err))?;
    let fail = |message: String| VerifierError::Compile { contract: "EAS".into(), message };
    if !output.status.success() {
        return Err(fail(String::from_utf8_lossy(&output.stderr).trim().to_string()));
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| fail(format!("unreadable compiler output: {e}")))?;
    let code = |name: &str| -> Result<Vec<u8>, VerifierError> {
        let text = json[name]["bytecode"].as_str().ok_or_else(|| fail(format!("no bytecode for {name}")))?;
        hex::decode(text.trim_start_matches("0x")).map_err(|e| fail(format!("{name}: {e}")))
    };
    Ok(EasContracts {
        schema_registry: code("SchemaRegistry")?,
        eas: code("EAS")?,
        solc: json["solc"].as_str().unwrap_or_default().to_string(),
    })
}

/// Compiles `AttestedAttributes.sol` with the pinned solc 0.8.19.
pub fn compile_attested_attributes() -> Result<CompiledContract, VerifierError> {
    let compiled = crate::compile_solidity(
        &[("AttestedAttributes.sol", ATTESTED_ATTRIBUTES_SOL)],
        "AttestedAttributes",
    )?;
    compiled.check_code_size()?;
    Ok(compiled)
}

/// Where EAS and the consumer live on a chain (`loopx eas deploy --json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EasDeployment {
    /// The EAS contract.
    pub eas: Address,
    /// EAS's schema registry.
    pub schema_registry: Address,
    /// The `AttestedAttributes` consumer.
    pub consumer: Address,
    /// UID of [`COMMITMENT_SCHEMA`].
    pub commitment_schema: B256,
    /// UID of [`ATTRIBUTE_SCHEMA`].
    pub attribute_schema: B256,
}

/// A mined transaction that the consumer accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// Transaction hash.
    pub tx_hash: B256,
    /// Gas used by the whole transaction.
    pub gas_used: u64,
}

/// A signer and a provider for `rpc_url`, checked to answer.
async fn connect(rpc_url: &str, private_key: &str) -> Result<(impl Provider, Address), VerifierError> {
    let url = chain::parse_url(rpc_url)?;
    let signer: PrivateKeySigner = private_key.trim().parse().map_err(|_| {
        VerifierError::InvalidPrivateKey("expected 32 bytes of hex (64 hex digits, optional 0x)".into())
    })?;
    let sender = signer.address();
    let provider = ProviderBuilder::new().wallet(signer).connect_http(url);
    chain::with_timeout(rpc_url, provider.get_chain_id()).await?;
    Ok((provider, sender))
}

/// Sends `calldata` to `to` from the key's account and waits for a successful receipt. A revert
/// becomes [`VerifierError::Reverted`] with the consumer's or EAS's error decoded when possible
/// (`WalletAttributes` shares the consumer's errors, so it is called through this too).
pub async fn transact(
    rpc_url: &str,
    private_key: &str,
    to: Address,
    calldata: Vec<u8>,
) -> Result<(Receipt, Vec<alloy::rpc::types::Log>), VerifierError> {
    let (provider, sender) = connect(rpc_url, private_key).await?;
    let tx = TransactionRequest::default().with_from(sender).with_to(to).with_input(Bytes::from(calldata));
    let estimate = match chain::with_timeout_or_revert(rpc_url, provider.estimate_gas(tx.clone())).await? {
        Ok(gas) => gas,
        Err((message, data)) => return Err(reverted(message, data.as_deref())),
    };
    // Nodes estimate the gas a transaction uses after refunds, and a submission that rewrites a
    // recorded attribute (or a nested EAS call under the 63/64 rule) needs more than that as
    // its limit: an exact estimate ran out of gas on anvil. A quarter more is never charged.
    let tx = tx.with_gas_limit(estimate + estimate / 4);
    let pending = match chain::with_timeout_or_revert(rpc_url, provider.send_transaction(tx)).await? {
        Ok(pending) => pending,
        Err((message, data)) => return Err(reverted(message, data.as_deref())),
    };
    let tx_hash = *pending.tx_hash();
    let receipt = pending.with_timeout(Some(chain::RECEIPT_TIMEOUT)).get_receipt().await.map_err(|err| {
        VerifierError::TransactionFailed {
            tx_hash: tx_hash.to_string(),
            message: format!("no receipt: {err}"),
        }
    })?;
    if !receipt.status() {
        return Err(VerifierError::TransactionFailed {
            tx_hash: tx_hash.to_string(),
            message: format!("reverted (gas used {})", receipt.gas_used),
        });
    }
    let logs = receipt.inner.logs().to_vec();
    Ok((Receipt { tx_hash, gas_used: receipt.gas_used }, logs))
}

/// Deploys EAS's `SchemaRegistry` and `EAS`, registers the LoopX schemas, and deploys an
/// `AttestedAttributes` consumer over them (owned by the key's account), which also attests each
/// recorded attribute in EAS when `record_in_eas`.
pub async fn deploy_eas(
    rpc_url: &str,
    private_key: &str,
    record_in_eas: bool,
) -> Result<EasDeployment, VerifierError> {
    let contracts = compile_eas()?;
    let schema_registry = chain::deploy(rpc_url, private_key, &contracts.schema_registry).await?;
    let eas = chain::deploy(rpc_url, private_key, &contracts.eas_creation_code(schema_registry)).await?;
    for call in schema_registrations() {
        transact(rpc_url, private_key, schema_registry, call).await?;
    }
    let consumer = deploy_consumer(rpc_url, private_key, eas, record_in_eas).await?;
    Ok(EasDeployment {
        eas,
        schema_registry,
        consumer,
        commitment_schema: commitment_schema_uid(),
        attribute_schema: attribute_schema_uid(),
    })
}

/// Deploys an `AttestedAttributes` consumer over the EAS at `eas`; with `record_in_eas`, each
/// recorded attribute is also an EAS attestation of [`ATTRIBUTE_SCHEMA`] (about 300k gas more
/// per submission, but any DApp then reads it through EAS).
pub async fn deploy_consumer(
    rpc_url: &str,
    private_key: &str,
    eas: Address,
    record_in_eas: bool,
) -> Result<Address, VerifierError> {
    chain::deploy(rpc_url, private_key, &consumer_creation_code(eas, record_in_eas)?).await
}

/// `AttestedAttributes`' creation code with its constructor arguments.
fn consumer_creation_code(eas: Address, record_in_eas: bool) -> Result<Vec<u8>, VerifierError> {
    let mut code = compile_attested_attributes()?.bytecode;
    let attribute_schema = if record_in_eas { attribute_schema_uid() } else { B256::ZERO };
    code.extend((eas, commitment_schema_uid(), attribute_schema).abi_encode_params());
    Ok(code)
}

/// The registry calls that register the LoopX schemas (no resolver).
fn schema_registrations() -> [Vec<u8>; 2] {
    [(COMMITMENT_SCHEMA, true), (ATTRIBUTE_SCHEMA, false)].map(|(schema, revocable)| {
        ISchemaRegistry::registerCall { schema: schema.to_string(), resolver: Address::ZERO, revocable }
            .abi_encode()
    })
}

/// Trusts (or stops trusting) `issuer` for feature schema `schema_id` (consumer owner only).
pub async fn set_issuer(
    rpc_url: &str,
    owner_key: &str,
    consumer: Address,
    schema_id: B256,
    issuer: Address,
    trusted: bool,
) -> Result<Receipt, VerifierError> {
    let call = IAttestedAttributes::setIssuerCall { featureSchemaId: schema_id, issuer, trusted };
    Ok(transact(rpc_url, owner_key, consumer, call.abi_encode()).await?.0)
}

/// Registers a model's verifier and feature schema with the consumer (owner only).
pub async fn register_model(
    rpc_url: &str,
    owner_key: &str,
    consumer: Address,
    model_id: B256,
    verifier: Address,
    schema_id: B256,
) -> Result<Receipt, VerifierError> {
    let call =
        IAttestedAttributes::registerModelCall { modelId: model_id, verifier, featureSchemaId: schema_id };
    Ok(transact(rpc_url, owner_key, consumer, call.abi_encode()).await?.0)
}

/// The issuer attests a feature commitment for `wallet` in EAS; returns the attestation's uid.
/// `expiration` 0 means none.
pub async fn attest_commitment(
    rpc_url: &str,
    issuer_key: &str,
    eas: Address,
    wallet: Address,
    commitment: B256,
    schema_id: B256,
    expiration: u64,
) -> Result<(B256, Receipt), VerifierError> {
    let data = (commitment, schema_id).abi_encode_params();
    attest(rpc_url, issuer_key, eas, (commitment_schema_uid(), true), wallet, data, expiration).await
}

/// Attests `data` for `recipient` under the EAS schema `(uid, revocable)`; returns the uid.
pub async fn attest(
    rpc_url: &str,
    attester_key: &str,
    eas: Address,
    (schema, revocable): (B256, bool),
    recipient: Address,
    data: Vec<u8>,
    expiration: u64,
) -> Result<(B256, Receipt), VerifierError> {
    let call = IEAS::attestCall {
        request: AttestationRequest {
            schema,
            data: AttestationRequestData {
                recipient,
                expirationTime: expiration,
                revocable,
                refUID: B256::ZERO,
                data: Bytes::from(data),
                value: U256::ZERO,
            },
        },
    };
    let (receipt, logs) = transact(rpc_url, attester_key, eas, call.abi_encode()).await?;
    let uid = logs
        .iter()
        .find_map(|log| log.log_decode::<IEAS::Attested>().ok().map(|l| l.inner.data.uid))
        .ok_or_else(|| VerifierError::TransactionFailed {
        tx_hash: receipt.tx_hash.to_string(),
        message: "EAS emitted no Attested event".into(),
    })?;
    Ok((uid, receipt))
}

/// The attester revokes a commitment attestation in EAS.
pub async fn revoke_attestation(
    rpc_url: &str,
    issuer_key: &str,
    eas: Address,
    uid: B256,
) -> Result<Receipt, VerifierError> {
    let call = IEAS::revokeCall {
        request: RevocationRequest {
            schema: commitment_schema_uid(),
            data: RevocationRequestData { uid, value: U256::ZERO },
        },
    };
    Ok(transact(rpc_url, issuer_key, eas, call.abi_encode()).await?.0)
}

/// The issuer revokes an off-chain credential (by its uid) in EAS's off-chain revocation registry.
pub async fn revoke_offchain(
    rpc_url: &str,
    issuer_key: &str,
    eas: Address,
    uid: B256,
) -> Result<Receipt, VerifierError> {
    Ok(transact(rpc_url, issuer_key, eas, IEAS::revokeOffchainCall { data: uid }.abi_encode()).await?.0)
}

/// The issuer evidence a submission carries.
#[derive(Clone, Debug)]
pub enum Evidence {
    /// The uid of the issuer's EAS attestation of the commitment.
    Attestation(B256),
    /// The off-chain credential's signed fields and the issuer's signature.
    Credential {
        /// The EIP-712 struct.
        credential: FeatureCredential,
        /// 65 bytes r‖s‖v.
        signature: Bytes,
    },
}

impl Evidence {
    /// The on-chain form of an off-chain credential.
    pub fn from_credential(credential: &Credential) -> Self {
        let c = credential.typed();
        Evidence::Credential {
            credential: FeatureCredential {
                wallet: c.wallet,
                commitment: c.commitment,
                schemaId: c.schemaId,
                issuedAt: c.issuedAt,
                expiresAt: c.expiresAt,
                uid: c.uid,
            },
            signature: credential.signature.clone(),
        }
    }
}

/// Submits a proof to the consumer; the consumer checks the evidence, verifies the proof and
/// records the attribute for the proof's wallet.
pub async fn submit(
    rpc_url: &str,
    sender_key: &str,
    consumer: Address,
    model_id: B256,
    proof: &[u8],
    instances: &[Fr],
    evidence: &Evidence,
) -> Result<Receipt, VerifierError> {
    let instances: Vec<U256> = instances.iter().map(fr_to_u256).collect();
    let proof = Bytes::from(proof.to_vec());
    let calldata = match evidence {
        Evidence::Attestation(uid) => {
            IAttestedAttributes::submitCall { modelId: model_id, proof, instances, attestationUid: *uid }
                .abi_encode()
        }
        Evidence::Credential { credential, signature } => IAttestedAttributes::submitWithCredentialCall {
            modelId: model_id,
            proof,
            instances,
            credential: credential.clone(),
            signature: signature.clone(),
        }
        .abi_encode(),
    };
    Ok(transact(rpc_url, sender_key, consumer, calldata).await?.0)
}

/// The attribute the consumer recorded for `wallet` under `model_id` (`proven` false if none).
pub async fn attribute_of(
    rpc_url: &str,
    consumer: Address,
    wallet: Address,
    model_id: B256,
) -> Result<Attribute, VerifierError> {
    let call = IAttestedAttributes::attributeOfCall { wallet, modelId: model_id };
    let output = read(rpc_url, consumer, call.abi_encode()).await?;
    IAttestedAttributes::attributeOfCall::abi_decode_returns(&output)
        .map_err(|e| VerifierError::InvalidInput(format!("attributeOf returned undecodable data: {e}")))
}

/// The EIP-712 digest the consumer computes for `credential` (what the issuer must have signed).
pub async fn credential_digest(
    rpc_url: &str,
    consumer: Address,
    credential: &FeatureCredential,
) -> Result<B256, VerifierError> {
    let call = IAttestedAttributes::credentialDigestCall { credential: credential.clone() };
    let output = read(rpc_url, consumer, call.abi_encode()).await?;
    IAttestedAttributes::credentialDigestCall::abi_decode_returns(&output)
        .map_err(|e| VerifierError::InvalidInput(format!("credentialDigest returned undecodable data: {e}")))
}

/// An `eth_call` to a contract that must have code; its return data.
pub async fn read(rpc_url: &str, to: Address, calldata: Vec<u8>) -> Result<Vec<u8>, VerifierError> {
    let url = chain::parse_url(rpc_url)?;
    let provider = ProviderBuilder::new().connect_http(url);
    let code = chain::with_timeout(rpc_url, provider.get_code_at(to)).await?;
    if code.is_empty() {
        return Err(VerifierError::NoCode { address: to.to_string(), url: rpc_url.to_string() });
    }
    let tx = TransactionRequest::default().with_to(to).with_input(Bytes::from(calldata));
    Ok(chain::with_timeout(rpc_url, provider.call(tx)).await?.to_vec())
}
