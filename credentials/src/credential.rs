//! The credential file: issuing, reading, checking.

use std::path::Path;

use alloy_primitives::{Address, Bytes, Signature, B256};
use alloy_sol_types::SolStruct;
use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;
use loopx_models::{ModelPackage, QuantizedModel, Schema, SchemaId};
use serde::{Deserialize, Serialize};
use web_time::{SystemTime, UNIX_EPOCH};

use crate::eip712::{credential_domain, FeatureCredential};
use crate::error::CredentialError;

/// Format tag of credential files, version 1.
pub const CREDENTIAL_FORMAT: &str = "loopx-credential/1";

/// Chain id signed into a credential when none is given (Ethereum mainnet).
pub const DEFAULT_CHAIN_ID: u64 = 1;

/// Validity of a credential when none is given.
pub const DEFAULT_VALIDITY_DAYS: u64 = 90;

/// One feature of a credential: its readable value and the integer committed to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialFeature {
    /// Feature name (the schema's).
    pub name: String,
    /// The value the issuer measured.
    pub value: f64,
    /// Its canonical encoding, `round(value · 2^scale_bits)`: what the commitment and the model read.
    pub encoded: i64,
}

/// An issued credential, as written to `CRED.json`:
///
/// ```json
/// {
///   "format": "loopx-credential/1",
///   "schema_id": "0x00…",            // SchemaId of the feature encoding
///   "schema_name": "wallet_activity",  // informational
///   "wallet": "0x…",
///   "features": [{"name": "tx_count", "value": 812.0, "encoded": 6496}, …],
///   "salt": "0x…",                   // BN254 scalar, big-endian; private: it opens the commitment
///   "commitment": "0x…",             // loopx_circuits::commitment(schema id, wallet, salt, encoded)
///   "issued_at": 1764676800, "expires_at": 1772452800,   // unix seconds
///   "uid": "0x…",                    // 32 random bytes naming the credential
///   "chain_id": 1,                   // EIP-712 domain chain id
///   "issuer": "0x…",
///   "signature": "0x…"               // 65 bytes r‖s‖v over the EIP-712 FeatureCredential
/// }
/// ```
///
/// The file is private to the wallet's owner (it holds the features and the salt); what goes on
/// chain is the signed [`FeatureCredential`]: wallet, commitment, schema id, times and uid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// [`CREDENTIAL_FORMAT`].
    pub format: String,
    /// The feature schema's id.
    pub schema_id: SchemaId,
    /// The schema's name, if it has one (not signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_name: Option<String>,
    /// The wallet the features describe.
    pub wallet: Address,
    /// The features, in the schema's order.
    pub features: Vec<CredentialFeature>,
    /// The commitment's salt.
    pub salt: B256,
    /// The feature commitment.
    pub commitment: B256,
    /// Issue time (unix seconds).
    pub issued_at: u64,
    /// Expiry (unix seconds).
    pub expires_at: u64,
    /// The credential's unique id.
    pub uid: B256,
    /// The EIP-712 domain's chain id.
    pub chain_id: u64,
    /// The issuer's address.
    pub issuer: Address,
    /// The issuer's 65-byte signature.
    pub signature: Bytes,
}

/// Seconds since the Unix epoch (the browser's clock in a browser).
pub fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// What proving a credential takes once it checked: the committed integers, the wallet and the
/// salt, so that the proof's commitment is the one the issuer signed.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialOpening {
    /// The wallet the proof is bound to (the credential's).
    pub wallet: [u8; 20],
    /// The committed, canonically encoded features (the model's quantized inputs).
    pub features: Vec<i64>,
    /// The commitment's salt.
    pub salt: Fr,
}

impl Credential {
    /// Parses a credential file's text (`what` names it in errors).
    pub fn from_json(text: &str, what: &str) -> Result<Self, CredentialError> {
        let credential: Credential = serde_json::from_str(text)
            .map_err(|e| CredentialError::Malformed { what: what.into(), message: e.to_string() })?;
        if credential.format != CREDENTIAL_FORMAT {
            return Err(CredentialError::Malformed {
                what: what.into(),
                message: format!("format `{}`, this build reads `{CREDENTIAL_FORMAT}`", credential.format),
            });
        }
        Ok(credential)
    }

