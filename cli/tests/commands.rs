//! The `loopx` binary as users and scripts drive it: the documented commands work end to end on
//! bundled and non-bundled models, and every kind of bad input is a clear error, not a panic.

mod common;

use common::{json, loopx, stderr};

use std::path::Path;
use std::process::Output;

use loopx_test_support::fixtures_dir;
use serde_json::Value;

fn fixture(name: &str) -> String {
    fixtures_dir().join(name).display().to_string()
}

/// `fixtures/FOLDER/FILE`.
fn fixture_in(folder: &str, file: &str) -> String {
    fixtures_dir().join(folder).join(file).display().to_string()
}

/// `loopx compile` of `fixtures/FOLDER/NAME.onnx` on its own calibration rows into `pkg`, with
/// `--json` and `flags`; asserts it succeeded.
fn compile_fixture(folder: &str, name: &str, pkg: &str, flags: &[&str]) -> Output {
    let (model, calibration) = (
        fixture_in(folder, &format!("{name}.onnx")),
        fixture_in(folder, &format!("{name}.calibration.json")),
    );
    let mut args = vec!["compile", &model, "--calibration", &calibration, "-o", pkg, "--json"];
    args.extend_from_slice(flags);
    let out = loopx(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

/// `setup --dev-srs`, then `prove` of `input` into `proof` with `flags`, then `verify`: each must
/// succeed; returns what `prove --json` printed.
fn prove_and_verify(pkg: &str, input: &str, proof: &str, flags: &[&str]) -> Value {
    let out = loopx(&["setup", pkg, "--dev-srs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut args = vec!["prove", pkg, "--input", input, "-o", proof, "--json"];
    args.extend_from_slice(flags);
    let out = loopx(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(loopx(&["verify", pkg, proof]).status.success());
    json(&out)
}

fn assert_clean_error(output: &Output, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "expected a handled error, got {:?}: {err}", output.status);
    assert!(err.contains(needle), "error should mention `{needle}`: {err}");
    assert!(!err.contains("panicked"), "panicked: {err}");
}

/// Compiles the bundled sybil model (no schema) into `pkg`.
fn compile_sybil(pkg: &str) {
    let out = loopx(&[
        "compile",
        &fixture("sybil_lr.onnx"),
        "--calibration",
        &fixture("sybil_lr.calibration.json"),
        "-o",
        pkg,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A compiled and set-up package of the bundled risk model in a temp dir.
fn risk_package(tmp: &Path) -> String {
    let pkg = tmp.join("risk").display().to_string();
    let out = loopx(&[
        "compile",
        &fixture("risk_mlp.onnx"),
        "--calibration",
        &fixture("risk_mlp.calibration.json"),
        "--schema",
        &fixture("risk_mlp.schema.toml"),
        "-o",
        &pkg,
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert!(report["model_id"].as_str().unwrap().starts_with("0x"));
    assert!(report["argmax_agreement"].as_f64().unwrap() >= 0.99);
    assert!(report["max_abs_error"].as_f64().is_some());
    assert!(report["scales"]["inputs"].as_array().unwrap().len() == 24);
    let out = loopx(&["setup", &pkg, "--dev-srs", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let setup = json(&out);
    assert_eq!(setup["dev_srs"], true);
    assert!(setup["k"].as_u64().unwrap() <= 13);
    pkg
}

#[test]
fn quickstart_runs_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let out = loopx(&["quickstart", "--model", "sybil_lr", "--dir", tmp.path().to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["valid"], true);
    assert!(v["outputs"][0].as_f64().unwrap() >= 0.0 && v["outputs"][0].as_f64().unwrap() <= 1.0);
    assert!(v["k"].as_u64().unwrap() <= 12);
}

#[test]
fn prove_and_verify_by_feature_names_and_reject_a_tampered_proof() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = risk_package(tmp.path());
    let proof = tmp.path().join("proof.json").display().to_string();
    let wallet = "0x00000000000000000000000000000000000000aa";
    let out = loopx(&[
        "prove",
        &pkg,
        "--input",
        &fixture("risk_mlp.features.json"),
        "--wallet",
        wallet,
        "-o",
        &proof,
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    for key in ["model_id", "wallet", "commitment", "outputs", "k", "prove_seconds"] {
        assert!(!v[key].is_null(), "prove --json lacks {key}");
    }
    assert_eq!(v["wallet"], wallet);

    let out = loopx(&["verify", &pkg, &proof, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["valid"], true);

    // Claim another wallet: the proof no longer verifies, and the exit code says so.
    let text = std::fs::read_to_string(&proof).unwrap();
    let mut file: Value = serde_json::from_str(&text).unwrap();
    file["instances"][1] =
        Value::String("0x00000000000000000000000000000000000000000000000000000000000000bb".into());
    file["wallet"] = Value::String("0x00000000000000000000000000000000000000bb".into());
    let forged = tmp.path().join("forged.json");
    std::fs::write(&forged, file.to_string()).unwrap();
    let out = loopx(&["verify", &pkg, forged.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["valid"], false);

    // A flipped proof byte.
    let mut file: Value = serde_json::from_str(&text).unwrap();
    let hex = file["proof"].as_str().unwrap().to_string();
    let flipped = format!("{}{}{}", &hex[..100], if &hex[100..101] == "0" { "1" } else { "0" }, &hex[101..]);
    file["proof"] = Value::String(flipped);
    std::fs::write(&forged, file.to_string()).unwrap();
    assert_eq!(loopx(&["verify", &pkg, forged.to_str().unwrap()]).status.code(), Some(1));

    // Unreadable proof files.
    std::fs::write(&forged, "{ not json").unwrap();
    assert_clean_error(&loopx(&["verify", &pkg, forged.to_str().unwrap()]), "invalid proof file");
    assert_clean_error(&loopx(&["verify", &pkg, "/nonexistent/proof.json"]), "cannot read");
}

#[test]
fn bad_inputs_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = risk_package(tmp.path());
    let proof = tmp.path().join("p.json").display().to_string();
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let malformed = write("malformed.json", "{\"input_data\": [[1.0, 2.0,]]}");
    assert_clean_error(&loopx(&["prove", &pkg, "--input", &malformed, "-o", &proof]), "line 1");
    let short = write("short.json", "{\"input_data\": [[1.0, 2.0, 3.0]]}");
    assert_clean_error(&loopx(&["prove", &pkg, "--input", &short, "-o", &proof]), "24");
    let mut row = vec!["1.0"; 24];
    row[4] = "7.5"; // stablecoin_share is a ratio in [0, 1]
    let out_of_range = write("range.json", &format!("{{\"input_data\": [[{}]]}}", row.join(", ")));
    assert_clean_error(&loopx(&["prove", &pkg, "--input", &out_of_range, "-o", &proof]), "stablecoin_share");
    let input = fixture("risk_mlp.input.json");
    assert_clean_error(
        &loopx(&["prove", &pkg, "--input", &input, "--wallet", "0x1234", "-o", &proof]),
        "wallet address",
    );
    assert_clean_error(&loopx(&["prove", &pkg, "--input", &input, "--salt", "0xzz", "-o", &proof]), "--salt");

    // Keys missing, damaged, or made for another package.
    let bare = tmp.path().join("bare").display().to_string();
    compile_sybil(&bare);
    assert_clean_error(
        &loopx(&["prove", &bare, "--input", &fixture("sybil_lr.input.json"), "-o", &proof]),
        "loopx setup",
    );
    std::fs::copy(Path::new(&pkg).join("pk.bin"), Path::new(&bare).join("pk.bin")).unwrap();
    std::fs::copy(Path::new(&pkg).join("srs.bin"), Path::new(&bare).join("srs.bin")).unwrap();
    assert_clean_error(
        &loopx(&["prove", &bare, "--input", &fixture("sybil_lr.input.json"), "-o", &proof]),
        "run `loopx setup` again",
    );
    std::fs::write(Path::new(&bare).join("pk.bin"), b"LOOPX-PK garbage").unwrap();
    assert_clean_error(
        &loopx(&["prove", &bare, "--input", &fixture("sybil_lr.input.json"), "-o", &proof]),
        "not a valid proving key",
    );

    // Compile errors.
    let garbage = write("garbage.onnx", "definitely not protobuf");
    assert_clean_error(
        &loopx(&["compile", &garbage, "--calibration", &malformed, "-o", &bare]),
        "garbage.onnx",
    );
    let missing = tmp.path().join("missing").display().to_string();
    assert_clean_error(&loopx(&["setup", &missing, "--dev-srs"]), "missing");
}

#[test]
fn setup_refuses_dev_srs_without_the_flag_and_too_small_srs() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("lr").display().to_string();
    compile_sybil(&pkg);
    let srs = tmp.path().join("dev.srs").display().to_string();
    assert!(!loopx(&["srs", "new", "--k", "12", "-o", &srs]).status.success(), "srs new must demand --dev");
    assert!(loopx(&["srs", "new", "--k", "12", "-o", &srs, "--dev"]).status.success());
    let info = json(&loopx(&["srs", "info", &srs, "--json"]));
    assert_eq!(info["k"], 12);
    assert_eq!(info["dev_srs"], true);
    assert_eq!(info["sha256"].as_str().unwrap().len(), 64);
    assert_clean_error(&loopx(&["setup", &pkg, "--srs", &srs]), "insecure dev SRS");
    assert!(loopx(&["setup", &pkg, "--srs", &srs, "--dev-srs"]).status.success());
    let small = tmp.path().join("small.srs").display().to_string();
    assert!(loopx(&["srs", "new", "--k", "5", "-o", &small, "--dev"]).status.success());
    assert_clean_error(&loopx(&["setup", &pkg, "--srs", &small, "--dev-srs"]), "k = 5");
    let out = loopx(&["setup", &pkg]);
    assert!(!out.status.success() && stderr(&out).contains("--srs"), "{}", stderr(&out));
}

#[test]
fn compile_takes_any_onnx_model_of_the_supported_ops() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("clip").display().to_string();
    let out = compile_fixture("extra", "clip_scorer", &pkg, &["--output", "threshold:0.5"]);
    assert_eq!(json(&out)["output"]["kind"], "threshold");
    let proof = tmp.path().join("p.json").display().to_string();
    let proved = prove_and_verify(&pkg, &fixture_in("extra", "clip_scorer.input.json"), &proof, &[]);
    let bit = proved["outputs"][0].as_f64().unwrap();
    assert!(bit == 0.0 || bit == 1.0);
}

#[test]
fn a_converter_exported_forest_compiles_proves_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("forest").display().to_string();
    let schema = fixture_in("tree", "risk_forest.schema.toml");
    let report = json(&compile_fixture("tree", "risk_forest", &pkg, &["--schema", &schema]));
    assert_eq!(report["trees"]["trees"], 12);
    assert_eq!(report["output"]["kind"], "arg_max");
    // One held-out row as the input file.
    let heldout: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_in("tree", "risk_forest.heldout.json")).unwrap(),
    )
    .unwrap();
    let input = tmp.path().join("input.json");
    std::fs::write(&input, serde_json::json!({ "input_data": [heldout["input_data"][0]] }).to_string())
        .unwrap();
    let proof = tmp.path().join("p.json").display().to_string();
    let proved = prove_and_verify(&pkg, &input.display().to_string(), &proof, &[]);
    let tier = proved["outputs"][0].as_f64().unwrap();
    assert!((0.0..4.0).contains(&tier), "tier {tier}");
}

#[test]
fn eval_reports_fidelity_and_refusals_on_held_out_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("pkg").display().to_string();
    let sk = |f: &str| fixture_in("sklearn", f);
    // A scikit-learn export, calibrated on 32 rows in EZKL's flattened layout, without a schema.
    let out = compile_fixture("sklearn", "sk_mlp_tanh", &pkg, &[]);
    assert!(stderr(&out).contains("no --schema"), "compile warns without a schema: {}", stderr(&out));
    let compiled = json(&out);
    let ranges = compiled["input_ranges"].as_array().expect("input_ranges");
    assert_eq!(ranges.len(), 24);
    assert!(ranges.iter().all(|r| r["min"].as_f64() <= r["max"].as_f64()));

    let out = loopx(&["eval", &pkg, "--inputs", &sk("sk_mlp_tanh.heldout.json"), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["rows"], 256);
    let evaluated = report["evaluated"].as_u64().unwrap();
    assert_eq!(evaluated + report["refused"].as_u64().unwrap(), 256);
    assert!(evaluated >= 254, "{report}");
    assert!(report["argmax_agreement"].as_f64().unwrap() >= 0.99, "{report}");
    if report["refused"].as_u64().unwrap() > 0 {
        assert!(
            report["refusals"][0]["reason"].as_str().unwrap().contains("outside its allowed range"),
            "{report}"
        );
    }
    // JSON Lines rows as `loopx batch` reads them (wallets ignored).
    let out = loopx(&["eval", &pkg, "--inputs", &fixture("wallets.jsonl"), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["rows"], 50);
    // Another model than the package's is refused.
    let out = loopx(&["eval", &pkg, "--inputs", &fixture("wallets.jsonl"), "--model", &sk("sk_linreg.onnx")]);
    assert_clean_error(&out, "not the model this package was compiled from");
}

#[test]
fn optimize_picks_the_layout_and_setup_and_prove_follow_it() {
    let tmp = tempfile::tempdir().unwrap();
    let act = |f: &str| fixture_in("activations", f);
    let compile = |goal: &str| {
        let pkg = tmp.path().join(goal).display().to_string();
        let out = compile_fixture("activations", "act_sigmoid64", &pkg, &["--optimize", goal]);
        (pkg, json(&out))
    };
    let (_, gas) = compile("gas");
    let (_, balanced) = compile("balanced");
    let (speed_pkg, speed) = compile("speed");
    let predicted = |v: &serde_json::Value, field: &str| v["predicted"][field].as_f64().unwrap();
    assert_eq!(gas["optimize"], "gas");
    // 64 sigmoids: the gas layout reads them by multiplexers, the others by the lookup.
    assert_eq!(gas["activation_tables"], "multiplexers");
    assert_eq!(balanced["activation_tables"], "lookup");
    assert_eq!(speed["activation_tables"], "lookup");
    assert!(predicted(&gas, "gas") < predicted(&balanced, "gas"));
    assert!(predicted(&balanced, "gas") <= predicted(&speed, "gas"));
    assert!(predicted(&speed, "proving_seconds") < predicted(&balanced, "proving_seconds"));
    assert!(predicted(&balanced, "proving_seconds") < predicted(&gas, "proving_seconds"));
    assert!(predicted(&speed, "k") < predicted(&gas, "k"));
    assert!(predicted(&speed, "verifier_bytes") <= 24_576.0);

    // The package remembers its goal: keys and proofs are made in the speed layout.
    let proof = tmp.path().join("proof.json").display().to_string();
    let wallet = ["--wallet", "0x00000000000000000000000000000000000000aa"];
    let proved = prove_and_verify(&speed_pkg, &act("act_sigmoid64.input.json"), &proof, &wallet);
    assert_eq!(proved["k"].as_f64().unwrap(), predicted(&speed, "k"));

    let out = loopx(&[
        "compile",
        &act("act_sigmoid64.onnx"),
        "--calibration",
        &act("act_sigmoid64.calibration.json"),
        "--optimize",
        "cheap",
        "-o",
        &speed_pkg,
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("gas, speed, balanced"), "{}", stderr(&out));
}

#[test]
fn an_answer_that_cannot_be_written_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, flags) in [&[][..], &["--json"][..]].into_iter().enumerate() {
        let pkg = tmp.path().join(format!("sybil{i}")).display().to_string();
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_loopx"))
            .args(flags)
            .args([
                "compile",
                &fixture("sybil_lr.onnx"),
                "--calibration",
                &fixture("sybil_lr.calibration.json"),
            ])
            .args(["-o", &pkg])
            .stdout(full)
            .output()
            .expect("loopx runs");
        assert_clean_error(&output, "writing the answer to stdout");
        assert!(stderr(&output).contains("No space left on device"), "{}", stderr(&output));
    }
}
