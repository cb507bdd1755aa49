//! The LoopX proving core in the browser: a model package opened from the bytes of its files
//! (which the page fetched from `loopx serve`), proofs whose file is byte-for-byte the format
//! `loopx prove` writes (so `loopx verify`, `loopx evm` and the on-chain verifier accept them),
//! and native verification into a verified claim. Everything goes through the prover's
//! [`Package`] facade; this crate only converts between JavaScript values and it.
//!
//! A credential file (`loopx credential issue`) is proven after the same checks as
//! `loopx prove --credential` ([`Credential::opening_for`]), and the `WalletAttributes.submit`
//! calldata the page sends through the user's wallet is `loopx-abi`'s ([`submit_calldata`]).
//!
//! [`BrowserPackage`] is plain Rust (tested natively); the `bindings` module, compiled for
//! `wasm32`, wraps it for wasm-bindgen as the `LoopxPackage` class that `web/loopx.js` drives.
//! Proving is single-threaded by default (halo2 without `multicore`); the `threads` feature (a
//! nightly build with atomics, `scripts/build-wasm.sh --threads`) proves across a pool of Web
//! Workers (wasm-bindgen-rayon's `initThreadPool`), which web/engine.js starts when the page is
//! cross-origin isolated. Natively, [`serve`] is the static server `loopx serve` runs for the page.

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(not(target_arch = "wasm32"))]
pub mod serve;

use std::cell::OnceCell;

use loopx_abi::AbiError;
use loopx_credentials::{now_unix, Address, Credential, CredentialError};
use loopx_models::{ModelError, ModelPackage};
use loopx_prover::proof::fr_from_hex;
use loopx_prover::{
    parse_wallet, random_salt, Claim, ClaimVerifier, Package, PackageFiles, PackageProver, ProofFile,
    ProofRequest, ProverError,
};
use loopx_srs::SrsPolicy;
use serde::Serialize;
use thiserror::Error;

