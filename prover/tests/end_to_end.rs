//! Real KZG proofs of the bundled wallet models: proven outputs equal the quantized model's, and
//! verification rejects every tampering the DESIGN's security rules list.

use std::sync::OnceLock;

use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use loopx_circuits::{choose_shape, ModelCircuit, PublicInstances};
use loopx_models::{ModelPackage, OutputRequest};
use loopx_prover::proof::{prove_circuit, witness};
use loopx_prover::{prove, setup, verify, ModelKeys, Proof, ProofRequest, ProverError};
use loopx_srs::{ArtifactError, Srs, SrsError};
use loopx_test_support::compile_bundled;
use loopx_test_support::fixtures::heldout_rows;
use loopx_test_support::tamper::{Tamper, Tampered};

struct Bundled {
    package: ModelPackage,
    keys: ModelKeys,
    /// The shared SRS cut to this circuit's k once: proving and verifying with a larger SRS
    /// downsizes it (an FFT over G1) on every call.
    srs: Srs,
    heldout: Vec<Vec<f64>>,
}

fn srs() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| Srs::dev(14).expect("dev SRS"))
}

fn bundled(name: &str) -> &'static Bundled {
    static CACHE: OnceLock<std::sync::Mutex<std::collections::HashMap<String, &'static Bundled>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap();
    map.entry(name.to_string()).or_insert_with(|| {
        let package = compile_bundled(name, &OutputRequest::Auto);
        let plan = choose_shape(&package.quantized);
        let keys = setup(&package.quantized, &package.model_id, &plan, srs()).expect("setup");
        let heldout = heldout_rows(&package, name);
        let srs = srs().downsized(keys.header.shape.k).expect("SRS large enough");
        Box::leak(Box::new(Bundled { package, keys, srs, heldout }))
    })
}

fn wallet(i: u8) -> [u8; 20] {
    let mut w = [0x11; 20];
    w[19] = i;
    w
}

fn prove_row(b: &Bundled, row: usize, wallet_byte: u8) -> (Proof, Vec<i64>) {
    let q = b.package.quantize_row(&b.heldout[row]).expect("held-out row in range");
    let request =
        ProofRequest { features: &q, wallet: wallet(wallet_byte), salt: Fr::from(1000 + row as u64) };
    (prove(&b.package.quantized, &b.keys, &b.srs, &request).expect("proof"), q)
}

fn verifies(b: &Bundled, proof: &[u8], instances: &[Fr]) -> bool {
    verify(b.keys.vk(), &b.keys.header, &b.srs, proof, instances).expect("verifier runs")
}

/// The outputs a proof publishes, as the circuit's integers.
fn proven_outputs(proof: &Proof) -> Vec<i64> {
    proof.instances.outputs.iter().map(|f| loopx_circuits::instances::fr_to_i64(f).unwrap()).collect()
}

#[test]
fn proven_outputs_equal_quantized_outputs_on_every_bundled_model() {
    for name in ["sybil_lr", "risk_mlp", "credit_mlp", "sybil_gbt"] {
        let b = bundled(name);
        for row in [0, 7, 42] {
            let (proof, q) = prove_row(b, row, row as u8);
            let expected = b.package.quantized.forward(&q).unwrap().public_outputs;
            let proven = proven_outputs(&proof);
            assert_eq!(proven, expected, "{name} row {row}");
            assert!(verifies(b, &proof.bytes, &proof.instances.to_vec()), "{name} row {row} does not verify");
        }
    }
}

#[test]
fn rejects_flipped_bytes_throughout_the_proof() {
    let b = bundled("risk_mlp");
    let (proof, _) = prove_row(b, 3, 3);
    let instances = proof.instances.to_vec();
    let len = proof.bytes.len();
    let positions: Vec<usize> = (0..48).map(|i| i * len / 48).chain([len - 1, 31, 32, 63, 64]).collect();
    for pos in positions {
        let mut bytes = proof.bytes.clone();
        bytes[pos] ^= 0x01;
        assert!(!verifies(b, &bytes, &instances), "flipped byte {pos} of {len} accepted");
    }
}

#[test]
fn rejects_changed_instances_truncation_and_trailing_bytes() {
    let b = bundled("risk_mlp");
    let (proof, _) = prove_row(b, 5, 5);
    let instances = proof.instances.to_vec();
    for row in 0..instances.len() {
        let mut changed = instances.clone();
        changed[row] += Fr::ONE;
        assert!(!verifies(b, &proof.bytes, &changed), "changed instance {row} accepted");
    }
    let other_wallet =
        PublicInstances { wallet: loopx_circuits::wallet_to_fr(&wallet(99)), ..proof.instances.clone() };
    assert!(!verifies(b, &proof.bytes, &other_wallet.to_vec()), "another wallet accepted");
    assert!(!verifies(b, &proof.bytes[..proof.bytes.len() - 32], &instances), "truncated proof accepted");
    let mut longer = proof.bytes.clone();
    longer.extend([0u8; 32]);
    assert!(!verifies(b, &longer, &instances), "over-long proof accepted");
    assert!(!verifies(b, &proof.bytes, &instances[..instances.len() - 1]), "missing instance accepted");
}

