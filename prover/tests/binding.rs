//! The stored verifying key is bound to its model by one random linear combination of its
//! commitments (`loopx_prover::binding`): it must accept exactly the key key generation gives,
//! and refuse any other — another commitment in any slot, two commitments swapped, a point off
//! the curve, any other byte of the layout, the key of a model one weight away.

use std::sync::OnceLock;

use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::{G1Affine, G1};
use halo2curves::group::Curve;
use halo2curves::serde::SerdeObject;
use loopx_circuits::{choose_shape, CircuitShape};
use loopx_models::{ModelPackage, OutputRequest};
use loopx_prover::binding::BindingError;
use loopx_prover::keys::{bind_verifying_key, verifying_key_for};
use loopx_srs::Srs;
use loopx_test_support::compile_bundled;

/// Bytes before the first commitment, and bytes per commitment, of a RawBytes key.
const HEADER: usize = 10;
const POINT: usize = 64;

struct Fixture {
    package: ModelPackage,
    shape: CircuitShape,
    srs: Srs,
    key: VerifyingKey<G1Affine>,
    bytes: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let package = compile_bundled("sybil_lr", &OutputRequest::Auto);
        let shape = choose_shape(&package.quantized).shape;
        let srs = Srs::dev(shape.k).expect("dev SRS");
        let key = verifying_key_for(&package.quantized, shape, &srs).expect("key");
        let bytes = key.to_bytes(SerdeFormat::RawBytes);
        Fixture { package, shape, srs, key, bytes }
    })
}

fn bind(bytes: &[u8]) -> Result<VerifyingKey<G1Affine>, BindingError> {
    let f = fixture();
    bind_verifying_key(&f.package.quantized, f.shape, &f.srs, bytes)
}

fn commitments(f: &Fixture) -> usize {
    f.key.fixed_commitments().len() + f.key.permutation().commitments().len()
}

fn with_point(bytes: &[u8], slot: usize, point: G1) -> Vec<u8> {
    let mut edited = bytes.to_vec();
    let at = HEADER + slot * POINT;
    edited[at..at + POINT].copy_from_slice(&point.to_affine().to_raw_bytes());
    edited
}

fn point_at(bytes: &[u8], slot: usize) -> G1Affine {
    let at = HEADER + slot * POINT;
    G1Affine::from_raw_bytes(&bytes[at..at + POINT]).expect("a stored commitment")
}

#[test]
fn the_key_key_generation_gives_binds_to_itself() {
    let f = fixture();
    let bound = bind(&f.bytes).expect("the model's own key");
    assert_eq!(bound.to_bytes(SerdeFormat::RawBytes), f.bytes);
    assert_eq!(bound.transcript_repr(), f.key.transcript_repr());
}

#[test]
fn another_point_in_any_commitment_slot_is_refused() {
    let f = fixture();
    let slots = commitments(f);
    assert!(slots >= 10, "sybil_lr's key has {slots} commitments");
    for slot in 0..slots {
        let moved = G1::from(point_at(&f.bytes, slot)) + G1::generator();
        let err = bind(&with_point(&f.bytes, slot, moved)).expect_err("a moved commitment was accepted");
        assert!(matches!(err, BindingError::Commitments), "slot {slot}: {err}");
    }
}

#[test]
fn two_swapped_commitments_are_refused() {
    let f = fixture();
    let (a, b) = (0, commitments(f) - 1);
    let swapped =
        with_point(&with_point(&f.bytes, a, point_at(&f.bytes, b).into()), b, point_at(&f.bytes, a).into());
    assert_ne!(swapped, f.bytes);
    let err = bind(&swapped).expect_err("swapped commitments were accepted");
    assert!(matches!(err, BindingError::Commitments), "{err}");
}

#[test]
fn a_commitment_off_the_curve_is_refused() {
    let f = fixture();
    let mut edited = f.bytes.clone();
    edited[HEADER + POINT + 7] ^= 1;
    let err = bind(&edited).expect_err("a point off the curve was accepted");
    assert!(matches!(err, BindingError::Point(1)), "{err}");
}

#[test]
fn any_other_layout_byte_is_refused() {
    let f = fixture();
    let tail = HEADER + commitments(f) * POINT;
    assert!(f.bytes.len() > tail, "the key stores its selectors after the commitments");
    for at in (0..HEADER).chain(tail..f.bytes.len()) {
        let mut edited = f.bytes.clone();
        edited[at] ^= 0x01;
        let err = bind(&edited).expect_err("an edited layout byte was accepted");
        assert!(matches!(err, BindingError::Layout(_)), "byte {at}: {err}");
    }
    for edited in [&f.bytes[..f.bytes.len() - 1], &[f.bytes.as_slice(), &[0]].concat()[..], &[][..]] {
        let err = bind(edited).expect_err("a key of another length was accepted");
        assert!(matches!(err, BindingError::Layout(_)), "{err}");
    }
}

#[test]
fn the_key_of_a_model_one_weight_away_is_refused() {
    let f = fixture();
    let mut other = f.package.quantized.clone();
    other.layers[0].weights[0][0] += 1;
    let other_key = verifying_key_for(&other, f.shape, &f.srs).expect("key").to_bytes(SerdeFormat::RawBytes);
    assert_ne!(other_key, f.bytes);
    let err = bind(&other_key).expect_err("another model's key was accepted");
    assert!(matches!(err, BindingError::Commitments), "{err}");
    // And the other way round: this model's key is not the other model's.
    let err =
        bind_verifying_key(&other, f.shape, &f.srs, &f.bytes).expect_err("accepted for the other model");
    assert!(matches!(err, BindingError::Commitments), "{err}");
}
