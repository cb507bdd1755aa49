//! A snarkjs powers-of-tau ceremony imported as the SRS proves and verifies the bundled sybil_lr
//! model, and one smaller than the circuit is refused by setup.

use std::path::PathBuf;
use std::sync::OnceLock;

use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use loopx_circuits::choose_shape;
use loopx_models::{compile_files, ModelPackage, OutputRequest};
use loopx_prover::{prove, setup, verify, ProofRequest, ProverError};
use loopx_srs::{import_ptau, Srs, SrsError};

#[path = "../../srs/tests/support/ceremony.rs"]
mod support;
use support::Ceremony;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The bundled sybil_lr model, compiled once.
fn sybil_lr() -> &'static (ModelPackage, Vec<Vec<f64>>) {
    static MODEL: OnceLock<(ModelPackage, Vec<Vec<f64>>)> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = repo().join("fixtures");
        let (package, _) = compile_files(
            dir.join("sybil_lr.onnx"),
            dir.join("sybil_lr.calibration.json"),
            Some(&dir.join("sybil_lr.schema.toml")),
            &OutputRequest::Auto,
            "sybil_lr",
        )
        .expect("bundled model compiles");
        let rows = loopx_models::load_rows(
            dir.join("sybil_lr.heldout.json"),
            package.schema.as_ref(),
            package.features(),
        )
        .expect("held-out rows");
        (package, rows)
    })
}

fn circuit_k() -> u32 {
    choose_shape(&sybil_lr().0.quantized).shape.k
}

/// A ceremony of power = the circuit's k.
fn ceremony() -> &'static Ceremony {
    static CEREMONY: OnceLock<Ceremony> = OnceLock::new();
    CEREMONY.get_or_init(|| support::ceremony(circuit_k()))
}

#[test]
fn imported_ceremony_srs_proves_and_verifies_sybil_lr() {
    let c = ceremony();
    let loaded = import_ptau(&c.prepared, None).expect("snarkjs ceremony imports").srs;
    let (package, rows) = sybil_lr();
    let plan = choose_shape(&package.quantized);
    let keys =
        setup(&package.quantized, &package.model_id, &plan, &loaded).expect("setup with the ceremony SRS");
    assert!(!keys.header.dev_srs, "keys from a ceremony SRS are marked as dev keys");
    let dev = Srs::dev(plan.shape.k).unwrap();
    for row in [0, 11] {
        let q = package.quantize_row(&rows[row]).unwrap();
        let request = ProofRequest { features: &q, wallet: [0x42; 20], salt: Fr::from(row as u64 + 7) };
        let proof = prove(&package.quantized, &keys, &loaded, &request).expect("proof");
        let instances = proof.instances.to_vec();
        assert!(verify(keys.vk(), &keys.header, &loaded, &proof.bytes, &instances).unwrap(), "row {row}");
        let mut changed = instances.clone();
        changed[0] += Fr::ONE;
        assert!(!verify(keys.vk(), &keys.header, &loaded, &proof.bytes, &changed).unwrap());
        // A dev SRS of the same size is a different τ: the ceremony proof must not verify there.
        assert!(!verify(keys.vk(), &keys.header, &dev, &proof.bytes, &instances).unwrap());
    }
}

#[test]
fn refuses_an_srs_below_the_circuit_k() {
    let c = ceremony();
    let small = import_ptau(&c.prepared, Some(circuit_k() - 1)).unwrap().srs;
    let (package, _) = sybil_lr();
    let plan = choose_shape(&package.quantized);
    assert!(matches!(
        setup(&package.quantized, &package.model_id, &plan, &small),
        Err(ProverError::Srs(SrsError::TooSmall { srs_k, circuit_k })) if srs_k + 1 == circuit_k
    ));
}
