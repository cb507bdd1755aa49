//! The browser prover in a real browser: `loopx serve` serves the page, the wasm bundle and
//! bundled models' packages; headless Chromium (Debian's, driven by puppeteer-core) loads the
//! page and drives it as a user would.
//!
//! * [`proves_features_and_a_credential_in_headless_chromium_and_records_the_attribute_through_the_injected_wallet`]:
//!   features from a file are proven in the page's Web Worker, verified in the page and
//!   downloaded, and the downloaded proof verifies natively (`loopx verify`) and in revm
//!   (`loopx evm`); then an issuer's credential is proven in the page, and that proof is submitted
//!   to a `WalletAttributes` contract on a real anvil node through an injected EIP-1193 wallet
//!   (anvil's unlocked dev account signs), and the chain records the attribute for the wallet.
//! * `hostile::…`: damaged packages, wrong feature counts, out-of-range values, malformed and
//!   edited credentials get error sentences from the page's API, never a wasm trap.
//!
//! The page proves on the threaded bundle (it is built, and `loopx serve` isolates the page), then
//! once more on the single-threaded one (`?threads=0`) for the figures.
//!
//! The tests install what they need (scripts/build-wasm.sh --threads: the wasm targets, nightly's
//! rust-src and wasm-bindgen-cli;
//! web/test/ensure-tools.sh: Chromium via apt-get and the pinned puppeteer-core; the pinned anvil
//! and solc through loopx-verifier-contract) and never skip. They run one at a time (a lock), so
//! the timings they print are not taken while another browser proves. Artifacts (screenshot,
//! downloaded proof, figures) land in `target/browser-test/<model>/`.
//! `LOOPX_BROWSER_MODELS=risk_mlp,sybil_lr,…` drives other bundled models too (default: risk_mlp).

#[path = "../common/mod.rs"]
mod common;
mod hostile;

use common::{json, loopx, stderr};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};

use loopx_credentials::{parse_private_key, Address};
use loopx_verifier_contract::abi::{
    decode_attribute_of_return, encode_attribute_of_calldata, encode_register_model_calldata, model_id_word,
    Attribute,
};
use loopx_verifier_contract::{block_on, compile_wallet_attributes, deploy_blocking, eas, AnvilNode, U256};
use serde_json::Value;

/// Key of the credentials' issuer in the tests (anvil's dev account 1; it protects nothing).
const ISSUER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/// One browser test at a time.
static BROWSER: Mutex<()> = Mutex::new(());

/// Takes the browser lock (a failed test does not poison the others).
pub fn browser_lock() -> MutexGuard<'static, ()> {
    BROWSER.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A bundled model's fixture file `fixtures/<name>.<suffix>`.
pub fn fixture(name: &str, suffix: &str) -> String {
    root().join("fixtures").join(format!("{name}.{suffix}")).display().to_string()
}

