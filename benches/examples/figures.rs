//! Prints k, columns, setup and proving time of one workload (or all): the figures of the
//! issue notes. Peak memory: run under `/usr/bin/time -f %M`, one workload per process:
//! `cargo run --release -p loopx-benches --example figures -- mlp_64_256_256_8`.

use std::time::Instant;

use loopx_benches::all;
use loopx_prover::{prove, verify};
use loopx_srs::Srs;

fn main() {
    let only = std::env::args().nth(1);
    for w in all().into_iter().filter(|w| only.as_deref().is_none_or(|n| n == w.name)) {
        let start = Instant::now();
        let srs = Srs::dev(w.plan.shape.k).expect("dev SRS");
        let srs_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let keys = w.keys(&srs);
        let setup_s = start.elapsed().as_secs_f64();
        let features = w.features(0);
        let start = Instant::now();
        let proof = prove(&w.package.quantized, &keys, &srs, &w.request(&features)).expect("proof");
        let prove_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let valid =
            verify(keys.vk(), &keys.header, &srs, &proof.bytes, &proof.instances.to_vec()).expect("verify");
        let verify_s = start.elapsed().as_secs_f64();
        let p = &w.plan;
        println!(
            "{:<18} k={:<2} pool_width={:<2} rows(pool/strip)={}/{} advice={} fixed={} proof={}B srs={:.2}s setup={:.2}s prove={:.2}s verify={:.3}s valid={}",
            w.name, p.shape.k, p.shape.pool_width, p.pool_rows, p.strip_rows,
            p.advice_columns, p.fixed_columns, proof.bytes.len(), srs_s, setup_s, prove_s, verify_s, valid
        );
    }
}
