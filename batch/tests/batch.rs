//! The batch prover as a library: rows are read the same from JSON Lines and CSV, shards split
//! the rows exactly, bad rows are reported without stopping the batch, a rerun skips what is
//! proven and keeps the manifest whole, and the directory verifier catches tampering.

use std::path::{Path, PathBuf};

use loopx_batch::BatchError;
use loopx_batch::{BatchInput, BatchOptions, BatchProver, BatchVerifier, Parallelism, ProofStore, Shard};
use loopx_batch::{FailedRow, ManifestEntry, WalletRow};
use loopx_models::ModelPackage;
use loopx_models::OutputRequest;
use loopx_srs::SrsPolicy;
use loopx_test_support::{compile_bundled, fixtures_dir, shared_bundled};

/// The first `n` lines of the bundled wallets file.
fn wallet_lines(n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(fixtures_dir().join("wallets.jsonl")).expect("wallets.jsonl");
    text.lines().take(n).map(str::to_string).collect()
}

fn write_lines(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("input written");
    path
}

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Vec<T> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

fn rows(input: &BatchInput, package: &ModelPackage, shard: Shard) -> Vec<Result<WalletRow, FailedRow>> {
    input.rows(package, shard).expect("readable").map(|r| r.expect("no I/O error")).collect()
}

#[test]
fn shards_cover_every_row_exactly_once() {
    let package = compile_bundled("risk_mlp", &OutputRequest::Auto);
    let tmp = tempfile::tempdir().unwrap();
    let mut lines = wallet_lines(9);
    lines.insert(4, "{not json".into()); // bad rows are rows too: sharding must not depend on content
    let path = write_lines(tmp.path(), "rows.jsonl", &lines);
    let input = BatchInput::new(&path);
    assert_eq!(input.count_rows().unwrap(), 10);
    let mut seen = [0; 11];
    for i in 0..3 {
        let shard = Shard::new(i, 3).unwrap();
        let mine: Vec<usize> = rows(&input, &package, shard)
            .iter()
            .map(|r| r.as_ref().map_or_else(|f| f.row, |w| w.row))
            .collect();
        assert_eq!(mine.len(), shard.rows_of(10));
        assert!(mine.iter().all(|r| (r - 1) % 3 == i), "shard {shard} took rows {mine:?}");
        for r in mine {
            seen[r] += 1;
        }
    }
    assert_eq!(&seen[1..], &[1; 10], "every row in exactly one shard");
}

#[test]
fn csv_and_both_json_shapes_read_the_same_rows() {
    let package = compile_bundled("risk_mlp", &OutputRequest::Auto);
    let names = package.schema.as_ref().unwrap().names().iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let jsonl = rows(&BatchInput::new(fixtures_dir().join("wallets.jsonl")), &package, Shard::ALL);
    let csv = rows(&BatchInput::new(fixtures_dir().join("wallets.csv")), &package, Shard::ALL);
    assert_eq!(jsonl.len(), 50);
    assert_eq!(jsonl, csv);

    // By name, with the columns in reverse order: still the model's order after reading.
    let tmp = tempfile::tempdir().unwrap();
    let named: Vec<String> = jsonl
        .iter()
        .take(5)
        .map(|row| {
            let row = row.as_ref().unwrap();
            let features: serde_json::Map<String, serde_json::Value> =
                names.iter().zip(&row.values).rev().map(|(n, v)| (n.clone(), (*v).into())).collect();
            serde_json::json!({ "wallet": loopx_prover::format_wallet(&row.wallet), "features": features })
                .to_string()
        })
        .collect();
    let by_name =
        rows(&BatchInput::new(write_lines(tmp.path(), "named.jsonl", &named)), &package, Shard::ALL);
    assert_eq!(by_name, jsonl[..5]);
}

#[test]
fn csv_header_without_a_model_feature_is_refused_before_any_work() {
    let package = compile_bundled("risk_mlp", &OutputRequest::Auto);
    let tmp = tempfile::tempdir().unwrap();
    let csv = std::fs::read_to_string(fixtures_dir().join("wallets.csv")).unwrap();
    let broken = csv.replacen("tx_count", "tx_cnt", 1);
    let path = tmp.path().join("broken.csv");
    std::fs::write(&path, broken).unwrap();
    let error = BatchInput::new(&path).rows(&package, Shard::ALL).unwrap_err();
    assert!(matches!(error, BatchError::Input { .. }), "{error}");
    assert!(error.to_string().contains("`tx_cnt` is not a feature"), "{error}");
}

