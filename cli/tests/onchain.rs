//! The on-chain commands as a user drives them: `loopx quickstart` ends in the EVM, and on the
//! package it sets up `loopx solidity`, `loopx evm`, `loopx deploy` and `loopx verify-onchain`
//! work against the embedded EVM and a local anvil node; invalid proofs exit 1, and an
//! unreachable node or an address without code are clear errors (exit 2). Only 127.0.0.1 is
//! ever contacted.

mod common;

use common::{json, loopx, stderr};

use std::path::Path;
use std::process::Output;

use loopx_verifier_contract::{AnvilNode, ANVIL_DEV_PRIVATE_KEYS};
use serde_json::Value;

fn assert_ok(output: &Output, what: &str) {
    assert!(output.status.success(), "{what} failed ({:?}): {}", output.status, stderr(output));
}

fn assert_clean_error(output: &Output, needles: &[&str]) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "expected a handled error, got {:?}: {err}", output.status);
    for needle in needles {
        assert!(err.contains(needle), "error should mention `{needle}`: {err}");
    }
    assert!(!err.contains("panicked"), "panicked: {err}");
}

/// A copy of the proof file at `proof` with one proof byte changed.
fn tampered_copy(proof: &Path, out: &Path) -> String {
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(proof).unwrap()).unwrap();
    let hex = file["proof"].as_str().unwrap().to_string();
    let at = hex.len() / 2;
    let digit = if &hex[at..at + 1] == "0" { "1" } else { "0" };
    file["proof"] = Value::String(format!("{}{digit}{}", &hex[..at], &hex[at + 1..]));
    std::fs::write(out, file.to_string()).unwrap();
    out.display().to_string()
}

