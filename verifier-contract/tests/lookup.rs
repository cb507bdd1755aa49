//! A model whose activation tables are read by the lookup argument (`fixtures/activations/
//! act_sigmoid64`, 64 sigmoid neurons): its generated verifier accepts a real proof in revm,
//! within the EIP-170 limit, and rejects a corrupted proof, changed public inputs and a proof of
//! a witness with a wrong table entry — the native verifier agreeing every time.
//!
//! Gas figure: `cargo test --release --workspace --test lookup -- --nocapture`.

use std::path::Path;

use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use loopx_circuits::wire::fr_from_i64;
use loopx_circuits::{choose_shape, ModelCircuit};
use loopx_models::{compile, load_rows, OutputRequest};
use loopx_prover::proof::{prove_circuit, witness};
use loopx_prover::{prove, setup, verify, ProofRequest};
use loopx_srs::Srs;
use loopx_test_support::tamper::{Tamper, Tampered};
use loopx_verifier_contract::{generate_verifier, verify_in_evm, EIP170_CODE_SIZE_LIMIT};

#[test]
fn a_lookup_model_verifies_in_the_evm_and_tampering_is_rejected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/activations");
    let name = "act_sigmoid64";
    let calibration = load_rows(dir.join(format!("{name}.calibration.json")), None, 24).unwrap();
    let (package, _) =
        compile(dir.join(format!("{name}.onnx")), &calibration, None, &OutputRequest::Auto, name).unwrap();
    let plan = choose_shape(&package.quantized);
    assert!(plan.shape.lookup, "64 sigmoids are read by lookup: {plan:?}");

    let srs = Srs::dev(plan.shape.k).unwrap();
    let keys = setup(&package.quantized, &package.model_id, &plan, &srs).unwrap();
    let rows = load_rows(dir.join(format!("{name}.heldout.json")), None, 24).unwrap();
    let features = package.quantize_row(&rows[0]).unwrap();
    let request = ProofRequest { features: &features, wallet: [9; 20], salt: Fr::from(5) };
    let proof = prove(&package.quantized, &keys, &srs, &request).unwrap();
    let instances = proof.instances.to_vec();

    let generated = generate_verifier(srs.params(), keys.vk(), instances.len()).unwrap();
    let code = generated.compile().unwrap();
    assert!(code.deployed_size() <= EIP170_CODE_SIZE_LIMIT, "{} bytes", code.deployed_size());
    let native =
        |bytes: &[u8], instances: &[Fr]| verify(keys.vk(), &keys.header, &srs, bytes, instances).unwrap();
    let evm = |bytes: &[u8], instances: &[Fr]| verify_in_evm(&code.bytecode, bytes, instances).unwrap();

    let verdict = evm(&proof.bytes, &instances);
    assert!(verdict.valid && native(&proof.bytes, &instances), "the honest proof");
    eprintln!(
        "{name}: k = {}, {} advice / {} fixed columns, verifier {} bytes, verifyProof {} gas",
        plan.shape.k,
        plan.advice_columns,
        plan.fixed_columns,
        code.deployed_size(),
        verdict.gas_used
    );

    for at in [0, proof.bytes.len() / 2, proof.bytes.len() - 1] {
        let mut bytes = proof.bytes.clone();
        bytes[at] ^= 1;
        assert!(!evm(&bytes, &instances).valid && !native(&bytes, &instances), "byte {at} flipped");
    }
    for i in 0..instances.len() {
        let mut changed = instances.clone();
        changed[i] += Fr::ONE;
        assert!(!evm(&proof.bytes, &changed).valid && !native(&proof.bytes, &changed), "instance {i}");
    }

    // A witness reading a wrong entry of the table: the prover cannot even build the lookup's
    // permutation, or its proof is rejected.
    let (honest, public) = witness(&package.quantized, &request).unwrap();
    let circuit = ModelCircuit::with_witness(package.quantized.clone(), plan.shape, honest)
        .tampered(Tamper::SigmoidOutput { layer: 0, neuron: 3 });
    let mut claimed = public.clone();
    claimed.outputs = circuit.claimed_outputs().unwrap().iter().map(|v| fr_from_i64(*v)).collect();
    match prove_circuit(&circuit, &keys, &srs, claimed.clone()) {
        Ok(bad) => {
            let words = claimed.to_vec();
            assert!(!evm(&bad.bytes, &words).valid && !native(&bad.bytes, &words), "a wrong table entry");
            eprintln!("{name}: the proof of a wrong table entry is rejected by both verifiers");
        }
        Err(err) => eprintln!("{name}: the prover cannot prove a wrong table entry ({err})"),
    }
}
