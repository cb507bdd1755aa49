//! The browser prover in a real browser: `loopx serve` serves the page, the wasm bundle and a
//! bundled model's package; headless Chromium (Debian's, driven by puppeteer-core) loads the page,
//! loads the features file, proves in the page's Web Worker, verifies in the page and downloads
//! the proof, which then verifies natively (`loopx verify`) and in revm (`loopx evm`).
//!
//! The test installs what it needs (scripts/build-wasm.sh: the wasm target and wasm-bindgen-cli;
//! web/test/ensure-tools.sh: Chromium via apt-get and the pinned puppeteer-core) and never skips.
//! Artifacts (screenshot, downloaded proof, figures) land in `target/browser-test/`.
//! `LOOPX_BROWSER_MODELS=risk_mlp,sybil_lr,…` proves other bundled models too (default: risk_mlp).

mod common;

use common::{json, loopx, stderr};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const WALLET: &str = "0x00000000000000000000000000000000000000b7";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs an install/build script of the repository; returns its stdout.
fn script(path: &str) -> String {
    let output = Command::new("bash").arg(root().join(path)).output().expect("bash runs");
    assert!(output.status.success(), "{path} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Compiles and sets up bundled model `name` (dev SRS) in `dir/name`.
fn package(dir: &Path, name: &str) -> String {
    let pkg = dir.join(name).display().to_string();
    let fixture =
        |suffix: &str| root().join("fixtures").join(format!("{name}.{suffix}")).display().to_string();
    let out = loopx(&[
        "compile",
        &fixture("onnx"),
        "--calibration",
        &fixture("calibration.json"),
        "--schema",
        &fixture("schema.toml"),
        "-o",
        &pkg,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = loopx(&["setup", &pkg, "--dev-srs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    pkg
}

/// `loopx serve` on a free port; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(packages: &[String]) -> Self {
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

#[test]
fn proves_in_headless_chromium_and_the_downloaded_proof_verifies_natively_and_in_revm() {
    script("scripts/build-wasm.sh");
    let chromium = script("web/test/ensure-tools.sh");
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
    let artifacts = root().join("target/browser-test");
    let wasm_bytes =
        std::fs::metadata(root().join("web/pkg/loopx_wasm_bg.wasm")).expect("bundle built").len();

    for (name, pkg) in models.iter().zip(&packages) {
        let out = artifacts.join(name);
        std::fs::create_dir_all(&out).expect("artifact dir");
        let drive = Command::new("node")
            .current_dir(root().join("web/test"))
            .arg("drive.mjs")
            .args(["--chromium", &chromium, "--url", &server.url, "--model", name, "--wallet", WALLET])
            .arg("--features")
            .arg(root().join("fixtures").join(format!("{name}.input.json")))
            .arg("--out")
            .arg(&out)
            .output()
            .expect("node runs");
        assert!(drive.status.success(), "{name}: {}", String::from_utf8_lossy(&drive.stderr));
        let mut figures: Value = serde_json::from_slice(&drive.stdout).expect("the driver prints JSON");
        assert_eq!(figures["claim"]["valid"], Value::Bool(true), "{figures}");
        assert_eq!(figures["claim"]["wallet"], WALLET, "{figures}");
        assert_eq!(figures["cross_origin_isolated"], Value::Bool(true), "COOP/COEP headers: {figures}");
        assert!(Path::new(figures["screenshot"].as_str().unwrap()).is_file());

        let proof = figures["proof_file"].as_str().expect("downloaded proof").to_string();
        let verified = loopx(&["verify", pkg, &proof, "--json"]);
        assert!(verified.status.success(), "{name}: loopx verify: {}", stderr(&verified));
        let claim = json(&verified);
        assert_eq!(claim["valid"], Value::Bool(true));
        let floats = |v: &Value| -> Vec<f64> {
            v.as_array().expect("outputs").iter().map(|x| x.as_f64().expect("a number")).collect()
        };
        assert_eq!(floats(&claim["outputs"]), floats(&figures["claim"]["outputs"]), "page and CLI outputs");
        let evm = loopx(&["evm", pkg, &proof, "--json"]);
        assert!(evm.status.success(), "{name}: loopx evm: {}", stderr(&evm));
        assert_eq!(json(&evm)["valid"], Value::Bool(true));

        figures["wasm_bytes"] = wasm_bytes.into();
        figures["evm_gas_used"] = json(&evm)["gas_used"].clone();
        let text = serde_json::to_string_pretty(&figures).expect("figures");
        std::fs::write(out.join("figures.json"), &text).expect("figures written");
        eprintln!("{name}: {text}");
    }
}
