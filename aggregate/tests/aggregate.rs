//! One real aggregation of two app proofs (the default suite's): it verifies natively, says what
//! each covered proof says, and is refused when the proof, a covered wallet or output, or the
//! accumulator is changed.

mod common;

use std::time::Instant;

use halo2curves::bn256::Fr;
use loopx_aggregate::{covered_claims, verify_aggregate, AggregationKeys, AggregationProver, ACCUMULATOR_LIMBS};
use loopx_prover::InstanceClaim;
use loopx_srs::{Srs, SrsPolicy};

#[test]
fn aggregates_two_poseidon_proofs_and_rejects_every_tampering() {
    let k = common::agg_k();
    let tmp = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let srs = Srs::dev(k).unwrap();
    eprintln!("dev SRS k = {k}: {:.1} s", start.elapsed().as_secs_f64());
    let package = common::set_up(&tmp.path().join("pkg"), &srs);
    let files = common::poseidon_proofs(&package, 2);

    let start = Instant::now();
    let prover = AggregationProver::open(&package, 2, Some((&srs, k)), SrsPolicy::AllowDev, &files[0]).unwrap();
    eprintln!("aggregation keygen: {:.1} s, config {:?}", start.elapsed().as_secs_f64(), prover.keys.setup.config);
    let start = Instant::now();
    let aggregate = prover.aggregate(&files).unwrap();
    eprintln!("aggregation proof: {:.1} s, {} bytes", start.elapsed().as_secs_f64(), aggregate.bytes.len());

    let keys = AggregationKeys::load(&package, 2, SrsPolicy::AllowDev).unwrap();
    verify_aggregate(&keys, &aggregate.bytes, &aggregate.instances).unwrap();
    let claims = covered_claims(&keys.setup.layout, &aggregate.instances).unwrap();
    let expected: Vec<InstanceClaim> =
        files.iter().map(|(_, f)| InstanceClaim::decode(&f.instance_values().unwrap()).unwrap()).collect();
    assert_eq!(claims, expected);

    // Every public word changed by one: the accumulator limbs and each covered word.
    for index in 0..aggregate.instances.len() {
        let mut instances = aggregate.instances.clone();
        instances[index] += Fr::from(1);
        assert!(
            verify_aggregate(&keys, &aggregate.bytes, &instances).is_err(),
            "instance {index} (accumulator limbs end at {ACCUMULATOR_LIMBS}) changed and still accepted"
        );
    }
    // A flipped bit in the proof, a truncated proof, a trailing byte.
    for at in [0, aggregate.bytes.len() / 2, aggregate.bytes.len() - 1] {
        let mut bytes = aggregate.bytes.clone();
        bytes[at] ^= 1;
        assert!(verify_aggregate(&keys, &bytes, &aggregate.instances).is_err(), "bit flipped at byte {at}");
    }
    let mut longer = aggregate.bytes.clone();
    longer.push(0);
    assert!(verify_aggregate(&keys, &longer, &aggregate.instances).is_err());
    assert!(verify_aggregate(&keys, &aggregate.bytes[..aggregate.bytes.len() - 32], &aggregate.instances).is_err());
}
