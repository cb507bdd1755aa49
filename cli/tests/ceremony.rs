//! A real trusted setup through the `loopx` binary: a snarkjs powers-of-tau file becomes an SRS
//! with `loopx srs import-ptau`, `loopx setup` accepts it without `--dev-srs`, and the keys,
//! proofs and JSON reports say the SRS is not a dev one. Bad ceremony files are clean errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

fn loopx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loopx")).args(args).output().expect("loopx runs")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> String {
    repo().join("fixtures").join(name).display().to_string()
}

fn json(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "loopx failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}"))
}

/// Compiles the bundled sybil_lr model into `dir`; returns the package path and its circuit k.
fn sybil_package(dir: &Path) -> (String, u32) {
    let pkg = dir.join("sybil").display().to_string();
    let report = json(&loopx(&[
        "compile",
        &fixture("sybil_lr.onnx"),
        "--calibration",
        &fixture("sybil_lr.calibration.json"),
        "--schema",
        &fixture("sybil_lr.schema.toml"),
        "-o",
        &pkg,
        "--json",
    ]));
    let k = report["circuit"]["shape"]["k"].as_u64().expect("compile reports the circuit k") as u32;
    (pkg, k)
}

/// A one-contribution powers-of-tau file of `power`, made with the pinned snarkjs (installed by
/// verifier-contract/scripts/ensure-tools.sh) and kept in the target's temporary folder.
fn ceremony_file(power: u32) -> PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let dir = tmp.join(format!("ptau-snarkjs-contributed-power{power}"));
        let file = dir.join("pot_0001.ptau");
        if file.exists() {
            return file;
        }
        let tools = repo().join("verifier-contract");
        let status = Command::new("bash")
            .arg(tools.join("scripts/ensure-tools.sh"))
            .status()
            .expect("bash runs verifier-contract/scripts/ensure-tools.sh");
        assert!(status.success(), "ensure-tools.sh failed ({status}); it needs node and npm");
        let snarkjs = tools.join("node_modules/.bin/snarkjs");
        assert!(snarkjs.exists(), "{} is missing after ensure-tools.sh", snarkjs.display());
        std::fs::create_dir_all(tmp).unwrap();
        let work = tempfile::tempdir_in(tmp).unwrap();
        let p = power.to_string();
        for args in [
            vec!["powersoftau", "new", "bn128", &p, "pot_0000.ptau"],
            vec![
                "powersoftau",
                "contribute",
                "pot_0000.ptau",
                "pot_0001.ptau",
                "--name=cli test",
                "-e=entropy",
            ],
        ] {
            let out = Command::new(&snarkjs).args(&args).current_dir(work.path()).output().unwrap();
            assert!(out.status.success(), "snarkjs {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        // Renamed into place whole, so a concurrent run never sees a half-written file.
        let made = work.keep();
        if std::fs::rename(&made, &dir).is_err() {
            std::fs::remove_dir_all(&made).ok();
        }
        file
    })
    .clone()
}

#[test]
fn imported_ceremony_sets_up_proves_and_verifies_without_dev_srs() {
    let tmp = tempfile::tempdir().unwrap();
    let (pkg, k) = sybil_package(tmp.path());
    let ptau = ceremony_file(k);
    let srs = tmp.path().join("ceremony.srs").display().to_string();

    let import = json(&loopx(&["srs", "import-ptau", &ptau.display().to_string(), "-o", &srs, "--json"]));
    assert_eq!(import["k"], k);
    assert_eq!(import["dev_srs"], false);
    assert_eq!(import["source"]["kind"], "ceremony");
    assert_eq!(import["ceremony"]["power"], k);
    assert_eq!(import["ceremony"]["contributions"], 1);
    assert_eq!(import["ceremony"]["lagrange_basis"], "computed");
    let ptau_sha = import["ceremony"]["sha256"].as_str().unwrap().to_string();
    assert_eq!(ptau_sha.len(), 64);

    let info = json(&loopx(&["srs", "info", &srs, "--json"]));
    assert_eq!(info["dev_srs"], false);
    assert_eq!(info["sha256"], import["sha256"]);
    let description = info["source"]["description"].as_str().unwrap();
    assert!(description.contains("pot_0001.ptau") && description.contains(&ptau_sha), "{description}");

    let setup = json(&loopx(&["setup", &pkg, "--srs", &srs, "--json"]));
    assert_eq!(setup["dev_srs"], false);

    let proof = tmp.path().join("proof.json").display().to_string();
    let proved =
        json(&loopx(&["prove", &pkg, "--input", &fixture("sybil_lr.input.json"), "-o", &proof, "--json"]));
    assert_eq!(proved["dev_srs"], false);
    let verified = loopx(&["verify", &pkg, &proof, "--json"]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    // The EVM verifier generated from the ceremony keys (its G2 points are the ceremony's).
    let evm = loopx(&["evm", &pkg, &proof, "--json"]);
    assert!(evm.status.success(), "{}", String::from_utf8_lossy(&evm.stderr));
    let evm = json(&evm);
    assert_eq!(evm["valid"], true);
    assert!(evm["gas_used"].as_u64().unwrap() > 0);

    // A ceremony SRS smaller than the circuit is refused at setup.
    let small = tmp.path().join("small.srs").display().to_string();
    let cut = (k - 1).to_string();
    json(&loopx(&["srs", "import-ptau", &ptau.display().to_string(), "-o", &small, "--k", &cut, "--json"]));
    let out = loopx(&["setup", &pkg, "--srs", &small]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("k = {}", k - 1)), "{err}");
}

#[test]
fn bad_ceremony_files_are_clean_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out_srs = tmp.path().join("x.srs").display().to_string();
    let not_ptau = tmp.path().join("model.ptau");
    std::fs::copy(fixture("sybil_lr.onnx"), &not_ptau).unwrap();
    let missing = tmp.path().join("missing.ptau");
    let cases = [
        (not_ptau.display().to_string(), vec![], "not a snarkjs powers-of-tau file"),
        (missing.display().to_string(), vec![], "missing.ptau"),
        (ceremony_file(sybil_package(tmp.path()).1).display().to_string(), vec!["--k", "29"], "k = 29"),
    ];
    for (file, extra, needle) in cases {
        let mut args = vec!["srs", "import-ptau", file.as_str(), "-o", out_srs.as_str(), "--json"];
        args.extend(extra);
        let out = loopx(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(needle) && !err.contains("panicked"), "{file}: {err}");
        let report: Value = serde_json::from_slice(&out.stdout).expect("--json errors are JSON");
        assert!(report["error"].as_str().unwrap().contains(needle));
    }
    assert!(!Path::new(&out_srs).exists(), "a failed import must not write an SRS");
}
