//! `loopx batch --for-aggregation`, `loopx aggregate`, `loopx solidity --aggregate`, and `loopx
//! evm` / `loopx verify` on aggregates, as a user runs them. The default run checks everything
//! that needs no aggregation (it takes minutes, and the library's N = 2 aggregation already runs
//! in `aggregate/tests/aggregate.rs`); `LOOPX_HEAVY_AGG=1` adds the whole CLI flow: three proofs
//! into two aggregates of two (the second padded), a resumed rerun that derives no proving key,
//! native and EVM verification, the aggregate's Solidity verifier, `deploy --aggregate` on an
//! anvil node, and `verify`, `evm` and `solidity --aggregate` refusing a forged `vk.bin`.

mod common;

use std::path::Path;

use common::{json, loopx, stderr, LOOPX};
use loopx_test_support::fixtures_dir;

/// The bundled sybil_lr package (the smallest) set up with a dev SRS, and `n` Poseidon proofs of
/// the first bundled wallets in `dir/proofs`.
fn set_up(dir: &Path, n: usize, for_aggregation: bool) -> (String, String) {
    let (pkg, _) = LOOPX.set_up_bundled(dir, "sybil_lr");
    let text = std::fs::read_to_string(fixtures_dir().join("wallets.jsonl")).unwrap();
    let rows = dir.join("rows.jsonl");
    std::fs::write(&rows, text.lines().take(n).collect::<Vec<_>>().join("\n") + "\n").unwrap();
    let proofs = dir.join("proofs").display().to_string();
    let mut args = vec!["batch", &pkg, "--inputs", rows.to_str().unwrap(), "-o", &proofs, "--json"];
    if for_aggregation {
        args.push("--for-aggregation");
    }
    let out = loopx(&args);
    assert!(out.status.success(), "batch: {}", stderr(&out));
    let expected = if for_aggregation { "poseidon" } else { "evm" };
    assert_eq!(json(&out)["transcript"], expected);
    (pkg, proofs)
}

fn first_proof(proofs: &str) -> String {
    let mut names: Vec<_> = std::fs::read_dir(proofs)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    format!("{proofs}/{}", names[0])
}