#[test]
fn bad_rows_are_logged_good_rows_proven_and_a_rerun_skips_and_keeps_the_manifest() {
    let dir = shared_bundled("risk_mlp");
    let tmp = tempfile::tempdir().unwrap();
    let good = wallet_lines(3);
    let mut wrong_count: serde_json::Value = serde_json::from_str(&good[1]).unwrap();
    wrong_count["features"].as_array_mut().unwrap().pop();
    let mut out_of_range: serde_json::Value = serde_json::from_str(&good[2]).unwrap();
    out_of_range["features"][0] = 99_999.0.into(); // wallet_age_days ≤ 3650
    let lines = vec![
        good[0].clone(),
        r#"{"wallet": "0x5c10c3aed19456ef43dc7b092792391e284b1f75", "features": [1, 2,"#.into(),
        good[1].clone(),
        wrong_count.to_string(),
        out_of_range.to_string(),
        good[2].clone(),
        r#"{"wallet": "0x1234", "features": []}"#.into(),
    ];
    let input = BatchInput::new(write_lines(tmp.path(), "rows.jsonl", &lines));
    let store = ProofStore::create(tmp.path().join("proofs")).unwrap();
    let prover = BatchProver::load(dir, SrsPolicy::AllowDev).unwrap();
    let options = BatchOptions { parallelism: Parallelism::with_jobs(2), shard: Shard::ALL };

    let mut seen = Vec::new();
    let first = prover.run(&input, &store, &options, |o| seen.push(o.row())).unwrap();
    seen.sort_unstable();
    assert_eq!(seen, (1..=7).collect::<Vec<_>>(), "every row reported once");
    assert_eq!((first.proved, first.skipped, first.failed), (3, 0, 4));

    let errors: Vec<FailedRow> = read_jsonl(&first.errors);
    let mut errors: Vec<(usize, String)> = errors.into_iter().map(|e| (e.row, e.reason)).collect();
    errors.sort();
    let rows: Vec<usize> = errors.iter().map(|e| e.0).collect();
    assert_eq!(rows, [2, 4, 5, 7]);
    assert!(errors[0].1.contains("malformed JSON"), "{}", errors[0].1);
    assert!(errors[1].1.contains("expected 24 features but the input has 23"), "{}", errors[1].1);
    assert!(
        errors[2].1.contains("`wallet_age_days` = 99999 is outside its allowed range"),
        "{}",
        errors[2].1
    );
    assert!(errors[3].1.contains("not a wallet address"), "{}", errors[3].1);

    let manifest: Vec<ManifestEntry> = read_jsonl(&first.manifest);
    let mut manifest_rows: Vec<usize> = manifest.iter().map(|e| e.row).collect();
    manifest_rows.sort_unstable();
    assert_eq!(manifest_rows, [1, 3, 6]);
    assert_eq!(store.proof_files().unwrap().count(), 3);

    let again = prover.run(&input, &store, &options, |_| {}).unwrap();
    assert_eq!((again.proved, again.skipped, again.failed), (0, 3, 4));
    let mut after: Vec<ManifestEntry> = read_jsonl(&again.manifest);
    let mut before = manifest;
    after.sort_by_key(|e| e.row);
    before.sort_by_key(|e| e.row);
    assert_eq!(after, before, "the rerun's manifest lists the earlier run's proofs");
    assert_eq!(read_jsonl::<FailedRow>(&again.errors).len(), 4, "the error log describes the last run only");

    let verifier = BatchVerifier::load(dir, SrsPolicy::AllowDev).unwrap();
    let summary = verifier.verify_dir(&store, |_| {}).unwrap();
    assert_eq!((summary.valid, summary.invalid), (3, 0));

    // Claim another wallet's outputs in one file: the directory check names that file.
    let victim = store.proof_path(&before[0].file);
    let mut proof: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&victim).unwrap()).unwrap();
    let flipped = if proof["outputs"][0] == 0.0 { 1.0 } else { 0.0 };
    proof["outputs"][0] = flipped.into();
    std::fs::write(&victim, proof.to_string()).unwrap();
    let mut invalid = Vec::new();
    let summary = verifier
        .verify_dir(&store, |check| {
            if let Some(problem) = &check.problem {
                invalid.push((check.file.clone(), problem.clone()));
            }
        })
        .unwrap();
    assert_eq!((summary.valid, summary.invalid), (2, 1));
    assert_eq!(invalid[0].0, victim);
    assert!(invalid[0].1.contains("outputs"), "{}", invalid[0].1);
}
