//! Hostile input to the page's API (`window.loopx`) in headless Chromium: every case is refused
//! with a sentence that says what is wrong — the prover's own errors, crossed from wasm as
//! JavaScript errors — and none traps the wasm module (a panic would abort it with a bare
//! `unreachable`, and loopx.js would report "the prover crashed"). Afterwards the same worker
//! still proves a good input.

use std::path::Path;

use loopx_credentials::{issue, parse_private_key, Credential, IssueRequest};
use loopx_models::{load_input_row, Schema};
use serde_json::{json, Value};

use crate::common::{loopx, stderr};
use crate::{browser_lock, browser_tools, credential, fixture, node, package, Server, ISSUER_KEY};

const WALLET: &str = "0x00000000000000000000000000000000000000b7";
const OTHER_WALLET: &str = "0x00000000000000000000000000000000000000c8";

/// A copy of package `pkg` as `dir/name`, with `damage` applied to it.
fn damaged(pkg: &Path, dir: &Path, name: &str, damage: impl FnOnce(&Path)) -> String {
    let copy = dir.join(name);
    std::fs::create_dir_all(&copy).expect("dir");
    for file in ["model.json", "pk.bin", "vk.bin", "srs.bin"] {
        std::fs::copy(pkg.join(file), copy.join(file)).expect("copy");
    }
    damage(&copy);
    copy.display().to_string()
}

fn rewrite(path: &Path, edit: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path).expect("read");
    edit(&mut bytes);
    std::fs::write(path, bytes).expect("write");
}

/// One case: what the page is given and a piece of the sentence it must answer with.
fn case(name: &str, kind: &str, expect: &str, fields: Value) -> Value {
    let mut case = json!({ "name": name, "kind": kind, "expect": expect });
    for (key, value) in fields.as_object().expect("fields").clone() {
        case[key] = value;
    }
    case
}

