//! Attested attributes end to end, as the three parties drive them: an issuer issues a
//! credential over a wallet's features (and attests its commitment in the real EAS, deployed to
//! a local anvil node), the owner proves from it and submits, a DApp reads the attribute. Every
//! way of cheating the issue lists is refused natively and by `AttestedAttributes` on chain.

mod common;

use common::{json, loopx, stderr};

use std::path::{Path, PathBuf};
use std::process::Output;

use loopx_credentials::{issue, now_unix, parse_private_key, Address, Credential, IssueRequest};
use loopx_models::{load_input_row, Schema};
use loopx_prover::ProofFile;
use loopx_test_support::fixtures_dir;
use loopx_verifier_contract::eas::{self, Evidence};
use loopx_verifier_contract::{block_on, AnvilNode, ANVIL_DEV_PRIVATE_KEYS};
use serde_json::Value;

const DEPLOYER: &str = ANVIL_DEV_PRIVATE_KEYS[0];
const ISSUER: &str = ANVIL_DEV_PRIVATE_KEYS[1];
const OWNER: &str = ANVIL_DEV_PRIVATE_KEYS[2];
const STRANGER: &str = ANVIL_DEV_PRIVATE_KEYS[3];
const CHAIN_ID: &str = "31337";

fn ok(output: Output, what: &str) -> Value {
    assert!(output.status.success(), "{what} failed ({:?}): {}", output.status, stderr(&output));
    json(&output)
}

