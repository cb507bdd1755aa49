//! What an issuer pays per credential (encode, commit with Poseidon, sign EIP-712) and what an
//! owner or a batch prover pays to check one (recompute the commitment, recover the signer).
//! Run: `cargo bench -p loopx-benches --bench credentials`.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use loopx_credentials::{issue, now_unix, parse_private_key, Address, IssueRequest};
use loopx_models::{load_input_row, Schema};

fn bench(c: &mut Criterion) {
    loopx_benches::require_cpu();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let schema = Schema::load(fixtures.join("risk_mlp.schema.toml")).expect("bundled schema");
    let values =
        load_input_row(fixtures.join("risk_mlp.features.json"), Some(&schema), schema.len()).expect("row");
    // anvil's second dev account: a public test key.
    let signer =
        parse_private_key("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d").unwrap();
    let now = now_unix();
    let request = IssueRequest {
        schema: &schema,
        values: &values,
        wallet: Address::repeat_byte(0x5c),
        issued_at: now,
        expires_at: now + 86_400,
        chain_id: 1,
    };
    let mut group = c.benchmark_group("credential (24 features)");
    group.bench_function("issue", |b| b.iter(|| issue(&request, &signer).expect("issues")));
    let credential = issue(&request, &signer).expect("issues");
    group.bench_function("check", |b| {
        b.iter(|| credential.check(now, Some(signer.address())).expect("checks"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
