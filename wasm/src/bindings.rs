//! The wasm-bindgen face of [`BrowserPackage`]: the `LoopxPackage` class. Values cross as
//! strings (JSON text) and byte arrays; every failure is a JavaScript `Error` whose message is the
//! prover's sentence, never a panic.

// Only its `js` feature is wanted: it routes halo2's and the salt's OsRng to crypto.getRandomValues.
use getrandom as _;
use wasm_bindgen::prelude::*;

use crate::{submit_calldata, to_json, BrowserPackage};
use loopx_prover::PackageFiles;

/// `initThreadPool(n)`: starts the Web Workers rayon (and so halo2) proves on. wasm-bindgen
/// exports it to JavaScript (web/engine.js calls it); nothing in Rust does, hence the allow.
#[cfg(feature = "threads")]
#[allow(unused_imports)]
pub use wasm_bindgen_rayon::init_thread_pool;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// Sends panic messages to the console: a panic in wasm aborts the instance with a bare
/// `unreachable`, and the message is the only clue to what happened.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| console_error(&format!("loopx-wasm panicked: {info}"))));
}

/// The version of this build (the `loopx-wasm` crate's).
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The size of this module's linear memory in bytes. Wasm memory only grows, so after a proof
/// it is the peak the prover needed (what the browser test reports per model).
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size::<0>() * 65536) as f64
}

/// The `WalletAttributes.submit` calldata (`0x…` hex) of a proof file's JSON text.
#[wasm_bindgen(js_name = submitCalldata)]
pub fn submit_calldata_hex(proof: &str) -> Result<String, JsError> {
    submit_calldata(proof).map_err(js_error)
}

/// A model package opened from the bytes of its files.
#[wasm_bindgen(js_name = LoopxPackage)]
pub struct LoopxPackage {
    inner: BrowserPackage,
}

fn js_error(error: impl std::fmt::Display) -> JsError {
    JsError::new(&error.to_string())
}

#[wasm_bindgen(js_class = LoopxPackage)]
impl LoopxPackage {
    /// Opens a package: `model` is the text of `model.json`; `pk` (to prove), `vk` (to verify)
    /// and `srs` are the bytes of `pk.bin`, `vk.bin` and `srs.bin`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        name: &str,
        model: String,
        pk: Option<Vec<u8>>,
        vk: Option<Vec<u8>>,
        srs: Option<Vec<u8>>,
    ) -> Result<LoopxPackage, JsError> {
        let files = PackageFiles { model, pk, vk, srs };
        Ok(LoopxPackage { inner: BrowserPackage::open(name, files).map_err(js_error)? })
    }

    /// The model and its features, as JSON text.
    pub fn info(&self) -> Result<String, JsError> {
        to_json("the package info", &self.inner.info()).map_err(js_error)
    }

    /// Loads and binds the proving key (otherwise the first `prove` does).
    #[wasm_bindgen(js_name = loadProver)]
    pub fn load_prover(&self) -> Result<(), JsError> {
        self.inner.prover().map(|_| ()).map_err(js_error)
    }

    /// Loads and binds the verifying key (otherwise the first `verify` does).
    #[wasm_bindgen(js_name = loadVerifier)]
    pub fn load_verifier(&self) -> Result<(), JsError> {
        self.inner.verifier().map(|_| ()).map_err(js_error)
    }

    /// Proves an input document for `wallet`; returns the proof file's JSON text, exactly as
    /// `loopx prove` writes it. `salt`: hex field element, or a fresh random one when absent.
    pub fn prove(&self, input: &str, wallet: &str, salt: Option<String>) -> Result<String, JsError> {
        let file = self.inner.prove(input, wallet, salt.as_deref()).map_err(js_error)?;
        to_json("the proof file", &file).map_err(js_error)
    }

    /// Proves an issuer's credential (its file's JSON text) after the checks of
    /// `loopx prove --credential`; `wallet` and `issuer` (0x addresses), when given, must be the
    /// credential's. Returns the proof file's JSON text.
    #[wasm_bindgen(js_name = proveCredential)]
    pub fn prove_credential(
        &self,
        credential: &str,
        wallet: Option<String>,
        issuer: Option<String>,
    ) -> Result<String, JsError> {
        let file = self
            .inner
            .prove_credential(credential, wallet.as_deref(), issuer.as_deref())
            .map_err(js_error)?;
        to_json("the proof file", &file).map_err(js_error)
    }

    /// Verifies a proof file's JSON text; returns the verified claim's JSON with `"valid": true`,
    /// or `{"valid": false, …}` when the proof does not verify. Throws on a malformed file.
    pub fn verify(&self, proof: &str) -> Result<String, JsError> {
        let value = match self.inner.verify(proof).map_err(js_error)? {
            Some(claim) => {
                let mut value = serde_json::to_value(&claim).map_err(js_error)?;
                value["valid"] = serde_json::Value::Bool(true);
                value
            }
            None => serde_json::json!({
                "valid": false,
                "model_id": self.inner.model().model_id,
                "reason": "the proof does not verify against this package's verifying key",
            }),
        };
        to_json("the claim", &value).map_err(js_error)
    }
}
