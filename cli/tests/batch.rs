//! `loopx batch` and `loopx batch-verify` as a scheduler drives them: a batch killed mid-run
//! resumes without losing or duplicating a proof, shards run into one directory cover the input
//! once, bad rows fail the exit code without stopping the batch, and a tampered proof is named.

mod common;

use common::{json, loopx, stderr};

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use loopx_test_support::{fixtures_dir, shared_bundled};
use serde_json::Value;

/// The bundled risk model's package directory, set up once per test binary.
fn package() -> String {
    shared_bundled("risk_mlp").path().display().to_string()
}

/// An input file of the first `n` bundled wallets, plus `extra` lines.
fn input(dir: &Path, n: usize, extra: &[(usize, &str)]) -> String {
    let text = std::fs::read_to_string(fixtures_dir().join("wallets.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().take(n).map(str::to_string).collect();
    for (at, line) in extra {
        lines.insert(*at, line.to_string());
    }
    let path = dir.join("wallets.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.display().to_string()
}

/// Names of the proof files in `dir` (what `batch-verify` counts: `*.json`, not hidden).
fn proof_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

/// Rows listed in a manifest, and the set of files they name.
fn manifest_rows(path: &Path) -> (Vec<u64>, BTreeSet<String>) {
    let entries = read_jsonl(path);
    let mut rows: Vec<u64> = entries.iter().map(|e| e["row"].as_u64().unwrap()).collect();
    rows.sort_unstable();
    (rows, entries.iter().map(|e| e["file"].as_str().unwrap().to_string()).collect())
}

#[test]
fn a_killed_batch_resumes_without_losing_or_duplicating_proofs() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = input(tmp.path(), 8, &[]);
    let proofs = tmp.path().join("proofs");
    let proofs_arg = proofs.display().to_string();
    let args = ["batch", &package(), "--inputs", &inputs, "-o", &proofs_arg, "--jobs", "1", "--json"];

    let mut child = Command::new(env!("CARGO_BIN_EXE_loopx"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("loopx starts");
    let deadline = Instant::now() + Duration::from_secs(300);
    while proof_files(&proofs).is_empty() {
        assert!(child.try_wait().unwrap().is_none(), "the batch ended before its first proof appeared");
        assert!(Instant::now() < deadline, "no proof after 300 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL"); // no chance to clean up: the worst case for resuming
    child.wait().unwrap();
    let survivors = proof_files(&proofs);
    assert!(!survivors.is_empty() && survivors.len() < 8, "killed mid-batch, left {survivors:?}");

    let out = loopx(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["skipped"].as_u64().unwrap() as usize, survivors.len(), "{summary}");
    assert_eq!(summary["proved"].as_u64().unwrap() as usize, 8 - survivors.len(), "{summary}");
    assert_eq!(summary["failed"], 0);

    let files = proof_files(&proofs);
    assert_eq!(files.len(), 8, "one proof per row: {files:?}");
    for entry in std::fs::read_dir(&proofs).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let expected = files.contains(&name) || name == "manifest.jsonl" || name == "errors.jsonl";
        assert!(expected || name.starts_with('.'), "unexpected visible file {name}");
    }
    assert!(survivors.is_subset(&files), "the proofs from before the kill are kept, not redone");
    let (rows, listed) = manifest_rows(&proofs.join("manifest.jsonl"));
    assert_eq!(rows, (1..=8).collect::<Vec<_>>());
    assert_eq!(listed, files, "the manifest lists exactly the proof files");
    let wallets: BTreeSet<String> = files.iter().map(|f| f[..42].to_string()).collect();
    assert_eq!(wallets.len(), 8, "one proof per wallet");

    let out = loopx(&["batch-verify", &package(), &proofs_arg, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let verdict = json(&out);
    assert_eq!((verdict["valid"].as_u64(), verdict["invalid"].as_u64()), (Some(8), Some(0)), "{verdict}");
}

#[test]
fn shards_run_into_one_directory_prove_every_row_once() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = input(tmp.path(), 5, &[]);
    let proofs = tmp.path().join("proofs");
    let proofs_arg = proofs.display().to_string();
    let mut all_rows = Vec::new();
    for shard in ["0/2", "1/2"] {
        let out =
            loopx(&["batch", &package(), "--inputs", &inputs, "-o", &proofs_arg, "--shard", shard, "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let summary = json(&out);
        assert_eq!(summary["shard"], shard);
        let (rows, _) = manifest_rows(Path::new(summary["manifest"].as_str().unwrap()));
        all_rows.extend(rows);
    }
    all_rows.sort_unstable();
    assert_eq!(all_rows, [1, 2, 3, 4, 5]);
    assert_eq!(proof_files(&proofs).len(), 5);
    assert!(proofs.join("manifest-0-of-2.jsonl").exists() && proofs.join("manifest-1-of-2.jsonl").exists());

    // The whole batch afterwards has nothing left to do, and one manifest of everything.
    let out = loopx(&["batch", &package(), "--inputs", &inputs, "-o", &proofs_arg, "--json"]);
    let summary = json(&out);
    assert_eq!((summary["proved"].as_u64(), summary["skipped"].as_u64()), (Some(0), Some(5)), "{summary}");
    assert_eq!(manifest_rows(&proofs.join("manifest.jsonl")).0, [1, 2, 3, 4, 5]);

    let out = loopx(&["batch", &package(), "--inputs", &inputs, "-o", &proofs_arg, "--shard", "2/2"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("invalid shard `2/2`"), "{}", stderr(&out));
}

#[test]
fn bad_rows_are_reported_and_fail_the_exit_code_while_good_rows_are_proven() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixtures_dir().join("wallets.jsonl")).unwrap();
    let mut short: Value = serde_json::from_str(text.lines().nth(10).unwrap()).unwrap();
    short["features"].as_array_mut().unwrap().truncate(20);
    let mut huge: Value = serde_json::from_str(text.lines().nth(11).unwrap()).unwrap();
    huge["features"][1] = 1e9.into(); // tx_count ≤ 100000
    let (short, huge) = (short.to_string(), huge.to_string());
    let inputs = input(
        tmp.path(),
        3,
        &[
            (1, r#"{"wallet": "0x5c10c3aed19456ef43dc7b092792391e284b1f75", "features": [1, 2"#),
            (3, &short),
            (5, &huge),
        ],
    );
    let proofs = tmp.path().join("proofs");
    let proofs_arg = proofs.display().to_string();
    let out = loopx(&["batch", &package(), "--inputs", &inputs, "-o", &proofs_arg, "--json"]);
    assert_eq!(out.status.code(), Some(1), "some rows failed: {}", stderr(&out));
    let summary = json(&out);
    assert_eq!((summary["proved"].as_u64(), summary["failed"].as_u64()), (Some(3), Some(3)), "{summary}");
    assert!(!stderr(&out).contains("panicked"));

    let mut errors = read_jsonl(&proofs.join("errors.jsonl"));
    errors.sort_by_key(|e| e["row"].as_u64());
    let listed: Vec<(u64, &str)> =
        errors.iter().map(|e| (e["row"].as_u64().unwrap(), e["reason"].as_str().unwrap())).collect();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0].0, 2);
    assert!(listed[0].1.starts_with("malformed JSON"), "{}", listed[0].1);
    assert_eq!(listed[1].0, 4);
    assert!(listed[1].1.contains("expected 24 features but the input has 20"), "{}", listed[1].1);
    assert_eq!(listed[2].0, 6);
    assert!(listed[2].1.contains("`tx_count` = 1000000000 is outside its allowed range"), "{}", listed[2].1);
    assert_eq!(errors[2]["wallet"], huge_wallet(&huge));

    let out = loopx(&["batch-verify", &package(), &proofs_arg, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["valid"], 3);

    // Flip a byte of one proof's transcript: batch-verify names that file and exits 1.
    let victim = proofs.join(proof_files(&proofs).into_iter().next().unwrap());
    let mut proof: Value = serde_json::from_str(&std::fs::read_to_string(&victim).unwrap()).unwrap();
    let mut bytes = proof["proof"].as_str().unwrap().to_string();
    let at = bytes.len() / 2;
    let flipped = if &bytes[at..=at] == "0" { "1" } else { "0" };
    bytes.replace_range(at..=at, flipped);
    proof["proof"] = bytes.into();
    std::fs::write(&victim, proof.to_string()).unwrap();
    let out = loopx(&["batch-verify", &package(), &proofs_arg, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let verdict = json(&out);
    assert_eq!((verdict["valid"].as_u64(), verdict["invalid"].as_u64()), (Some(2), Some(1)), "{verdict}");
    assert_eq!(verdict["invalid_proofs"][0]["file"], victim.display().to_string());
    assert!(stderr(&out).contains("INVALID"), "{}", stderr(&out));
}

fn huge_wallet(line: &str) -> Value {
    serde_json::from_str::<Value>(line).unwrap()["wallet"].clone()
}