#[test]
fn proofs_for_aggregation_verify_natively_and_are_refused_by_the_single_proof_evm_verifier() {
    let tmp = tempfile::tempdir().unwrap();
    let (pkg, proofs) = set_up(tmp.path(), 1, true);
    let proof = first_proof(&proofs);
    let text = std::fs::read_to_string(&proof).unwrap();
    assert!(text.contains(r#""transcript": "poseidon""#), "{text}");
    let verify = loopx(&["verify", &pkg, &proof, "--json"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert_eq!(json(&verify)["valid"], true);
    let evm = loopx(&["evm", &pkg, &proof]);
    assert!(!evm.status.success());
    assert!(stderr(&evm).contains("poseidon transcript"), "{}", stderr(&evm));
    // Neither aggregation keys nor an aggregate verifier exist yet.
    let sol = tmp.path().join("Agg.sol").display().to_string();
    let solidity = loopx(&["solidity", &pkg, "--aggregate", "2", "-o", &sol]);
    assert!(!solidity.status.success());
    assert!(stderr(&solidity).contains("no aggregation keys"), "{}", stderr(&solidity));
}

#[test]
fn aggregate_refuses_evm_transcript_proofs_and_a_dev_srs_it_was_not_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let (pkg, proofs) = set_up(tmp.path(), 2, false);
    let out_dir = tmp.path().join("agg").display().to_string();
    let refused = loopx(&["aggregate", &pkg, &proofs, "-o", &out_dir, "--dev-srs"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("--for-aggregation"), "{}", stderr(&refused));

    let tmp = tempfile::tempdir().unwrap();
    let (pkg, proofs) = set_up(tmp.path(), 2, true);
    let out_dir = tmp.path().join("agg").display().to_string();
    let no_dev = loopx(&["aggregate", &pkg, &proofs, "-o", &out_dir]);
    assert!(!no_dev.status.success());
    assert!(stderr(&no_dev).to_lowercase().contains("dev"), "{}", stderr(&no_dev));
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let nothing = loopx(&["aggregate", &pkg, empty.to_str().unwrap(), "-o", &out_dir, "--dev-srs"]);
    assert!(!nothing.status.success());
    assert!(stderr(&nothing).contains("no proofs"), "{}", stderr(&nothing));
}

#[test]
fn whole_cli_flow_with_padding_and_resume() {
    if std::env::var_os("LOOPX_HEAVY_AGG").is_none() {
        eprintln!("skipped: set LOOPX_HEAVY_AGG=1 to aggregate through the CLI (minutes)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (pkg, proofs) = set_up(tmp.path(), 3, true);
    let out_dir = tmp.path().join("agg").display().to_string();
    let args = ["aggregate", &pkg, &proofs, "-o", &out_dir, "--max", "2", "--dev-srs", "--json"];
    let first = loopx(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    let summary = json(&first);
    assert_eq!((summary["aggregated"].as_u64(), summary["skipped"].as_u64()), (Some(2), Some(0)));
    let second = loopx(&args);
    assert!(second.status.success(), "{}", stderr(&second));
    let rerun = json(&second);
    assert_eq!(rerun["skipped"].as_u64(), Some(2));
    assert_eq!(rerun["proving_key_derived"], false, "nothing to prove, yet the proving key was derived");

    let manifest = std::fs::read_to_string(format!("{out_dir}/manifest.jsonl")).unwrap();
    assert_eq!(manifest.lines().count(), 4);
    assert_eq!(manifest.matches(r#""padding":true"#).count(), 1);
    for file in ["aggregate-00000.json", "aggregate-00001.json"] {
        let path = format!("{out_dir}/{file}");
        let verify = loopx(&["verify", &pkg, &path, "--json"]);
        assert!(verify.status.success(), "{}", stderr(&verify));
        let evm = loopx(&["evm", &pkg, &path, "--json"]);
        assert!(evm.status.success(), "{}", stderr(&evm));
        let value = json(&evm);
        assert_eq!(value["valid"], true);
        eprintln!(
            "{file}: verifyProof {} gas, submitBatch {} gas",
            value["gas_used"], value["submit_batch_gas"]
        );
    }
    // An edited covered wallet in the file is refused, not reported.
    let path = format!("{out_dir}/aggregate-00000.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["covered"][0]["wallet"] = "0x0000000000000000000000000000000000000001".into();
    let edited = tmp.path().join("edited.json");
    std::fs::write(&edited, value.to_string()).unwrap();
    assert!(!loopx(&["verify", &pkg, edited.to_str().unwrap()]).status.success());

    let sol = tmp.path().join("Agg.sol").display().to_string();
    let solidity = loopx(&["solidity", &pkg, "--aggregate", "2", "-o", &sol, "--json"]);
    assert!(solidity.status.success(), "{}", stderr(&solidity));
    assert!(json(&solidity)["deployed_bytes"].as_u64().unwrap() <= 24_576);

    // `loopx deploy --aggregate` on a real node, then the deployed verifier judges the aggregate.
    let node = loopx_verifier_contract::AnvilNode::start().expect("anvil starts");
    let deploy = loopx(&[
        "deploy",
        &pkg,
        "--aggregate",
        "2",
        "--rpc-url",
        node.url(),
        "--private-key",
        node.dev_private_key(0),
        "--json",
    ]);
    assert!(deploy.status.success(), "{}", stderr(&deploy));
    let address = json(&deploy)["address"].as_str().unwrap().parse().unwrap();
    let file = loopx_aggregate::AggregateFile::load(Path::new(&path)).unwrap();
    let (proof, mut instances) = (file.proof_bytes().unwrap(), file.instance_values().unwrap());
    let onchain = |instances: &[halo2curves::bn256::Fr]| {
        loopx_verifier_contract::verify_onchain_blocking(node.url(), address, &proof, instances)
            .unwrap()
            .valid
    };
    assert!(onchain(&instances), "the deployed aggregate verifier rejects the aggregate");
    instances[0] += halo2curves::bn256::Fr::from(1);
    assert!(!onchain(&instances), "the deployed aggregate verifier accepts a changed accumulator");

    // Another valid key of the same configuration in vk.bin, setup.json naming it: every command
    // that reads the keys refuses it, naming the file.
    forge_vk(Path::new(&pkg).join("aggregate-2").as_path());
    let path = format!("{out_dir}/aggregate-00000.json");
    let forged_sol = tmp.path().join("Forged.sol").display().to_string();
    for command in [
        vec!["verify", &pkg, &path],
        vec!["evm", &pkg, &path],
        vec!["solidity", &pkg, "--aggregate", "2", "-o", &forged_sol],
    ] {
        let refused = loopx(&command);
        assert!(!refused.status.success(), "loopx {} accepted a forged vk.bin", command[0]);
        let message = stderr(&refused);
        assert!(message.contains("vk.bin") && message.contains("delete"), "loopx {}: {message}", command[0]);
    }
    assert!(!Path::new(&forged_sol).exists());
}

/// Exchanges the first two fixed commitments of the aggregation key in `keys` (still a valid key
/// of the same configuration, of another circuit) and edits setup.json's digest to name it.
fn forge_vk(keys: &Path) {
    use halo2_proofs::plonk::VerifyingKey;
    use halo2_proofs::SerdeFormat;
    use halo2curves::bn256::G1Affine;
    use snark_verifier_sdk::halo2::aggregation::{AggregationCircuit, AggregationConfigParams};

    let mut bytes = std::fs::read(keys.join("vk.bin")).unwrap();
    // Version byte, k, selector compression flag, number of fixed commitments, then the
    // commitments (64 bytes each).
    let fixed = u32::from_le_bytes(bytes[6..10].try_into().unwrap());
    assert!(fixed >= 2, "{fixed} fixed commitments");
    let (a, b) = bytes[10..138].split_at_mut(64);
    assert_ne!(a, b);
    a.swap_with_slice(b);
    let setup_path = keys.join("setup.json");
    let mut setup: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&setup_path).unwrap()).unwrap();
    let config: AggregationConfigParams = serde_json::from_value(setup["config"].clone()).unwrap();
    let vk =
        VerifyingKey::<G1Affine>::from_bytes::<AggregationCircuit>(&bytes, SerdeFormat::RawBytes, config)
            .expect("the forged key parses under setup.json's configuration");
    setup["vk_digest"] = loopx_prover::vk_digest(&vk).into();
    std::fs::write(keys.join("vk.bin"), &bytes).unwrap();
    std::fs::write(&setup_path, setup.to_string()).unwrap();
}
