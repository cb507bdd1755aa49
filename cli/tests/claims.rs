//! What `loopx verify`, `loopx evm` and `loopx solidity` report comes from the proof's instances
//! and the package's bound keys: edited proof files, extra instances, out-of-range wallets and
//! swapped keys are refused with a clear error (exit 2), never printed as VALID.

mod common;

use common::{json, loopx, stderr, LOOPX};
use loopx_test_support::{fixture, model_file};

use std::path::{Path, PathBuf};
use std::process::Output;

use halo2curves::bn256::Fr;
use loopx_circuits::ModelCircuit;
use loopx_prover::keys::VERIFYING_KEY;
use loopx_prover::proof::{fr_to_hex, prove_circuit, witness};
use loopx_prover::{parse_wallet, KeyHeader, Package, ProofFile, ProofRequest};
use loopx_srs::artifact;
use serde_json::Value;

const WALLET: &str = "0x00000000000000000000000000000000000000aa";

fn prove(pkg: &str, name: &str, out_file: &Path) -> Value {
    let out = loopx(&[
        "prove",
        pkg,
        "--input",
        &model_file(name, "input.json").display().to_string(),
        "--wallet",
        WALLET,
        "-o",
        out_file.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    json(&out)
}

/// The command is refused with a handled error naming `needle`, and nothing says VALID.
fn assert_refused(output: &Output, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "expected a refusal, got {:?}: {err}", output.status);
    assert!(err.contains(needle), "error should mention `{needle}`: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("VALID") && !stdout.contains("\"valid\":true"), "{stdout}");
}

fn edited(tmp: &Path, proof: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(proof).unwrap()).unwrap();
    edit(&mut file);
    let path = tmp.join(name);
    std::fs::write(&path, file.to_string()).unwrap();
    path
}

#[test]
fn verify_and_evm_report_only_what_the_proof_proves() {
    let tmp = tempfile::tempdir().unwrap();
    let (pkg, digest) = LOOPX.set_up_bundled(tmp.path(), "risk_mlp");
    let proof = tmp.path().join("proof.json");
    let proven = prove(&pkg, "risk_mlp", &proof);

    let out = loopx(&["verify", &pkg, proof.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["valid"], true);
    assert_eq!(v["wallet"], WALLET);
    assert_eq!(v["outputs"], proven["outputs"]);
    assert_eq!(v["vk_digest"], digest.as_str());
    assert_eq!(v["dev_srs"], true);

    let out = loopx(&["solidity", &pkg, "-o", tmp.path().join("V.sol").to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["vk_digest"], digest.as_str());
    assert!(std::fs::read_to_string(tmp.path().join("V.sol")).unwrap().contains(&digest));

    // The forgery: wallet and outputs edited, instances and proof untouched.
    let forged = edited(tmp.path(), &proof, "forged.json", |f| {
        f["wallet"] = Value::String("0x000000000000000000000000000000000000dead".into());
        f["outputs"] = serde_json::json!([3.0]);
    });
    for command in ["verify", "evm"] {
        assert_refused(&loopx(&[command, &pkg, forged.to_str().unwrap(), "--json"]), "`wallet` says");
    }
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit); 4] = [
        ("`outputs` says", |f| f["outputs"] = serde_json::json!([3.0])),
        ("`dev_srs` says", |f| f["dev_srs"] = Value::Bool(false)),
        ("`commitment` says", |f| f["commitment"] = Value::String(fr_to_hex(&Fr::from(7)))),
        ("`model_id` says", |f| f["model_id"] = Value::String(format!("0x{}", "cd".repeat(32)))),
    ];
    for (needle, edit) in cases {
        let path = edited(tmp.path(), &proof, "edited.json", edit);
        assert_refused(&loopx(&["verify", &pkg, path.to_str().unwrap(), "--json"]), needle);
    }

    // A wallet instance of p − 1 (file made consistent with it) is refused, not truncated.
    let p_minus_1 = fr_to_hex(&-Fr::from(1));
    let wide = edited(tmp.path(), &proof, "wide.json", |f| f["instances"][1] = Value::String(p_minus_1));
    assert_refused(&loopx(&["verify", &pkg, wide.to_str().unwrap()]), "160-bit address");

    // A real proof over one extra trailing instance (a fake second output).
    let dir = Package::open(&pkg).unwrap();
    let keys = dir.keys().unwrap();
    let srs = dir.srs().unwrap();
    let features = dir.package.load_input(fixture("risk_mlp.input.json")).unwrap();
    let wallet = parse_wallet(WALLET).unwrap();
    let request = ProofRequest { features: &features, wallet, salt: Fr::from(5) };
    let (w, mut instances) = witness(&dir.package.quantized, &request).unwrap();
    instances.outputs.push(Fr::from(3));
    let circuit = ModelCircuit::with_witness(dir.package.quantized.clone(), keys.header.shape, w);
    let padded = prove_circuit(&circuit, &keys, &srs, instances).unwrap();
    let file = ProofFile::new(&dir.package, &keys.header, &padded, &wallet, request.salt, 0.0);
    let padded_path = tmp.path().join("padded.json");
    file.save(&padded_path).unwrap();
    assert_refused(&loopx(&["verify", &pkg, padded_path.to_str().unwrap()]), "publishes exactly 3");
}

#[test]
fn swapped_keys_are_refused_by_every_command_that_reads_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (risk, _) = LOOPX.set_up_bundled(tmp.path(), "risk_mlp");
    let (credit, _) = LOOPX.set_up_bundled(tmp.path(), "credit_mlp");
    let proof = tmp.path().join("credit-proof.json");
    prove(&credit, "credit_mlp", &proof);
    let risk_id = Package::open(&risk).unwrap().package.model_id;
    for file in ["vk.bin", "srs.bin"] {
        std::fs::copy(Path::new(&credit).join(file), Path::new(&risk).join(file)).unwrap();
    }
    let vk = Path::new(&risk).join("vk.bin");
    let (mut header, body): (KeyHeader, Vec<u8>) = artifact::read(&vk, VERIFYING_KEY).unwrap();
    header.model_id = risk_id;
    artifact::write(&vk, VERIFYING_KEY, &header, &body).unwrap();
    let sol = tmp.path().join("V.sol").display().to_string();
    for args in [
        vec!["verify", &risk, proof.to_str().unwrap()],
        vec!["evm", &risk, proof.to_str().unwrap()],
        vec!["solidity", &risk, "-o", &sol],
    ] {
        assert_refused(&loopx(&args), "does not belong to this package's model");
    }
}
