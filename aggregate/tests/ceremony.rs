//! The aggregation SRS's binding to the package's ceremony, on small SRSs (fast): an honest one
//! passes, one with two points exchanged (generator, `[1]₂` and `[s]₂` kept) or from another
//! secret is refused.

use std::path::Path;

use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use loopx_aggregate::ceremony::{check_powers, check_same_ceremony};
use loopx_aggregate::AggregateError;
use loopx_srs::artifact::{self, SRS};
use loopx_srs::Srs;
use rand::SeedableRng;

/// `srs` saved in `dir` with the 64-byte G1 points at `a` and `b` of its body exchanged (body:
/// k, then 2^k monomial and 2^k Lagrange points, then the G2 points), and loaded back.
fn with_points_exchanged(srs: &Srs, dir: &Path, a: usize, b: usize) -> Srs {
    let path = dir.join(format!("srs-{a}-{b}.bin"));
    srs.save(&path).unwrap();
    let (header, mut body): (serde_json::Value, Vec<u8>) = artifact::read(&path, SRS).unwrap();
    let point = |i: usize| 4 + 64 * i..4 + 64 * (i + 1);
    let first = body[point(a)].to_vec();
    body.copy_within(point(b), point(a).start);
    body[point(b)].copy_from_slice(&first);
    artifact::write(&path, SRS, &header, &body).unwrap();
    Srs::load(&path).unwrap()
}

#[test]
fn an_honest_srs_passes_and_exchanged_points_are_refused() {
    let k = 8;
    let n = 1usize << k;
    let srs = Srs::dev(k).unwrap();
    let path = Path::new("srs.bin");
    check_powers(&srs, path).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // Monomial points 1 and 2, the last two, and Lagrange points 0 and 1, n − 2 and n − 1.
    for (a, b) in [(1, 2), (n - 2, n - 1), (n, n + 1), (2 * n - 2, 2 * n - 1)] {
        let forged = with_points_exchanged(&srs, tmp.path(), a, b);
        check_same_ceremony(&srs, &forged).unwrap();
        let refusal = check_powers(&forged, path).unwrap_err();
        assert!(matches!(refusal, AggregateError::SrsMismatch(_)), "points {a}, {b}: {refusal}");
        assert!(refusal.to_string().contains("srs.bin"), "{refusal}");
    }
}

#[test]
fn an_srs_of_another_secret_is_another_ceremony() {
    let k = 8;
    let srs = Srs::dev(k).unwrap();
    let other = Srs::from_ceremony(
        ParamsKZG::setup(k, rand::rngs::StdRng::seed_from_u64(7)),
        "another secret".into(),
    );
    // Internally consistent, but not the package's ceremony.
    check_powers(&other, Path::new("other.bin")).unwrap();
    assert!(matches!(check_same_ceremony(&srs, &other), Err(AggregateError::SrsMismatch(_))));
}