#[test]
fn quickstart_package_goes_through_solidity_evm_deploy_and_verify_onchain() {
    let tmp = tempfile::tempdir().unwrap();
    let path = |name: &str| tmp.path().join(name).display().to_string();

    // quickstart ends in the EVM.
    let out = loopx(&["quickstart", "--model", "risk_mlp", "--dir", tmp.path().to_str().unwrap(), "--json"]);
    assert_ok(&out, "quickstart");
    let quickstart = json(&out);
    assert_eq!(quickstart["valid"], true);
    assert_eq!(quickstart["evm"]["valid"], true, "{quickstart}");
    let quickstart_gas = quickstart["evm"]["gas_used"].as_u64().expect("evm.gas_used");
    assert!(quickstart_gas > 0);
    let verifier_bytes = quickstart["evm"]["verifier_bytes"].as_u64().expect("evm.verifier_bytes");
    assert!(verifier_bytes > 0 && verifier_bytes <= 24_576, "{verifier_bytes}");
    let pkg = path("risk_mlp");
    let proof = quickstart["proof"].as_str().expect("proof path").to_string();
    // The attested path: the consumer over EAS recorded what the credential's proof proves.
    let attested = &quickstart["attested"];
    let attested_proof: Value =
        serde_json::from_str(&std::fs::read_to_string(attested["proof"].as_str().unwrap()).unwrap()).unwrap();
    let raw: Vec<String> =
        attested_proof["raw_outputs"].as_array().unwrap().iter().map(|v| v.to_string()).collect();
    assert_eq!(attested["outputs"], serde_json::json!(raw), "{attested}");
    let credential: Value =
        serde_json::from_str(&std::fs::read_to_string(attested["credential"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(attested_proof["commitment"], credential["commitment"]);
    assert!(attested["submit_gas"].as_u64().unwrap() > quickstart_gas);
    assert!(Path::new(&proof).is_file());
    eprintln!("quickstart risk_mlp: evm gas {quickstart_gas}, verifier {verifier_bytes} bytes");

    // loopx solidity: the source and the ABI beside it.
    let sol = path("Verifier.sol");
    let out = loopx(&["solidity", &pkg, "-o", &sol, "--json"]);
    assert_ok(&out, "solidity");
    let report = json(&out);
    let source = std::fs::read_to_string(&sol).expect("Verifier.sol written");
    assert!(source.contains("pragma solidity") && source.contains("function verifyProof"), "{source:.300}");
    let abi_path = tmp.path().join("Verifier.abi.json");
    assert_eq!(report["abi"].as_str().map(Path::new), Some(abi_path.as_path()));
    let abi: Value = serde_json::from_str(&std::fs::read_to_string(&abi_path).expect("ABI written")).unwrap();
    assert!(
        abi.as_array().unwrap().iter().any(|item| item["name"] == "verifyProof"),
        "ABI lacks verifyProof: {abi}"
    );
    assert_eq!(report["deployed_bytes"].as_u64(), Some(verifier_bytes));
    assert_eq!(report["instances"], 3);

    // loopx evm: valid with gas; a tampered proof exits 1.
    let out = loopx(&["evm", &pkg, &proof, "--json"]);
    assert_ok(&out, "evm");
    let evm = json(&out);
    assert_eq!(evm["valid"], true);
    let gas = evm["gas_used"].as_u64().expect("gas_used");
    assert!(gas > 0);
    let tampered = tampered_copy(Path::new(&proof), &tmp.path().join("tampered.json"));
    let out = loopx(&["evm", &pkg, &tampered, "--json"]);
    assert_eq!(out.status.code(), Some(1), "tampered proof: {:?} {}", out.status, stderr(&out));
    assert_eq!(json(&out)["valid"], false);
    let out = loopx(&["evm", &pkg, &tampered]);
    assert_eq!(out.status.code(), Some(1), "tampered proof (prose): {}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("INVALID"));

    // A local chain: deploy, then verify on chain.
    let node = AnvilNode::start().expect("anvil starts");
    let url = node.url().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let key = ANVIL_DEV_PRIVATE_KEYS[0];
    let out = loopx(&["deploy", &pkg, "--rpc-url", &url, "--private-key", key, "--json"]);
    assert_ok(&out, "deploy");
    let key_digits = key.trim_start_matches("0x");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(key_digits) && !stderr(&out).contains(key_digits),
        "deploy echoed the private key"
    );
    let deployed = json(&out);
    let address = deployed["address"].as_str().expect("address").to_string();
    assert!(address.starts_with("0x") && address.len() == 42, "{address}");
    assert_eq!(deployed["deployed_bytes"].as_u64(), Some(verifier_bytes));

    let out = loopx(&["verify-onchain", &proof, "--rpc-url", &url, "--address", &address, "--json"]);
    assert_ok(&out, "verify-onchain");
    let onchain = json(&out);
    assert_eq!(onchain["valid"], true);
    let onchain_gas = onchain["gas_used"].as_u64().expect("gas_used");
    assert!(onchain_gas >= gas, "eth_estimateGas {onchain_gas} below revm's {gas}");
    eprintln!("risk_mlp: loopx evm {gas} gas, verify-onchain (eth_estimateGas) {onchain_gas} gas");

    // With the package: the whole claim, decoded from the instances the chain accepted.
    let out = loopx(&[
        "verify-onchain",
        &proof,
        "--rpc-url",
        &url,
        "--address",
        &address,
        "--package",
        &pkg,
        "--json",
    ]);
    assert_ok(&out, "verify-onchain --package");
    let claim = json(&out);
    assert_eq!(claim["valid"], true);
    assert_eq!(claim["wallet"], onchain["wallet"]);
    assert!(claim["vk_digest"].as_str().is_some_and(|d| d.starts_with("0x")), "{claim}");
    // A file whose descriptive wallet disagrees with its instances is refused before any call.
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    file["wallet"] = Value::String("0x000000000000000000000000000000000000dead".into());
    let forged = Path::new(&proof).with_file_name("forged-wallet.json");
    std::fs::write(&forged, file.to_string()).unwrap();
    let out = loopx(&["verify-onchain", forged.to_str().unwrap(), "--rpc-url", &url, "--address", &address]);
    assert_clean_error(&out, &["`wallet` says"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("VALID"));

    let out = loopx(&["verify-onchain", &tampered, "--rpc-url", &url, "--address", &address, "--json"]);
    assert_eq!(out.status.code(), Some(1), "tampered proof on chain: {:?} {}", out.status, stderr(&out));
    assert_eq!(json(&out)["valid"], false);

    // The deployer's account has no code: a clear error, not a verdict.
    let eoa = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    let out = loopx(&["verify-onchain", &proof, "--rpc-url", &url, "--address", eoa]);
    assert_clean_error(&out, &["no contract code", &url]);
    assert!(stderr(&out).to_lowercase().contains(&eoa.to_lowercase()), "{}", stderr(&out));
    let out = loopx(&["verify-onchain", &proof, "--rpc-url", &url, "--address", eoa, "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(json(&out)["error"].as_str().unwrap().contains("no contract code"));
    let out = loopx(&["verify-onchain", &proof, "--rpc-url", &url, "--address", "0x1234"]);
    assert_clean_error(&out, &["--address"]);
    drop(node);

    // Nothing listens on 127.0.0.1:1: exit 2, naming the URL.
    let dead = "http://127.0.0.1:1";
    let out = loopx(&["verify-onchain", &proof, "--rpc-url", dead, "--address", &address]);
    assert_clean_error(&out, &[dead, "not reachable"]);
    let out = loopx(&["verify-onchain", &proof, "--rpc-url", dead, "--address", &address, "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(json(&out)["error"].as_str().unwrap().contains(dead));
    let out = loopx(&["deploy", &pkg, "--rpc-url", dead, "--private-key", key]);
    assert_clean_error(&out, &[dead, "not reachable"]);
}

/// `--optimize speed` may lay a model out wider than one contract's verifier allows (credit_mlp:
/// 12 columns, four dense outputs per row, ~28 kB): `loopx solidity` writes every contract and
/// says the deployment order, `loopx evm` runs the split verifier, `loopx deploy` deploys the parts
/// and then the verifier, whose address judges the proof on chain like the embedded EVM.
#[test]
fn a_speed_package_whose_verifier_is_split_goes_through_solidity_evm_deploy_and_verify_onchain() {
    use loopx_test_support::model_file;
    let tmp = tempfile::tempdir().unwrap();
    let path = |name: &str| tmp.path().join(name).display().to_string();
    let file = |suffix: &str| model_file("credit_mlp", suffix).display().to_string();
    let pkg = path("pkg");
    let (onnx, calibration, schema) = (file("onnx"), file("calibration.json"), file("schema.toml"));
    let args = [
        "compile",
        &onnx,
        "--calibration",
        &calibration,
        "--schema",
        &schema,
        "-o",
        &pkg,
        "--optimize",
        "speed",
    ];
    assert_ok(&loopx(&args), "compile --optimize speed");
    assert_ok(&loopx(&["setup", &pkg, "--dev-srs"]), "setup");
    let proof = path("proof.json");
    let input = file("input.json");
    let wallet = "0x00000000000000000000000000000000000000aa";
    assert_ok(&loopx(&["prove", &pkg, "--input", &input, "--wallet", wallet, "-o", &proof]), "prove");

    let sol = path("Verifier.sol");
    let out = loopx(&["solidity", &pkg, "-o", &sol, "--json"]);
    assert_ok(&out, "solidity");
    let report = json(&out);
    let contracts = report["contracts"].as_array().expect("contracts").clone();
    assert!(contracts.len() >= 2, "not split: {report}");
    assert!(contracts.iter().all(|c| c["deployed_bytes"].as_u64().unwrap() <= 24_576), "{report}");
    assert_eq!(contracts.last().unwrap()["name"], "LoopXVerifier");
    let source = std::fs::read_to_string(&sol).unwrap();
    for contract in &contracts {
        assert!(source.contains(&format!("contract {} ", contract["name"].as_str().unwrap())), "{contract}");
    }
    let prose = loopx(&["solidity", &pkg, "-o", &sol]);
    assert!(
        String::from_utf8_lossy(&prose.stdout).contains("first, then LoopXVerifier"),
        "{}",
        stderr(&prose)
    );

    let out = loopx(&["evm", &pkg, &proof, "--json"]);
    assert_ok(&out, "evm");
    assert_eq!(json(&out)["valid"], true);
    let tampered = tampered_copy(Path::new(&proof), &tmp.path().join("tampered.json"));
    assert_eq!(loopx(&["evm", &pkg, &tampered]).status.code(), Some(1), "tampered proof accepted in revm");

    let node = AnvilNode::start().expect("anvil starts");
    let url = node.url().to_string();
    let key = ANVIL_DEV_PRIVATE_KEYS[0];
    let out = loopx(&["deploy", &pkg, "--rpc-url", &url, "--private-key", key, "--json"]);
    assert_ok(&out, "deploy");
    let address = json(&out)["address"].as_str().expect("address").to_string();
    let out = loopx(&["verify-onchain", &proof, "--rpc-url", &url, "--address", &address, "--json"]);
    assert_ok(&out, "verify-onchain");
    assert_eq!(json(&out)["valid"], true);
    let out = loopx(&["verify-onchain", &tampered, "--rpc-url", &url, "--address", &address, "--json"]);
    assert_eq!(out.status.code(), Some(1), "tampered proof accepted on chain: {}", stderr(&out));
}