#[test]
fn rejects_a_proof_made_for_another_model() {
    let (risk, credit) = (bundled("risk_mlp"), bundled("credit_mlp"));
    let (proof, _) = prove_row(credit, 1, 1);
    assert!(!verify(risk.keys.vk(), &risk.keys.header, &risk.srs, &proof.bytes, &proof.instances.to_vec())
        .unwrap());
}

#[test]
fn real_proofs_with_tampered_witnesses_do_not_verify() {
    let b = bundled("risk_mlp");
    let q = b.package.quantize_row(&b.heldout[2]).unwrap();
    let request = ProofRequest { features: &q, wallet: wallet(2), salt: Fr::from(5) };
    let (w, instances) = witness(&b.package.quantized, &request).unwrap();
    let honest = w.trace.public_outputs[0] as usize;
    let tampers = [
        Tamper::RescaleRemainder { layer: 0, neuron: 3 },
        Tamper::ActivationOutput { layer: 1, neuron: 0 },
        Tamper::ClampFlag { layer: 0, neuron: 1 },
        Tamper::ArgMax { index: (honest + 1) % 4 },
        Tamper::PoseidonState { round: 10, word: 1 },
        Tamper::Input { index: 0, value: b.package.quantized.inputs[0].max + 1 },
    ];
    for tamper in tampers {
        let circuit = ModelCircuit::with_witness(b.package.quantized.clone(), b.keys.header.shape, w.clone())
            .tampered(tamper);
        let mut public = instances.clone();
        if let Tamper::ArgMax { index } = tamper {
            public.outputs = vec![Fr::from(index as u64)];
        }
        let accepted = match prove_circuit(&circuit, &b.keys, &b.srs, public.clone()) {
            Ok(proof) => verifies(b, &proof.bytes, &public.to_vec()),
            Err(_) => false,
        };
        assert!(!accepted, "{tamper:?} produced an accepted proof");
    }
}

#[test]
fn keys_round_trip_through_files_and_setup_is_deterministic() {
    let b = bundled("sybil_lr");
    let dir = tempfile::tempdir().unwrap();
    b.keys.save(dir.path()).unwrap();
    let loaded = ModelKeys::load(dir.path()).unwrap();
    assert_eq!(loaded.header, b.keys.header);
    let (header, vk) = loopx_prover::keys::load_vk(&dir.path().join("vk.bin")).unwrap();
    assert_eq!(header, b.keys.header);
    assert_eq!(vk.transcript_repr(), b.keys.vk().transcript_repr(), "verifying key changed through a file");
    let again =
        setup(&b.package.quantized, &b.package.model_id, &choose_shape(&b.package.quantized), srs()).unwrap();
    assert_eq!(again.vk().transcript_repr(), b.keys.vk().transcript_repr(), "two setups disagree");
    let (proof, _) = prove_row(b, 9, 9);
    assert!(verify(&vk, &header, &b.srs, &proof.bytes, &proof.instances.to_vec()).unwrap());
}

#[test]
fn damaged_key_and_srs_files_are_clear_errors() {
    let b = bundled("sybil_lr");
    let dir = tempfile::tempdir().unwrap();
    b.keys.save(dir.path()).unwrap();
    let pk = dir.path().join("pk.bin");
    let bytes = std::fs::read(&pk).unwrap();
    std::fs::write(&pk, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(ModelKeys::load(dir.path()), Err(ProverError::Artifact(ArtifactError::Corrupt { .. }))));
    std::fs::write(&pk, b"not a key").unwrap();
    assert!(matches!(ModelKeys::load(dir.path()), Err(ProverError::Artifact(ArtifactError::Corrupt { .. }))));
    assert!(matches!(
        ModelKeys::load(&dir.path().join("missing")),
        Err(ProverError::Artifact(ArtifactError::Io { .. }))
    ));

    let srs_path = dir.path().join("srs.bin");
    Srs::dev(4).unwrap().save(&srs_path).unwrap();
    assert_eq!(Srs::load(&srs_path).unwrap().k(), 4);
    let bytes = std::fs::read(&srs_path).unwrap();
    std::fs::write(&srs_path, &bytes[..bytes.len() - 10]).unwrap();
    assert!(matches!(Srs::load(&srs_path), Err(SrsError::Artifact(ArtifactError::Corrupt { .. }))));
}

