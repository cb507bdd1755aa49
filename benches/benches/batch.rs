//! Batch proving throughput of the bundled risk_mlp (k = 11): 16 wallets per iteration with one
//! proof at a time (halo2 parallel inside it) and with one single-threaded proof per core.
//! Run: `cargo bench -p loopx-benches --bench batch`; it checks on any machine the choice of
//! `Parallelism::across_proofs` (the default of `loopx batch`, measured in docs/batch.md).

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use loopx_batch::available_cores;
use loopx_batch::{BatchInput, BatchOptions, BatchProver, Parallelism, ProofStore, Shard};
use loopx_benches::bundled;
use loopx_srs::Srs;

/// Wallets proven per iteration.
const WALLETS: usize = 16;

fn bench(c: &mut Criterion) {
    let w = bundled("risk_mlp");
    let srs = Srs::dev(w.plan.shape.k).expect("dev SRS");
    let keys = w.keys(&srs);
    let prover = BatchProver::new(w.package.clone(), keys, srs).expect("prover");

    let dir = tempfile::tempdir().expect("temp dir");
    let wallets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/wallets.jsonl");
    let text = std::fs::read_to_string(wallets).expect("fixtures/wallets.jsonl");
    let rows: Vec<&str> = text.lines().take(WALLETS).collect();
    let input_path = dir.path().join("wallets.jsonl");
    std::fs::write(&input_path, rows.join("\n")).expect("input written");
    let input = BatchInput::new(&input_path);

    let mut group = c.benchmark_group(format!("batch risk_mlp (k={}, {WALLETS} wallets)", w.plan.shape.k));
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(WALLETS as u64));
    let mut settings = vec![1];
    if available_cores() > 1 {
        settings.push(available_cores());
    }
    for jobs in settings {
        let parallelism = Parallelism::with_jobs(jobs);
        let options = BatchOptions { parallelism, shard: Shard::ALL };
        let label = format!("jobs={jobs} threads_per_proof={}", parallelism.threads_per_proof);
        group.bench_function(label, |b| {
            b.iter_batched(
                // A fresh directory each time, so every row is proven rather than skipped.
                || tempfile::tempdir_in(dir.path()).expect("proofs dir"),
                |proofs| {
                    let store = ProofStore::open(proofs.path()).expect("store");
                    let summary = prover.run(&input, &store, &options, |_| {}).expect("batch");
                    assert_eq!(summary.proved, WALLETS);
                    proofs
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
