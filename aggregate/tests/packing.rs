//! The constraints LoopX adds to the aggregation circuit, on their own in a small circuit under
//! MockProver: the compressed words of a covered proof equal its instance cells, the wallet is
//! below 2^160, the first output is a signed 64-bit integer, and the packed word is exactly
//! `wallet + (output0 + 2^63)·2^160`. Each constraint has a case that breaks it.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use loopx_aggregate::circuit::{compress_cells, output_offset, wallet_shift, AggregateLayout};

const K: u32 = 10;

/// Runs the packing gadget over `app` (commitment, wallet, outputs…) and checks it against
/// `published` words; returns whether MockProver accepts.
fn accepts(app: &[Fr], published: Option<Vec<Fr>>) -> bool {
    let mut builder = BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Mock)
        .use_k(K as usize)
        .use_lookup_bits(K as usize - 1)
        .use_instance_columns(1);
    let range = builder.range_chip();
    let ctx = builder.main(0);
    let cells = ctx.assign_witnesses(app.iter().copied());
    let words = compress_cells(ctx, &range, &cells);
    builder.assigned_instances[0].extend(words.iter().copied());
    builder.calculate_params(Some(9));
    let column = published.unwrap_or_else(|| words.iter().map(|w| *w.value()).collect());
    MockProver::run(K, &builder, vec![column]).expect("mock prover runs").verify().is_ok()
}

fn wallet(last: u64) -> Fr {
    Fr::from(last) + Fr::from(0xa0u64) * Fr::from(2).pow_vartime([152])
}

fn app(wallet: Fr, output: Fr) -> Vec<Fr> {
    vec![Fr::from(12345), wallet, output, Fr::from(7)]
}

#[test]
fn honest_words_are_the_packed_instances() {
    for output in [Fr::ZERO, Fr::ONE, -Fr::ONE, Fr::from(i64::MAX as u64), -Fr::from(1u64 << 63)] {
        let instances = app(wallet(1), output);
        let expected = AggregateLayout::new(1, 4).unwrap().compress(&instances).unwrap();
        assert_eq!(expected[1], instances[1] + (output + output_offset()) * wallet_shift());
        assert!(accepts(&instances, Some(expected)), "output {output:?}");
    }
}

#[test]
fn rejects_a_wallet_of_160_bits_or_more() {
    let too_wide = Fr::from(2).pow_vartime([160]);
    assert!(!accepts(&app(too_wide, Fr::ONE), None));
    assert!(!accepts(&app(-Fr::ONE, Fr::ONE), None));
    assert!(AggregateLayout::new(1, 4).unwrap().compress(&app(too_wide, Fr::ONE)).is_err());
}

#[test]
fn rejects_a_first_output_outside_signed_64_bits() {
    // 2^63 and −2^63 − 1 shift to 2^64 and −1: both outside 64 bits, which would let the output
    // spill into (or borrow from) the wallet's bits.
    assert!(!accepts(&app(wallet(2), Fr::from(1u64 << 63)), None));
    assert!(!accepts(&app(wallet(2), -Fr::from(1u64 << 63) - Fr::ONE), None));
}

#[test]
fn rejects_published_words_other_than_the_covered_instances() {
    let instances = app(wallet(3), Fr::from(5));
    let honest = AggregateLayout::new(1, 4).unwrap().compress(&instances).unwrap();
    for index in 0..honest.len() {
        let mut changed = honest.clone();
        changed[index] += Fr::ONE;
        assert!(!accepts(&instances, Some(changed)), "word {index} changed");
    }
    // The same wallet with the output moved into its low bits (an ambiguous packing) is refused.
    let mut ambiguous = honest.clone();
    ambiguous[1] = instances[1] + Fr::from(5) + output_offset();
    assert!(!accepts(&instances, Some(ambiguous)));
}