    /// Reads a credential file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CredentialError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| CredentialError::Io { path: path.to_path_buf(), source })?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Writes the credential atomically (a temporary file renamed into place).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CredentialError> {
        let path = path.as_ref();
        let io = |source| CredentialError::Io { path: path.to_path_buf(), source };
        let text = serde_json::to_string_pretty(self).expect("a credential serializes");
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("credential"),
            std::process::id()
        ));
        std::fs::write(&tmp, text + "\n").map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// The signed typed-data struct.
    pub fn typed(&self) -> FeatureCredential {
        FeatureCredential {
            wallet: self.wallet,
            commitment: self.commitment,
            schemaId: B256::from(self.schema_id.0),
            issuedAt: self.issued_at,
            expiresAt: self.expires_at,
            uid: self.uid,
        }
    }

    /// The EIP-712 digest the issuer signs.
    pub fn signing_hash(&self) -> B256 {
        self.typed().eip712_signing_hash(&credential_domain(self.chain_id))
    }

    /// The committed integers, in the schema's order.
    pub fn encoded(&self) -> Vec<i64> {
        self.features.iter().map(|f| f.encoded).collect()
    }

    /// The salt as a field element.
    pub fn salt_fr(&self) -> Result<Fr, CredentialError> {
        b256_to_fr(&self.salt).ok_or_else(|| self.malformed("the salt is not below the BN254 modulus"))
    }

    /// The commitment as a field element.
    pub fn commitment_fr(&self) -> Result<Fr, CredentialError> {
        b256_to_fr(&self.commitment)
            .ok_or_else(|| self.malformed("the commitment is not below the BN254 modulus"))
    }

    /// The address whose key made the signature, refusing malformed and malleable (high-s)
    /// signatures as `AttestedAttributes` does.
    pub fn recover_signer(&self) -> Result<Address, CredentialError> {
        let bad = |m: &str| CredentialError::BadSignature(m.to_string());
        if self.signature.len() != 65 {
            return Err(bad(&format!("expected 65 bytes, found {}", self.signature.len())));
        }
        let signature = Signature::try_from(self.signature.as_ref()).map_err(|e| bad(&e.to_string()))?;
        if signature.normalize_s().is_some() {
            return Err(bad("s is in the upper half of the curve order (a malleated signature)"));
        }
        signature.recover_address_from_prehash(&self.signing_hash()).map_err(|e| bad(&e.to_string()))
    }

    /// Checks what needs no schema: the format, the commitment against the file's wallet, salt
    /// and encoded features, the signature against the stated issuer (and `trusted`, when
    /// given), and the validity window at `now`.
    pub fn check(&self, now: u64, trusted: Option<Address>) -> Result<(), CredentialError> {
        let recomputed = loopx_circuits::commitment(
            &self.schema_id,
            wallet_fr(&self.wallet),
            self.salt_fr()?,
            &self.encoded(),
        );
        if recomputed != self.commitment_fr()? {
            return Err(CredentialError::CommitmentMismatch {
                stated: self.commitment.to_string(),
                recomputed: fr_to_b256(&recomputed).to_string(),
            });
        }
        let signer = self.recover_signer()?;
        if signer != self.issuer {
            return Err(CredentialError::BadSignature(format!(
                "it was made by {signer}, not by the stated issuer {}: the signed fields were edited",
                self.issuer
            )));
        }
        if let Some(expected) = trusted.filter(|t| *t != signer) {
            return Err(CredentialError::UntrustedIssuer {
                expected: expected.to_string(),
                found: signer.to_string(),
            });
        }
        if self.expires_at <= now {
            return Err(CredentialError::Expired { expires_at: self.expires_at, now });
        }
        if self.issued_at > now {
            return Err(CredentialError::NotYetValid { issued_at: self.issued_at, now });
        }
        Ok(())
    }

    /// Checks the credential against a schema file: same schema id, the features named and
    /// ordered as the schema says, within its ranges, each value encoding to its committed integer.
    pub fn check_schema(&self, schema: &Schema) -> Result<(), CredentialError> {
        let expected = schema.id()?;
        if expected != self.schema_id {
            return Err(CredentialError::SchemaMismatch {
                credential: self.schema_id.to_hex(),
                expected: expected.to_hex(),
                context: "the schema file".into(),
            });
        }
        let names: Vec<&str> = self.features.iter().map(|f| f.name.as_str()).collect();
        if names != schema.names() {
            return Err(self.malformed("its features are not the schema's, in the schema's order"));
        }
        let values: Vec<f64> = self.features.iter().map(|f| f.value).collect();
        let encoded = schema.encode_row(&values)?;
        for (f, e) in self.features.iter().zip(encoded) {
            if f.encoded != e {
                return Err(CredentialError::EncodingMismatch {
                    feature: f.name.clone(),
                    value: f.value,
                    expected: e,
                    found: f.encoded,
                });
            }
        }
        Ok(())
    }

    /// Checks the credential can feed `model`: the model reads this schema's encoding, the
    /// committed integers are within the model's input ranges, and (when given) the wallet is
    /// `wallet`.
    pub fn check_for_model(
        &self,
        model: &QuantizedModel,
        wallet: Option<Address>,
    ) -> Result<(), CredentialError> {
        let expected = model.schema_id();
        if expected != self.schema_id {
            return Err(CredentialError::SchemaMismatch {
                credential: self.schema_id.to_hex(),
                expected: expected.to_hex(),
                context: "the model".into(),
            });
        }
        if let Some(wallet) = wallet.filter(|w| *w != self.wallet) {
            return Err(CredentialError::WalletMismatch {
                credential: self.wallet.to_string(),
                expected: wallet.to_string(),
            });
        }
        model.check_inputs(&self.encoded())?;
        Ok(())
    }

    /// Every check made before proving a credential with `package` — by `loopx prove
    /// --credential` and by the browser alike: [`check`](Self::check) (commitment, signature,
    /// `trusted` issuer, validity at `now`), [`check_for_model`](Self::check_for_model) (schema id,
    /// input ranges, `wallet` when given) and, when the package has a schema,
    /// [`check_schema`](Self::check_schema). Returns what the prover needs.
    pub fn opening_for(
        &self,
        package: &ModelPackage,
        now: u64,
        trusted: Option<Address>,
        wallet: Option<Address>,
    ) -> Result<CredentialOpening, CredentialError> {
        self.check(now, trusted)?;
        self.check_for_model(&package.quantized, wallet)?;
        if let Some(schema) = &package.schema {
            self.check_schema(schema)?;
        }
        Ok(CredentialOpening { wallet: self.wallet.0 .0, features: self.encoded(), salt: self.salt_fr()? })
    }

    /// Confirms that a proof made from this credential commits to the signed commitment
    /// (`commitment`: the proof file's `0x…` hex), so that a consumer contract accepts it.
    pub fn confirm_proof_commitment(&self, commitment: &str) -> Result<(), CredentialError> {
        let proven: Option<B256> = commitment.trim().parse().ok();
        if proven != Some(self.commitment) {
            return Err(CredentialError::ProofCommitment {
                proven: commitment.to_string(),
                signed: self.commitment.to_string(),
            });
        }
        Ok(())
    }

    fn malformed(&self, message: &str) -> CredentialError {
        CredentialError::Malformed { what: format!("the credential {}", self.uid), message: message.into() }
    }
}

/// A wallet address as the circuit's field element.
pub(crate) fn wallet_fr(wallet: &Address) -> Fr {
    loopx_circuits::wallet_to_fr(&wallet.0 .0)
}

/// A scalar as a big-endian `bytes32` (the EVM's encoding).
pub(crate) fn fr_to_b256(f: &Fr) -> B256 {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(f.to_repr().as_ref());
    bytes.reverse();
    B256::from(bytes)
}

/// A big-endian `bytes32` as a scalar; `None` at or above the modulus.
pub(crate) fn b256_to_fr(b: &B256) -> Option<Fr> {
    let mut repr = <Fr as PrimeField>::Repr::default();
    let mut bytes = b.0;
    bytes.reverse();
    repr.as_mut().copy_from_slice(&bytes);
    Option::from(Fr::from_repr(repr))
}