/// The command failed with a handled error (exit 2) whose message names `needle`.
fn refused(output: Output, needle: &str, what: &str) {
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{what}: expected a refusal, got {:?}: {err}", output.status);
    assert!(err.contains(needle), "{what}: the error should name {needle}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
}

fn fixture(name: &str) -> String {
    fixtures_dir().join(name).display().to_string()
}

fn address(key: &str) -> String {
    parse_private_key(key).unwrap().address().to_string()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Issues a credential for `wallet` by `issuer_key` under `schema` from the risk fixture's features.
fn issue_cli(dir: &Path, name: &str, schema: &str, wallet: &str, issuer_key: &str) -> String {
    let out = dir.join(name);
    ok(
        loopx(&[
            "credential",
            "issue",
            "--schema",
            &fixture(schema),
            "--input",
            &fixture("risk_mlp.features.json"),
            "--wallet",
            wallet,
            "--issuer-key",
            issuer_key,
            "--chain-id",
            CHAIN_ID,
            "-o",
            &s(&out),
            "--json",
        ]),
        "credential issue",
    );
    s(&out)
}

#[test]
fn issuer_owner_and_dapp_go_through_eas_and_every_cheat_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(loopx(&["quickstart", "--model", "risk_mlp", "--dir", &s(dir), "--json"]), "quickstart");
    let pkg = s(&dir.join("risk_mlp"));
    let wallet = address(OWNER);
    let issuer = address(ISSUER);

    let node = AnvilNode::start().expect("anvil starts");
    let url = node.url().to_string();
    let rpc = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        v.extend(["--rpc-url".to_string(), url.clone()]);
        v
    };
    let run = |args: Vec<String>| loopx(&args.iter().map(String::as_str).collect::<Vec<_>>());

    // The integrator deploys EAS and the consumer, trusting the issuer for the risk model's schema.
    let deployed = ok(
        run(rpc(&[
            "eas",
            "deploy",
            "--private-key",
            DEPLOYER,
            "--trust-issuer",
            &issuer,
            "--package",
            &pkg,
            "--json",
        ])),
        "eas deploy",
    );
    let eas_address = deployed["eas"].as_str().unwrap().to_string();
    let consumer = deployed["consumer"].as_str().unwrap().to_string();
    let model_id = deployed["models"][0]["model_id"].as_str().unwrap().to_string();

    // The issuer issues and attests; the credential checks.
    let cred = issue_cli(dir, "cred.json", "risk_mlp.schema.toml", &wallet, ISSUER);
    let check = ok(
        loopx(&[
            "credential",
            "check",
            &cred,
            "--issuer",
            &issuer,
            "--schema",
            &fixture("credit_mlp.schema.toml"),
            "--json",
        ]),
        "credential check",
    );
    assert_eq!(check["valid"], true);
    let published = ok(
        run(rpc(&["credential", "publish", &cred, "--eas", &eas_address, "--private-key", ISSUER, "--json"])),
        "publish",
    );
    let uid = published["uid"].as_str().unwrap().to_string();

    // The owner proves from the credential and submits with the attestation; the DApp reads it.
    let proof = s(&dir.join("proof.json"));
    let proved = ok(
        loopx(&["prove", &pkg, "--credential", &cred, "--wallet", &wallet, "-o", &proof, "--json"]),
        "prove",
    );
    let credential = Credential::load(&cred).unwrap();
    assert_eq!(proved["commitment"], credential.commitment.to_string());
    ok(loopx(&["verify", &pkg, &proof, "--json"]), "verify");
    let submit = |proof: &str, evidence: &[&str], key: &str| {
        let mut args = vec!["submit", &pkg, proof];
        args.extend(evidence);
        run(rpc(&[&args[..], &["--consumer", &consumer, "--private-key", key, "--json"]].concat()))
    };
    let recorded = ok(submit(&proof, &["--attestation", &uid], OWNER), "submit with the attestation");
    let raw: Vec<String> =
        ProofFile::load(Path::new(&proof)).unwrap().raw_outputs.iter().map(|v| v.to_string()).collect();
    assert_eq!(recorded["outputs"], serde_json::json!(raw));
    let attested_gas = recorded["gas_used"].as_u64().unwrap();
    let read = ok(
        run(rpc(&["attribute", &wallet, "--model", &model_id, "--consumer", &consumer, "--json"])),
        "attribute",
    );
    assert_eq!(read["proven"], true);
    assert_eq!(read["outputs"], serde_json::json!(raw));
    assert_eq!(read["issuer"].as_str().unwrap().to_lowercase(), issuer.to_lowercase());
    assert_eq!(read["source"], uid);
    assert_ne!(read["attribute_uid"], format!("0x{}", "0".repeat(64)), "recorded in EAS too");
    let by_credential = ok(submit(&proof, &["--credential", &cred], OWNER), "submit with the credential");
    let credential_gas = by_credential["gas_used"].as_u64().unwrap();
    eprintln!("attested submission gas: EAS attestation {attested_gas}, EIP-712 credential {credential_gas}");

    // Replay by another sender.
    refused(submit(&proof, &["--attestation", &uid], STRANGER), "NotAuthorized", "replay");

    // Features edited in the credential: refused by check and by prove.
    let mut edited: Value = serde_json::from_str(&std::fs::read_to_string(&cred).unwrap()).unwrap();
    edited["features"][0]["encoded"] = (edited["features"][0]["encoded"].as_i64().unwrap() + 1).into();
    let edited_path = s(&dir.join("edited.json"));
    std::fs::write(&edited_path, edited.to_string()).unwrap();
    let out = loopx(&["credential", "check", &edited_path, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(json(&out)["error"].as_str().unwrap().contains("does not open"), "{}", json(&out));
    refused(
        loopx(&["prove", &pkg, "--credential", &edited_path, "-o", &s(&dir.join("x.json"))]),
        "does not open",
        "edited prove",
    );

    // A proof from self-chosen features, with the valid credential's evidence: the commitments differ.
    let mut chosen: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("risk_mlp.features.json")).unwrap()).unwrap();
    chosen["features"]["mixer_exposure"] = 0.0.into();
    chosen["features"]["interacted_with_flagged"] = 0.0.into();
    let chosen_path = dir.join("chosen.json");
    std::fs::write(&chosen_path, chosen.to_string()).unwrap();
    let own = s(&dir.join("own.json"));
    ok(
        loopx(&["prove", &pkg, "--input", &s(&chosen_path), "--wallet", &wallet, "-o", &own, "--json"]),
        "own prove",
    );
    refused(submit(&own, &["--attestation", &uid], OWNER), "CommitmentMismatch", "self-chosen, attestation");
    refused(submit(&own, &["--credential", &cred], OWNER), "CommitmentMismatch", "self-chosen, credential");

    // Another wallet's evidence: refused natively, and on chain for a proof of that wallet.
    let stranger = address(STRANGER);
    refused(
        loopx(&["prove", &pkg, "--credential", &cred, "--wallet", &stranger, "-o", &s(&dir.join("x.json"))]),
        "not",
        "credential of another wallet",
    );
    let theirs = s(&dir.join("theirs.json"));
    ok(
        loopx(&[
            "prove",
            &pkg,
            "--input",
            &fixture("risk_mlp.features.json"),
            "--wallet",
            &stranger,
            "-o",
            &theirs,
            "--json",
        ]),
        "prove",
    );
    refused(
        submit(&theirs, &["--attestation", &uid], STRANGER),
        "WrongRecipient",
        "another wallet's attestation",
    );

    // An issuer the consumer does not trust.
    let untrusted = issue_cli(dir, "untrusted.json", "risk_mlp.schema.toml", &wallet, STRANGER);
    assert_eq!(loopx(&["credential", "check", &untrusted, "--issuer", &issuer]).status.code(), Some(1));
    let untrusted_proof = s(&dir.join("untrusted-proof.json"));
    ok(
        loopx(&["prove", &pkg, "--credential", &untrusted, "-o", &untrusted_proof, "--json"]),
        "prove untrusted",
    );
    refused(
        loopx(&[
            "prove",
            &pkg,
            "--credential",
            &untrusted,
            "--issuer",
            &issuer,
            "-o",
            &s(&dir.join("x.json")),
        ]),
        "trusted issuer",
        "prove --issuer",
    );
    let other_uid = ok(
        run(rpc(&[
            "credential",
            "publish",
            &untrusted,
            "--eas",
            &eas_address,
            "--private-key",
            STRANGER,
            "--json",
        ])),
        "publish untrusted",
    )["uid"]
        .as_str()
        .unwrap()
        .to_string();
    refused(
        submit(&untrusted_proof, &["--attestation", &other_uid], OWNER),
        "UntrustedIssuer",
        "untrusted attestation",
    );
    refused(
        submit(&untrusted_proof, &["--credential", &untrusted], OWNER),
        "UntrustedIssuer",
        "untrusted credential",
    );
    // Only the issuer publishes its credentials.
    refused(
        run(rpc(&["credential", "publish", &cred, "--eas", &eas_address, "--private-key", STRANGER])),
        "issuer",
        "publish",
    );

    // A credential of another feature schema (the tree model's finer encoding).
    let gbt = issue_cli(dir, "gbt.json", "sybil_gbt.schema.toml", &wallet, ISSUER);
    refused(
        loopx(&["prove", &pkg, "--credential", &gbt, "-o", &s(&dir.join("x.json"))]),
        "schema",
        "prove with another schema",
    );
    let gbt_uid = ok(
        run(rpc(&["credential", "publish", &gbt, "--eas", &eas_address, "--private-key", ISSUER, "--json"])),
        "publish",
    )["uid"]
        .as_str()
        .unwrap()
        .to_string();
    refused(
        submit(&proof, &["--attestation", &gbt_uid], OWNER),
        "WrongFeatureSchema",
        "another feature schema",
    );

    // An attestation of another EAS schema carrying the right data.
    // abi.encode(bytes32 commitment, bytes32 featureSchemaId): two words.
    let data = [credential.commitment.0, credential.schema_id.0].concat();
    let (wrong_schema_uid, _) = block_on(eas::attest(
        &url,
        ISSUER,
        eas_address.parse().unwrap(),
        (eas::attribute_schema_uid(), false),
        credential.wallet,
        data,
        0,
    ))
    .expect("EAS attests under another schema");
    refused(
        submit(&proof, &["--attestation", &wrong_schema_uid.to_string()], OWNER),
        "WrongAttestationSchema",
        "another EAS schema",
    );

    // An expired credential: refused by check and prove; on chain, by the consumer itself.
    let schema = Schema::load(fixture("risk_mlp.schema.toml")).unwrap();
    let values = load_input_row(fixture("risk_mlp.features.json"), Some(&schema), schema.len()).unwrap();
    let now = now_unix();
    let expired = issue(
        &IssueRequest {
            schema: &schema,
            values: &values,
            wallet: wallet.parse::<Address>().unwrap(),
            issued_at: now - 10 * 86_400,
            expires_at: now - 86_400,
            chain_id: 31337,
        },
        &parse_private_key(ISSUER).unwrap(),
    )
    .unwrap();
    let expired_path = dir.join("expired.json");
    expired.save(&expired_path).unwrap();
    let out = loopx(&["credential", "check", &s(&expired_path), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(json(&out)["error"].as_str().unwrap().contains("expired"));
    refused(
        loopx(&["prove", &pkg, "--credential", &s(&expired_path), "-o", &s(&dir.join("x.json"))]),
        "expired",
        "prove expired",
    );
    let expired_proof = s(&dir.join("expired-proof.json"));
    ok(
        loopx(&[
            "prove",
            &pkg,
            "--input",
            &fixture("risk_mlp.features.json"),
            "--wallet",
            &wallet,
            "--salt",
            &expired.salt.to_string(),
            "-o",
            &expired_proof,
            "--json",
        ]),
        "prove with the expired credential's opening",
    );
    let file = ProofFile::load(Path::new(&expired_proof)).unwrap();
    assert_eq!(file.commitment, expired.commitment.to_string());
    let consumer_address = consumer.parse().unwrap();
    let submit_lib = |evidence: &Evidence, key: &str| {
        block_on(eas::submit(
            &url,
            key,
            consumer_address,
            model_id.parse().unwrap(),
            &file.proof_bytes().unwrap(),
            &file.instance_values().unwrap(),
            evidence,
        ))
    };
    let err = submit_lib(&Evidence::from_credential(&expired), OWNER).unwrap_err().to_string();
    assert!(err.contains("CredentialExpired"), "{err}");

    // Revocation: the attestation in EAS, and the off-chain credential in EAS's registry.
    ok(
        run(rpc(&[
            "credential",
            "revoke",
            "--attestation",
            &uid,
            "--eas",
            &eas_address,
            "--private-key",
            ISSUER,
            "--json",
        ])),
        "revoke",
    );
    refused(submit(&proof, &["--attestation", &uid], OWNER), "AttestationRevoked", "revoked attestation");
    ok(submit(&proof, &["--credential", &cred], OWNER), "the credential itself is still good");
    ok(
        run(rpc(&["credential", "revoke", &cred, "--eas", &eas_address, "--private-key", ISSUER, "--json"])),
        "revoke off chain",
    );
    refused(submit(&proof, &["--credential", &cred], OWNER), "CredentialRevoked", "revoked credential");

    // The attribute recorded stays the honest one.
    let read = ok(
        run(rpc(&["attribute", &wallet, "--model", &model_id, "--consumer", &consumer, "--json"])),
        "attribute",
    );
    assert_eq!(read["outputs"], serde_json::json!(raw));
    let out = run(rpc(&["attribute", &stranger, "--model", &model_id, "--consumer", &consumer, "--json"]));
    assert_eq!(out.status.code(), Some(1), "nothing recorded for the stranger");
    drop(node);
}

#[test]
fn credentials_are_issued_in_bulk_and_proven_in_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(loopx(&["quickstart", "--model", "sybil_lr", "--dir", &s(dir), "--json"]), "quickstart");
    let pkg = s(&dir.join("sybil_lr"));
    // Three good wallets and one whose feature is out of the schema's range.
    let lines: Vec<String> = std::fs::read_to_string(fixtures_dir().join("wallets.jsonl"))
        .unwrap()
        .lines()
        .take(3)
        .map(String::from)
        .collect();
    let mut bad: Value = serde_json::from_str(&lines[0]).unwrap();
    bad["wallet"] = "0x000000000000000000000000000000000000bad1".into();
    bad["features"][0] = 1e9.into();
    let rows = dir.join("wallets.jsonl");
    std::fs::write(&rows, format!("{}\n{}\n", lines.join("\n"), bad)).unwrap();
    let creds = dir.join("creds");
    let issue_args = [
        "credential",
        "issue",
        "--schema",
        &fixture("sybil_lr.schema.toml"),
        "--inputs",
        &s(&rows),
        "--issuer-key",
        ISSUER,
        "-o",
        &s(&creds),
        "--json",
    ];
    let out = loopx(&issue_args);
    assert_eq!(out.status.code(), Some(1), "a bad row fails the run: {}", stderr(&out));
    let summary = json(&out);
    assert_eq!((summary["issued"].as_u64(), summary["failed"].as_u64()), (Some(3), Some(1)), "{summary}");
    let errors = std::fs::read_to_string(creds.join("errors.jsonl")).unwrap();
    assert!(errors.contains("\"row\":4") && errors.contains("wallet_age_days"), "{errors}");
    // A rerun resumes: nothing issued twice.
    let summary = json(&loopx(&issue_args));
    assert_eq!((summary["issued"].as_u64(), summary["skipped"].as_u64()), (Some(0), Some(3)), "{summary}");

    // One credential edited after issuance: a failed row, the others proven with their openings.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&creds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut edited: Value = serde_json::from_str(&std::fs::read_to_string(&files[2]).unwrap()).unwrap();
    edited["features"][1]["encoded"] = 0.into();
    std::fs::write(&files[2], edited.to_string()).unwrap();
    let proofs = dir.join("proofs");
    let out = loopx(&[
        "batch",
        &pkg,
        "--credentials",
        &s(&creds),
        "-o",
        &s(&proofs),
        "--issuer",
        &address(ISSUER),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!((summary["proved"].as_u64(), summary["failed"].as_u64()), (Some(2), Some(1)), "{summary}");
    ok(loopx(&["batch-verify", &pkg, &s(&proofs), "--json"]), "batch-verify");
    let manifest = std::fs::read_to_string(proofs.join("manifest.jsonl")).unwrap();
    for file in &files[..2] {
        let credential = Credential::load(file).unwrap();
        let proof_name = manifest
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|e| e["wallet"].as_str().unwrap().eq_ignore_ascii_case(&credential.wallet.to_string()))
            .expect("the wallet's proof is in the manifest")["file"]
            .as_str()
            .unwrap()
            .to_string();
        let proof = ProofFile::load(&proofs.join(proof_name)).unwrap();
        assert_eq!(
            proof.commitment,
            credential.commitment.to_string(),
            "the proof commits to the issuer's commitment"
        );
    }
}