#[test]
fn hostile_input_gets_error_sentences_from_the_page_never_a_wasm_trap() {
    let _one_at_a_time = browser_lock();
    let chromium = browser_tools();
    let tmp = tempfile::tempdir().expect("temp dir");
    let good = package(tmp.path(), "risk_mlp");
    let pkg = Path::new(&good);
    let hostile = tmp.path().join("hostile");
    let flipped_pk = damaged(pkg, &hostile, "flipped_pk", |dir| {
        rewrite(&dir.join("pk.bin"), |b| {
            let middle = b.len() / 2;
            b[middle] ^= 0x40;
        })
    });
    let short_srs =
        damaged(pkg, &hostile, "short_srs", |dir| rewrite(&dir.join("srs.bin"), |b| b.truncate(b.len() / 2)));
    let bad_model = damaged(pkg, &hostile, "bad_model", |dir| {
        rewrite(&dir.join("model.json"), |b| b.truncate(b.len() / 3))
    });
    let server = Server::start(&[good.clone(), flipped_pk, short_srs, bad_model]);

    // Features: the sample row, and rows that do not fit the model.
    let sample: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("risk_mlp", "input.json")).expect("input"))
            .expect("JSON");
    let row: Vec<f64> = sample["input_data"][0]
        .as_array()
        .expect("one row")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect();
    let mut far_out = row.clone();
    far_out[0] = 1e12;

    // Credentials: a valid one (of another wallet), an edited one, an expired one.
    let valid_path = tmp.path().join("valid.credential.json");
    let valid = credential("risk_mlp", WALLET, 1, &valid_path);
    let mut edited = valid.clone();
    edited["features"][0]["value"] = json!(row[0] + 1.0);
    edited["features"][0]["encoded"] = json!(edited["features"][0]["encoded"].as_i64().expect("encoded") + 8);
    let schema = Schema::load(fixture("risk_mlp", "schema.toml")).expect("schema");
    let values = load_input_row(fixture("risk_mlp", "input.json"), Some(&schema), schema.len()).expect("row");
    let request = IssueRequest {
        schema: &schema,
        values: &values,
        wallet: WALLET.parse().expect("address"),
        issued_at: 1_600_000_000,
        expires_at: 1_600_086_400,
        chain_id: 1,
    };
    let expired: Credential = issue(&request, &parse_private_key(ISSUER_KEY).expect("key")).expect("issues");
    let first = schema.names()[0].to_string();
    let mut other_format = valid.clone();
    other_format["format"] = json!("loopx-credential/9");

    // A valid proof made natively, then flipped.
    let proof_path = tmp.path().join("proof.json");
    let out = loopx(&[
        "prove",
        &good,
        "--input",
        &fixture("risk_mlp", "input.json"),
        "--wallet",
        WALLET,
        "-o",
        &proof_path.display().to_string(),
    ]);
    assert!(out.status.success(), "loopx prove: {}", stderr(&out));
    let mut proof: Value =
        serde_json::from_str(&std::fs::read_to_string(&proof_path).expect("proof")).expect("JSON");
    let bytes = proof["proof"].as_str().expect("proof hex").to_string();
    let flip = if bytes.as_bytes()[200] == b'0' { "1" } else { "0" };
    proof["proof"] = json!(format!("{}{flip}{}", &bytes[..200], &bytes[201..]));

    let cases = vec![
        case("flipped byte in pk.bin", "load", "pk.bin", json!({ "package": "/packages/flipped_pk/" })),
        case("truncated srs.bin", "load", "srs.bin", json!({ "package": "/packages/short_srs/" })),
        case("truncated model.json", "load", "model.json", json!({ "package": "/packages/bad_model/" })),
        case("no such package", "load", "HTTP 404", json!({ "package": "/packages/nowhere/" })),
        case("three features", "prove", "24", json!({ "features": [1.0, 2.0, 3.0], "wallet": WALLET })),
        case("thirty features", "prove", "24", json!({ "features": vec![1.0; 30], "wallet": WALLET })),
        case("a value out of range", "prove", "range", json!({ "features": far_out, "wallet": WALLET })),
        case(
            "a value that is not a number",
            "prove",
            "not a number",
            json!({ "features": { first.clone(): "many" }, "wallet": WALLET }),
        ),
        case("an empty input document", "prove", "input", json!({ "features": "{}", "wallet": WALLET })),
        case(
            "a wallet that is not an address",
            "prove",
            "not an address",
            json!({ "features": row, "wallet": "0x1234" }),
        ),
        case(
            "a malformed credential",
            "prove",
            "not a LoopX credential",
            json!({ "features": { "format": "loopx-credential/1", "wallet": "0x12" } }),
        ),
        case(
            "a credential that is not JSON",
            "prove",
            "not a LoopX credential",
            json!({ "features": "{\"format\": \"loopx-credential/1\", \"signature\": " }),
        ),
        case(
            "a credential of another format",
            "prove",
            "loopx-credential/9",
            json!({ "features": other_format }),
        ),
        case("an edited credential", "prove", "edited", json!({ "features": edited })),
        case(
            "an expired credential",
            "prove",
            "expired",
            json!({ "features": serde_json::to_value(&expired).expect("JSON") }),
        ),
        case(
            "another wallet's credential",
            "prove",
            "is for wallet",
            json!({ "features": valid, "wallet": OTHER_WALLET }),
        ),
        case("a malformed proof file", "verify", "proof", json!({ "proof": "{\"format_version\": 1}" })),
        case("a proof file that is not JSON", "verify", "proof", json!({ "proof": "garbage" })),
        case("a flipped proof", "verify", "INVALID", json!({ "proof": proof.to_string() })),
        case("calldata of a malformed proof", "calldata", "proof", json!({ "proof": "{}" })),
    ];
    let spec = json!({
        "good": { "package": "/packages/risk_mlp/", "features": sample, "wallet": WALLET },
        "cases": cases,
    });
    let spec_path = tmp.path().join("cases.json");
    std::fs::write(&spec_path, spec.to_string()).expect("cases written");

    let started = std::time::Instant::now();
    let result = node(
        "hostile.mjs",
        &["--chromium", &chromium, "--url", &server.url, "--cases", &spec_path.display().to_string()],
    );
    eprintln!(
        "hostile input: {} in {:.1} s",
        serde_json::to_string_pretty(&result).expect("JSON"),
        started.elapsed().as_secs_f64()
    );
    let answers = result["cases"].as_array().expect("cases");
    assert_eq!(answers.len(), cases.len());
    for (case, answer) in cases.iter().zip(answers) {
        let name = &case["name"];
        let error = answer["error"].as_str().unwrap_or_default();
        assert_eq!(answer["refused"], Value::Bool(true), "{name} was accepted");
        let expect = case["expect"].as_str().expect("expect");
        assert!(
            error.to_lowercase().contains(&expect.to_lowercase()),
            "{name}: `{error}` does not say `{expect}`"
        );
        for trap in ["crashed", "unreachable", "RuntimeError", "panicked"] {
            assert!(!error.contains(trap), "{name}: the prover trapped: {error}");
        }
    }
    assert_eq!(result["recovered"], Value::Bool(true), "the prover no longer proves after hostile input");
    // The console shows the 404 of the missing package, and nothing of a trap.
    for problem in result["problems"].as_array().expect("problems") {
        let problem = problem.as_str().unwrap_or_default();
        assert!(problem.contains("404"), "unexpected error in the page's console: {problem}");
    }
}