#[test]
fn an_srs_smaller_than_the_circuit_is_refused() {
    let b = bundled("sybil_lr");
    let small = Srs::dev(b.keys.header.shape.k - 1).unwrap();
    let plan = choose_shape(&b.package.quantized);
    assert!(matches!(
        setup(&b.package.quantized, "x", &plan, &small),
        Err(ProverError::Srs(SrsError::TooSmall { .. }))
    ));
    let q = b.package.quantize_row(&b.heldout[0]).unwrap();
    let request = ProofRequest { features: &q, wallet: wallet(0), salt: Fr::ONE };
    assert!(matches!(
        prove(&b.package.quantized, &b.keys, &small, &request),
        Err(ProverError::Srs(SrsError::TooSmall { .. }))
    ));
}

#[test]
fn out_of_range_and_miscounted_features_are_refused_before_proving() {
    let b = bundled("risk_mlp");
    let mut q = b.package.quantize_row(&b.heldout[0]).unwrap();
    q[4] = b.package.quantized.inputs[4].max + 1;
    let request = ProofRequest { features: &q, wallet: wallet(0), salt: Fr::ONE };
    let err = prove(&b.package.quantized, &b.keys, &b.srs, &request).unwrap_err();
    assert!(err.to_string().contains(&b.package.quantized.inputs[4].name), "{err}");
    let short = &q[..3];
    let request = ProofRequest { features: short, wallet: wallet(0), salt: Fr::ONE };
    assert!(prove(&b.package.quantized, &b.keys, &b.srs, &request).is_err());
}

#[test]
fn exported_tree_ensembles_prove_their_outputs_at_narrow_and_packed_layouts() {
    // The fixtures' trees as skl2onnx and onnxmltools export them, proven for real at the chosen
    // layout, and the forest also at a wide one whose rows hold several multiplexers and
    // thermometer cells each.
    let dir = loopx_test_support::fixtures_dir().join("tree");
    for name in ["risk_forest", "risk_gbr", "risk_xgb", "sybil_lgbm"] {
        let (package, _) = loopx_models::compile_named(&dir, name).expect("compiles");
        let m = &package.quantized;
        let rows =
            loopx_models::load_rows(dir.join(format!("{name}.heldout.json")), None, package.features())
                .expect("rows");
        let reference: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.reference.json"))).unwrap(),
        )
        .unwrap();
        let chosen = choose_shape(m).shape.pool_width;
        let widths = if name == "risk_forest" { vec![chosen, 12] } else { vec![chosen] };
        for width in widths {
            let plan = loopx_circuits::plan::sized(m, width, false);
            let keys = setup(m, &package.model_id, &plan, srs()).expect("setup");
            let srs = srs().downsized(plan.shape.k).expect("SRS large enough");
            for row in [0, 1] {
                let q = package.quantize_row(&rows[row]).expect("in range");
                let request = ProofRequest { features: &q, wallet: wallet(9), salt: Fr::from(3) };
                let proof = prove(m, &keys, &srs, &request).expect("proof");
                let proven = proven_outputs(&proof);
                assert_eq!(proven, m.forward(&q).unwrap().public_outputs, "{name} width {width} row {row}");
                if m.output == loopx_models::OutputSpec::ArgMax {
                    let probabilities: Vec<f64> = reference["outputs"][row]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap())
                        .collect();
                    let top = (0..probabilities.len())
                        .max_by(|a, b| probabilities[*a].total_cmp(&probabilities[*b]))
                        .unwrap();
                    assert_eq!(proven, vec![top as i64], "{name} row {row}: onnxruntime's class");
                }
                assert!(
                    verify(keys.vk(), &keys.header, &srs, &proof.bytes, &proof.instances.to_vec()).unwrap(),
                    "{name} width {width} row {row} does not verify"
                );
            }
        }
    }
}

#[test]
fn a_bundled_mlp_proves_its_outputs_with_several_dense_outputs_per_row() {
    // Multi-output dense rows proven for real: each chain computes four neurons of a layer (the
    // last one of a layer with unused slots where its width is not a multiple of four).
    for name in ["risk_mlp", "credit_mlp"] {
        let package = compile_bundled(name, &OutputRequest::Auto);
        let m = &package.quantized;
        let plan = loopx_circuits::plan::sized_with_outputs(m, 8, false, 4);
        assert_eq!(plan.shape.dense_outputs, 4);
        let keys = setup(m, &package.model_id, &plan, srs()).expect("setup");
        let srs = srs().downsized(plan.shape.k).expect("SRS large enough");
        let rows = heldout_rows(&package, name);
        for row in [0, 1] {
            let q = package.quantize_row(&rows[row]).expect("in range");
            let request = ProofRequest { features: &q, wallet: wallet(7), salt: Fr::from(5) };
            let proof = prove(m, &keys, &srs, &request).expect("proof");
            assert_eq!(proven_outputs(&proof), m.forward(&q).unwrap().public_outputs, "{name} row {row}");
            assert!(
                verify(keys.vk(), &keys.header, &srs, &proof.bytes, &proof.instances.to_vec()).unwrap(),
                "{name} row {row} does not verify"
            );
        }
    }
}