/// Runs an install/build script of the repository; returns its stdout.
fn script(path: &str, args: &[&str]) -> String {
    let output = Command::new("bash").arg(root().join(path)).args(args).output().expect("bash runs");
    assert!(output.status.success(), "{path} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Builds both bundles (single-threaded and threaded) and installs Chromium and the driver;
/// returns Chromium's path.
pub fn browser_tools() -> String {
    script("scripts/build-wasm.sh", &["--threads"]);
    script("web/test/ensure-tools.sh", &[])
}

/// Compiles and sets up bundled model `name` (dev SRS) in `dir/name`.
pub fn package(dir: &Path, name: &str) -> String {
    let pkg = dir.join(name).display().to_string();
    let out = loopx(&[
        "compile",
        &fixture(name, "onnx"),
        "--calibration",
        &fixture(name, "calibration.json"),
        "--schema",
        &fixture(name, "schema.toml"),
        "-o",
        &pkg,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = loopx(&["setup", &pkg, "--dev-srs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    pkg
}

/// Issues a credential over bundled model `name`'s sample features for `wallet` into `path`.
pub fn credential(name: &str, wallet: &str, chain_id: u64, path: &Path) -> Value {
    let out = loopx(&[
        "credential",
        "issue",
        "--schema",
        &fixture(name, "schema.toml"),
        "--input",
        &fixture(name, "input.json"),
        "--wallet",
        wallet,
        "--issuer-key",
        ISSUER_KEY,
        "--chain-id",
        &chain_id.to_string(),
        "-o",
        &path.display().to_string(),
        "--json",
    ]);
    assert!(out.status.success(), "loopx credential issue: {}", stderr(&out));
    serde_json::from_str(&std::fs::read_to_string(path).expect("credential written"))
        .expect("credential JSON")
}

/// Runs a driver script of web/test with node; returns the JSON object it printed.
pub fn node(script: &str, args: &[&str]) -> Value {
    let run = Command::new("node")
        .current_dir(root().join("web/test"))
        .arg(script)
        .args(args)
        .output()
        .expect("node runs");
    assert!(run.status.success(), "{script}: {}", String::from_utf8_lossy(&run.stderr));
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| {
        panic!("{script} printed no JSON ({e}): {}", String::from_utf8_lossy(&run.stdout))
    })
}

/// `loopx serve` on a free port; killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>/`.
    pub url: String,
}

impl Server {
    /// Serves `packages` (directories).
    pub fn start(packages: &[String]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_loopx"))
            .args(["serve", "--port", "0", "--json"])
            .args(packages)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("loopx serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("serve prints its URL");
        let started: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {line}"));
        let url = started["url"].as_str().expect("url").to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A local chain with a `WalletAttributes` consumer that the models' verifiers are registered in.
struct Chain {
    node: AnvilNode,
    consumer: Address,
}

impl Chain {
    fn start() -> Self {
        let node = AnvilNode::start().expect("anvil starts");
        let code = compile_wallet_attributes().expect("WalletAttributes compiles").bytecode;
        let consumer =
            deploy_blocking(node.url(), node.dev_private_key(0), &code).expect("WalletAttributes deploys");
        Chain { node, consumer }
    }

    /// Deploys the package's verifier (`loopx deploy`) and registers it for `model_id`.
    fn register(&self, pkg: &str, model_id: &str) {
        let out = loopx(&[
            "deploy",
            pkg,
            "--rpc-url",
            self.node.url(),
            "--private-key",
            self.node.dev_private_key(0),
            "--json",
        ]);
        assert!(out.status.success(), "loopx deploy: {}", stderr(&out));
        let verifier: Address = json(&out)["address"].as_str().expect("address").parse().expect("an address");
        let register = encode_register_model_calldata(model_id_word(model_id).expect("model id"), verifier);
        block_on(eas::transact(self.node.url(), self.node.dev_private_key(0), self.consumer, register))
            .expect("registerModel");
    }

    /// `attributeOf(wallet, model)`.
    fn attribute_of(&self, wallet: Address, model_id: &str) -> Attribute {
        let call = encode_attribute_of_calldata(wallet, model_id_word(model_id).expect("model id"));
        let answer = block_on(eas::read(self.node.url(), self.consumer, call)).expect("attributeOf answers");
        decode_attribute_of_return(&answer).expect("an Attribute")
    }
}

fn floats(value: &Value) -> Vec<f64> {
    value.as_array().expect("outputs").iter().map(|x| x.as_f64().expect("a number")).collect()
}

#[test]
fn proves_features_and_a_credential_in_headless_chromium_and_records_the_attribute_through_the_injected_wallet(
) {
    let _one_at_a_time = browser_lock();
    let chromium = browser_tools();
    let models: Vec<String> = std::env::var("LOOPX_BROWSER_MODELS")
        .ok()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| "risk_mlp".into())
        .split(',')
        .map(|m| m.trim().to_string())
        .collect();
    let tmp = tempfile::tempdir().expect("temp dir");
    let packages: Vec<String> = models.iter().map(|name| package(tmp.path(), name)).collect();
    let server = Server::start(&packages);
    let chain = Chain::start();
    // The proofs are about anvil's dev account 0, which the injected wallet sends from: the
    // contract records an attribute only for a proof's own wallet.
    let owner = parse_private_key(chain.node.dev_private_key(0)).expect("dev key").address();
    let wallet = owner.to_string();
    let chain_id = 31337;
    let artifacts = root().join("target/browser-test");
    let wasm_bytes =
        std::fs::metadata(root().join("web/pkg/loopx_wasm_bg.wasm")).expect("bundle built").len();
    let wasm_threads_bytes =
        std::fs::metadata(root().join("web/pkg-threads/loopx_wasm_bg.wasm")).expect("bundle built").len();

    for (name, pkg) in models.iter().zip(&packages) {
        let out = artifacts.join(name);
        std::fs::create_dir_all(&out).expect("artifact dir");
        let credential_file = tmp.path().join(format!("{name}.credential.json"));
        let issued = credential(name, &wallet, chain_id, &credential_file);
        let model: Value = serde_json::from_str(
            &std::fs::read_to_string(Path::new(pkg).join("model.json")).expect("model.json"),
        )
        .expect("model JSON");
        let model_id = model["model_id"].as_str().expect("model id").to_string();
        chain.register(pkg, &model_id);

        let rpc = chain.node.url().to_string();
        let consumer = chain.consumer.to_string();
        let features = fixture(name, "input.json");
        let credential_path = credential_file.display().to_string();
        let out_dir = out.display().to_string();
        // What both runs of the driver share: the browser, the page, the model and the inputs.
        let common: Vec<&str> = vec![
            "--chromium",
            &chromium,
            "--url",
            &server.url,
            "--model",
            name,
            "--wallet",
            &wallet,
            "--features",
            &features,
        ];
        let mut threaded = common.clone();
        threaded.extend([
            "--credential",
            &credential_path,
            "--rpc",
            &rpc,
            "--consumer",
            &consumer,
            "--out",
            &out_dir,
        ]);
        let mut figures = node("drive.mjs", &threaded);
        assert_eq!(figures["claim"]["valid"], Value::Bool(true), "{figures}");
        assert_eq!(figures["claim"]["wallet"].as_str().map(str::to_lowercase), Some(wallet.to_lowercase()));
        assert_eq!(figures["cross_origin_isolated"], Value::Bool(true), "COOP/COEP headers: {figures}");
        assert!(Path::new(figures["screenshot"].as_str().unwrap()).is_file());
        assert_eq!(figures["problems"], Value::Array(vec![]), "errors in the page: {figures}");

        // The downloaded proof verifies natively and in revm, with the page's outputs.
        let proof = figures["proof_file"].as_str().expect("downloaded proof").to_string();
        let verified = loopx(&["verify", pkg, &proof, "--json"]);
        assert!(verified.status.success(), "{name}: loopx verify: {}", stderr(&verified));
        let claim = json(&verified);
        assert_eq!(claim["valid"], Value::Bool(true));
        assert_eq!(floats(&claim["outputs"]), floats(&figures["claim"]["outputs"]), "page and CLI outputs");
        let evm = loopx(&["evm", pkg, &proof, "--json"]);
        assert!(evm.status.success(), "{name}: loopx evm: {}", stderr(&evm));
        assert_eq!(json(&evm)["valid"], Value::Bool(true));

        // The credential's proof commits to what the issuer signed.
        let from_credential = &figures["credential"];
        assert_eq!(from_credential["claim"]["valid"], Value::Bool(true), "{figures}");
        assert_eq!(from_credential["proof"]["commitment"], issued["commitment"], "{figures}");
        assert_eq!(
            floats(&from_credential["claim"]["outputs"]),
            floats(&claim["outputs"]),
            "same features, same verdict"
        );

        // The page sent one transaction, the submission, to the consumer; everything else it
        // fetched was the served page, bundle and package (GET, same origin).
        let transactions = figures["transactions"].as_array().expect("transactions");
        assert_eq!(transactions.len(), 1, "{figures}");
        assert_eq!(transactions[0]["to"].as_str().map(str::to_lowercase), Some(consumer.to_lowercase()));
        assert_eq!(
            transactions[0]["data"], figures["submission"]["calldata"],
            "the page sends loopx-abi's calldata"
        );
        for request in figures["requests"].as_array().expect("requests") {
            let url = request["url"].as_str().unwrap_or_default();
            assert!(
                request["method"] == "GET" && (url.starts_with(&server.url) || url.starts_with("blob:")),
                "the page sent something somewhere: {request}"
            );
        }

        // On chain: the attribute is recorded for the wallet, with the credential's commitment.
        let recorded = chain.attribute_of(owner, &model_id);
        assert!(recorded.proven, "{name}: nothing recorded for {owner}: {figures}");
        let commitment: U256 = issued["commitment"].as_str().expect("commitment").parse().expect("a word");
        assert_eq!(recorded.commitment, commitment);
        let proof_file: Value =
            serde_json::from_str(&std::fs::read_to_string(&proof).expect("proof file")).expect("proof JSON");
        let raw = proof_file["raw_outputs"][0].as_i64().expect("a raw output");
        if let Ok(raw) = u64::try_from(raw) {
            assert_eq!(
                recorded.value,
                U256::from(raw),
                "{name}: the recorded attribute is the model's first output"
            );
        }

        // The same proof on the single-threaded bundle (what a page gets without cross-origin
        // isolation), for the figures and to keep that path proven.
        let single_dir = out.join("single-threaded");
        std::fs::create_dir_all(&single_dir).expect("artifact dir");
        let single_out = single_dir.display().to_string();
        let mut single_threaded = common.clone();
        single_threaded.extend(["--out", &single_out, "--threads", "0"]);
        let single = node("drive.mjs", &single_threaded);
        assert_eq!(single["threads"], 1, "{single}");
        assert_eq!(single["claim"]["valid"], Value::Bool(true), "{single}");
        assert!(figures["wasm_memory_bytes"].as_f64().is_some_and(|m| m > 0.0), "{figures}");
        figures["single_threaded"] = serde_json::json!({
            "prove_ms": single["prove_ms"],
            "prepare_ms": single["prepare_ms"],
            "verify_ms": single["verify_ms"],
            "wasm_memory_bytes": single["wasm_memory_bytes"],
            "memory": single["memory"],
        });
        figures["wasm_bytes"] = wasm_bytes.into();
        figures["wasm_threads_bytes"] = wasm_threads_bytes.into();
        figures["evm_gas_used"] = json(&evm)["gas_used"].clone();
        figures["recorded_value"] = recorded.value.to_string().into();
        let text = serde_json::to_string_pretty(&figures).expect("figures");
        std::fs::write(out.join("figures.json"), &text).expect("figures written");
        eprintln!("{name}: {text}");
    }
}
