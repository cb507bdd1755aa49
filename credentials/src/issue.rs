//! Issuing a credential: the issuer's side (feature `issue`, which brings the signer crates).

use alloy_primitives::{Address, Bytes, B256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use loopx_models::Schema;
use rand::rngs::OsRng;
use rand::RngCore;

use crate::credential::{fr_to_b256, wallet_fr, Credential, CredentialFeature, CREDENTIAL_FORMAT};
use crate::error::CredentialError;

/// What an issuer signs for one wallet.
#[derive(Clone, Debug)]
pub struct IssueRequest<'a> {
    /// The feature schema (with a canonical encoding).
    pub schema: &'a Schema,
    /// Feature values, in the schema's order.
    pub values: &'a [f64],
    /// The wallet.
    pub wallet: Address,
    /// Issue time (unix seconds).
    pub issued_at: u64,
    /// Expiry (unix seconds).
    pub expires_at: u64,
    /// EIP-712 chain id.
    pub chain_id: u64,
}

/// Issues a credential: checks and encodes the features, draws the salt and the uid from the OS
/// CSPRNG, commits and signs.
pub fn issue(request: &IssueRequest<'_>, signer: &PrivateKeySigner) -> Result<Credential, CredentialError> {
    let schema = request.schema;
    let schema_id = schema.id()?;
    let encoded = schema.encode_row(request.values)?;
    if request.expires_at <= request.issued_at {
        return Err(CredentialError::Malformed {
            what: "the request".into(),
            message: "expires_at must be after issued_at".into(),
        });
    }
    let salt = Fr::random(OsRng);
    let mut uid = [0u8; 32];
    OsRng.fill_bytes(&mut uid);
    let commitment = loopx_circuits::commitment(&schema_id, wallet_fr(&request.wallet), salt, &encoded);
    let mut credential = Credential {
        format: CREDENTIAL_FORMAT.into(),
        schema_id,
        schema_name: schema.name.clone(),
        wallet: request.wallet,
        features: schema
            .features
            .iter()
            .zip(request.values)
            .zip(&encoded)
            .map(|((f, value), encoded)| CredentialFeature {
                name: f.name.clone(),
                value: *value,
                encoded: *encoded,
            })
            .collect(),
        salt: fr_to_b256(&salt),
        commitment: fr_to_b256(&commitment),
        issued_at: request.issued_at,
        expires_at: request.expires_at,
        uid: B256::from(uid),
        chain_id: request.chain_id,
        issuer: signer.address(),
        signature: Bytes::new(),
    };
    let signature = signer
        .sign_hash_sync(&credential.signing_hash())
        .map_err(|e| CredentialError::BadSignature(format!("signing failed: {e}")))?;
    credential.signature = Bytes::from(signature.as_bytes().to_vec());
    Ok(credential)
}
