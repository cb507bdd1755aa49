//! EAS and the consumer in an embedded EVM: the attested path without a node.

use alloy::primitives::{Address, Bytes, B256};
use alloy::sol_types::SolCall;
use halo2curves::bn256::Fr;

use super::bindings::{reverted, IAttestedAttributes};
use super::{compile_eas, consumer_creation_code, schema_registrations, Attribute, Evidence};
use crate::{calldata::fr_to_u256, VerifierError};

/// EAS and an `AttestedAttributes` consumer in an [`EmbeddedEvm`](crate::EmbeddedEvm): the whole
/// attested path without a node (`loopx quickstart`). [`DEFAULT_CALLER`](crate::DEFAULT_CALLER)
/// deploys and owns everything.
#[derive(Debug)]
pub struct EmbeddedAttestation {
    evm: crate::EmbeddedEvm,
    consumer: Address,
}

/// What the embedded consumer did with one submission.
#[derive(Debug)]
pub struct EmbeddedSubmission {
    /// Gas of the whole `submit…` transaction.
    pub gas_used: u64,
    /// The attribute read back with `attributeOf`.
    pub attribute: Attribute,
}

impl EmbeddedAttestation {
    /// Deploys EAS (registry, schemas) and the consumer in a fresh EVM whose clock reads `now`.
    pub fn deploy(now: u64) -> Result<Self, VerifierError> {
        let contracts = compile_eas()?;
        let mut evm = crate::EmbeddedEvm::new();
        evm.set_timestamp(now);
        let registry = evm.deploy(&contracts.schema_registry)?;
        let eas = evm.deploy(&contracts.eas_creation_code(registry))?;
        let mut this = EmbeddedAttestation { evm, consumer: Address::ZERO };
        for call in schema_registrations() {
            this.send(registry, call)?;
        }
        this.consumer = this.evm.deploy(&consumer_creation_code(eas, true)?)?;
        Ok(this)
    }

    /// Deploys a model's verifier and registers it with its feature schema and trusted issuer.
    pub fn register_model(
        &mut self,
        verifier: &crate::CompiledVerifier,
        model_id: B256,
        schema_id: B256,
        issuer: Address,
    ) -> Result<Address, VerifierError> {
        let verifier = verifier.deploy_in(&mut self.evm)?;
        let register = IAttestedAttributes::registerModelCall {
            modelId: model_id,
            verifier,
            featureSchemaId: schema_id,
        };
        self.send(self.consumer, register.abi_encode())?;
        let trust = IAttestedAttributes::setIssuerCall { featureSchemaId: schema_id, issuer, trusted: true };
        self.send(self.consumer, trust.abi_encode())?;
        Ok(verifier)
    }

    /// `sender` submits a proof with an off-chain credential; the consumer's refusal is an error.
    pub fn submit(
        &mut self,
        sender: Address,
        model_id: B256,
        proof: &[u8],
        instances: &[Fr],
        evidence: &Evidence,
    ) -> Result<EmbeddedSubmission, VerifierError> {
        let Evidence::Credential { credential, signature } = evidence else {
            return Err(VerifierError::InvalidInput(
                "the embedded path takes an off-chain credential".into(),
            ));
        };
        let call = IAttestedAttributes::submitWithCredentialCall {
            modelId: model_id,
            proof: Bytes::from(proof.to_vec()),
            instances: instances.iter().map(fr_to_u256).collect(),
            credential: credential.clone(),
            signature: signature.clone(),
        };
        let outcome = self.evm.send(sender, self.consumer, call.abi_encode())?;
        if !outcome.success {
            return Err(reverted("reverted".into(), Some(&outcome.output)));
        }
        let wallet = credential.wallet;
        let read = IAttestedAttributes::attributeOfCall { wallet, modelId: model_id };
        let output = self.evm.call(sender, self.consumer, read.abi_encode())?.output;
        let attribute = IAttestedAttributes::attributeOfCall::abi_decode_returns(&output).map_err(|e| {
            VerifierError::InvalidInput(format!("attributeOf returned undecodable data: {e}"))
        })?;
        Ok(EmbeddedSubmission { gas_used: outcome.gas_used, attribute })
    }

    fn send(&mut self, to: Address, calldata: Vec<u8>) -> Result<(), VerifierError> {
        let outcome = self.evm.send(crate::DEFAULT_CALLER, to, calldata)?;
        if !outcome.success {
            return Err(reverted("reverted".into(), Some(&outcome.output)));
        }
        Ok(())
    }
}