/// Why a browser call failed; the message is what the page shows.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BrowserError {
    /// The package, its keys or a proof were refused by the prover.
    #[error(transparent)]
    Prover(#[from] ProverError),
    /// The features do not fit the model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A salt that is not a field element.
    #[error("salt `{0}` is not a hex field element below the BN254 modulus")]
    InvalidSalt(String),
    /// The credential cannot be proven (malformed, edited, expired, another issuer, schema or wallet).
    #[error("the credential cannot be proven: {0}")]
    Credential(#[from] CredentialError),
    /// A proof file that cannot be turned into calldata.
    #[error(transparent)]
    Abi(#[from] AbiError),
    /// A JSON value could not be written.
    #[error("cannot encode {what} as JSON: {message}")]
    Encode {
        /// What was encoded.
        what: &'static str,
        /// serde_json's message.
        message: String,
    },
}

/// Result of browser calls.
pub type Result<T> = std::result::Result<T, BrowserError>;

/// What the page shows about a package before proving: the model and the features it takes.
#[derive(Clone, Debug, Serialize)]
pub struct PackageInfo {
    /// The package's name (its directory name when it was compiled).
    pub name: String,
    /// The model id.
    pub model_id: String,
    /// The features, in the model's order.
    pub features: Vec<FeatureInfo>,
    /// What a proof reveals (`vector`, `arg_max` or a threshold), as `model.json` spells it.
    pub output: serde_json::Value,
    /// What the schema says the output means, if it says.
    pub description: Option<String>,
}

/// One input feature.
#[derive(Clone, Debug, Serialize)]
pub struct FeatureInfo {
    /// Name (the key of a `{"features": {…}}` input).
    pub name: String,
    /// Unit, if the schema gives one.
    pub unit: String,
    /// Smallest accepted value, if the schema gives one.
    pub min: Option<f64>,
    /// Largest accepted value, if the schema gives one.
    pub max: Option<f64>,
    /// What it means, if the schema says.
    pub description: Option<String>,
}

/// A package opened from bytes, with its prover and verifier built on first use (each binds
/// its key to the model, which costs a verifying-key generation).
#[derive(Debug)]
pub struct BrowserPackage {
    package: Package,
    prover: OnceCell<PackageProver>,
    verifier: OnceCell<ClaimVerifier>,
}

impl BrowserPackage {
    /// Opens a package from its files; `name` names it in errors (the URL it came from).
    pub fn open(name: &str, files: PackageFiles) -> Result<Self> {
        Ok(BrowserPackage {
            package: Package::from_files(name, files)?,
            prover: OnceCell::new(),
            verifier: OnceCell::new(),
        })
    }

    /// The model package.
    pub fn model(&self) -> &ModelPackage {
        &self.package.package
    }

    /// The model and its features.
    pub fn info(&self) -> PackageInfo {
        let model = self.model();
        let schema = model.schema.as_ref();
        let features = model
            .quantized
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| {
                let spec = schema.and_then(|s| s.features.get(i));
                FeatureInfo {
                    name: input.name.clone(),
                    unit: spec.map(|s| s.unit.clone()).unwrap_or_default(),
                    min: spec.map(|s| s.min),
                    max: spec.map(|s| s.max),
                    description: spec.and_then(|s| s.description.clone()),
                }
            })
            .collect();
        PackageInfo {
            name: model.name.clone(),
            model_id: model.model_id.clone(),
            features,
            output: serde_json::to_value(&model.quantized.output).unwrap_or(serde_json::Value::Null),
            description: schema.and_then(|s| s.description.clone()),
        }
    }

    /// Loads the proving key and the SRS (once): a dev SRS proves, and the proof file says so,
    /// as with `loopx prove`.
    pub fn prover(&self) -> Result<&PackageProver> {
        if let Some(prover) = self.prover.get() {
            return Ok(prover);
        }
        let prover = self.package.prover(SrsPolicy::AllowDev)?;
        Ok(self.prover.get_or_init(|| prover))
    }

    /// Loads the verifying key and the SRS (once), bound to the model.
    pub fn verifier(&self) -> Result<&ClaimVerifier> {
        if let Some(verifier) = self.verifier.get() {
            return Ok(verifier);
        }
        let verifier = self.package.claim_verifier()?;
        Ok(self.verifier.get_or_init(|| verifier))
    }

    /// Proves an input document (`{"features": {…}}` or `{"input_data": [[…]]}`) for `wallet`,
    /// with `salt` or a fresh one; returns the proof file.
    pub fn prove(&self, input_json: &str, wallet: &str, salt: Option<&str>) -> Result<ProofFile> {
        let features = self.model().input_from_json(input_json, "the features")?;
        let wallet = parse_wallet(wallet.trim())?;
        let salt = match salt.map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) => fr_from_hex(text).ok_or_else(|| BrowserError::InvalidSalt(text.to_string()))?,
            None => random_salt(),
        };
        let request = ProofRequest { features: &features, wallet, salt };
        Ok(self.prover()?.prove(&request)?)
    }

    /// Proves an issuer's credential (the text of its file): checks it exactly as
    /// `loopx prove --credential` does — commitment, signature, `issuer` when given, validity
    /// now, the package's schema and input ranges, and `wallet` when given — then proves its
    /// committed features with its salt, so the proof's commitment is the one the issuer signed.
    pub fn prove_credential(
        &self,
        credential_json: &str,
        wallet: Option<&str>,
        issuer: Option<&str>,
    ) -> Result<ProofFile> {
        let credential = Credential::from_json(credential_json, "the credential file")?;
        let address = |text: Option<&str>| -> Result<Option<Address>> {
            let text = text.map(str::trim).filter(|t| !t.is_empty());
            Ok(text.map(parse_wallet).transpose()?.map(Address::from))
        };
        let opening = credential.opening_for(self.model(), now_unix(), address(issuer)?, address(wallet)?)?;
        let request =
            ProofRequest { features: &opening.features, wallet: opening.wallet, salt: opening.salt };
        let file = self.prover()?.prove(&request)?;
        credential.confirm_proof_commitment(&file.commitment)?;
        Ok(file)
    }

    /// Verifies the text of a proof file: `Ok(Some(claim))` when valid, `Ok(None)` when the proof
    /// does not verify, an error when the file is malformed or disagrees with its own proof.
    /// The dev-SRS policy is `loopx verify`'s: accepted, and the claim says so.
    pub fn verify(&self, proof_json: &str) -> Result<Option<Claim>> {
        let file = ProofFile::parse(proof_json)?;
        let verifier = self.verifier()?;
        SrsPolicy::AllowDev.admit(verifier.srs()).map_err(ProverError::from)?;
        match verifier.verify(&file) {
            Ok(claim) => Ok(Some(claim)),
            Err(ProverError::ProofRejected { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }
}

/// The `WalletAttributes.submit(modelId, proof, instances)` calldata of a proof file's text, as
/// `0x…` hex: the `data` of the transaction the page asks the user's wallet to send.
pub fn submit_calldata(proof_json: &str) -> Result<String> {
    let file = ProofFile::parse(proof_json)?;
    Ok(format!("0x{}", hex::encode(loopx_abi::submit_calldata(&file)?)))
}

/// A value as pretty JSON (the proof file is written exactly as `loopx prove` writes it).
pub fn to_json<T: Serialize>(what: &'static str, value: &T) -> Result<String> {
    serde_json::to_string_pretty(value).map_err(|e| BrowserError::Encode { what, message: e.to_string() })
}
