//! Batch proving throughput: the bundled risk_mlp (16 wallets per iteration) and the wide
//! 64→256→256→8 MLP of the EZKL comparison (4 wallets per iteration), each with one proof at a
//! time (`--jobs 1`: halo2 parallel inside it) and with one single-threaded proof per core (the
//! default of `loopx batch`). Criterion reports wallets per second; divide by the cores used for
//! proofs per second per core. Run: `cargo bench -p loopx-benches --bench batch`.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use loopx_batch::available_cores;
use loopx_batch::{BatchInput, BatchOptions, BatchProver, Parallelism, ProofStore, Shard};
use loopx_benches::{bundled, ezkl_shape, Workload, EZKL_SHAPES};
use loopx_srs::Srs;

fn bench(c: &mut Criterion) {
    throughput(c, bundled("risk_mlp"), 16);
    let (name, sizes) = EZKL_SHAPES[2];
    throughput(c, ezkl_shape(name, sizes), 4);
}

/// Proves `wallets` rows of `w` per iteration with `--jobs 1` and with one job per core.
fn throughput(c: &mut Criterion, w: Workload, wallets: usize) {
    let srs = Srs::dev(w.plan.shape.k).expect("dev SRS");
    let keys = w.keys(&srs);
    let prover = BatchProver::new(w.package.clone(), keys, srs).expect("prover");

    let dir = tempfile::tempdir().expect("temp dir");
    let lines: Vec<String> = (0..wallets)
        .map(|i| {
            let row = &w.rows[i % w.rows.len()];
            serde_json::json!({ "wallet": format!("0x{:040x}", i + 1), "features": row }).to_string()
        })
        .collect();
    let input_path = dir.path().join("wallets.jsonl");
    std::fs::write(&input_path, lines.join("\n")).expect("input written");
    let input = BatchInput::new(&input_path);

    let mut group = c.benchmark_group(format!("batch {} (k={}, {wallets} wallets)", w.name, w.plan.shape.k));
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(wallets as u64));
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
                    assert_eq!(summary.proved, wallets);
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
