//! Setup, witness generation, proving and verification for every bundled model and for the EZKL
//! comparison shapes. Run: `cargo bench -p loopx-benches --bench prover`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use loopx_benches::all;
use loopx_prover::proof::witness;
use loopx_prover::{prove, verify};
use loopx_srs::Srs;

fn bench(c: &mut Criterion) {
    for w in all() {
        let srs = Srs::dev(w.plan.shape.k).expect("dev SRS");
        let keys = w.keys(&srs);
        let features = w.features(0);
        let request = w.request(&features);
        let mut group = c.benchmark_group(format!("{} (k={})", w.name, w.plan.shape.k));
        group.sample_size(10);
        group.bench_function("setup", |b| b.iter(|| w.keys(&srs)));
        group.bench_function("witness", |b| {
            b.iter(|| witness(&w.package.quantized, &request).expect("witness"))
        });
        group.bench_function("prove", |b| {
            b.iter(|| prove(&w.package.quantized, &keys, &srs, &request).expect("proof"))
        });
        let proof = prove(&w.package.quantized, &keys, &srs, &request).expect("proof");
        let instances = proof.instances.to_vec();
        group.bench_function("verify", |b| {
            b.iter(|| {
                assert!(verify(keys.vk(), &keys.header, &srs, &proof.bytes, &instances).expect("verifier"))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
