//! The layout policy's predictions hold: for a bundled model laid out narrow, wide and with the
//! lookup argument, the generated verifier's real gas (revm, whole transaction) and runtime size
//! are within a few percent of `CircuitPlan::predicted_gas` / `predicted_verifier_bytes`, so
//! `loopx compile --optimize` weighs real costs.

use std::path::Path;

use halo2curves::bn256::Fr;
use loopx_circuits::plan::sized;
use loopx_prover::{prove, setup, ProofRequest};
use loopx_srs::Srs;
use loopx_verifier_contract::{compile_solidity, generate_verifier, verify_in_evm};

#[test]
fn predicted_gas_and_size_are_within_a_few_percent_of_the_real_verifier() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let (package, _) = loopx_models::compile_named(&dir, "sybil_lr").unwrap();
    let features = package.load_input(dir.join("sybil_lr.input.json")).unwrap();
    for (width, lookup) in [(3, false), (8, false), (12, false), (4, true)] {
        let plan = sized(&package.quantized, width, lookup);
        let srs = Srs::dev(plan.shape.k).unwrap();
        let keys = setup(&package.quantized, &package.model_id, &plan, &srs).unwrap();
        let request = ProofRequest { features: &features, wallet: [7; 20], salt: Fr::from(3) };
        let proof = prove(&package.quantized, &keys, &srs, &request).unwrap();
        let generated = generate_verifier(srs.params(), keys.vk(), plan.instances).unwrap();
        let compiled = compile_solidity(&[("V.sol", &generated.solidity)], "LoopXVerifier").unwrap();
        let verdict = verify_in_evm(&compiled.bytecode, &proof.bytes, &proof.instances.to_vec()).unwrap();
        assert!(verdict.valid, "width {width}, lookup {lookup}");
        let (gas, size) = (verdict.gas_used, compiled.deployed_size() as u64);
        let off = |predicted: u64, real: u64| (predicted as f64 - real as f64).abs() / real as f64;
        eprintln!(
            "sybil_lr width {width} lookup {lookup}: gas {gas} (predicted {}), size {size} (predicted {})",
            plan.predicted_gas(),
            plan.predicted_verifier_bytes()
        );
        assert!(off(plan.predicted_gas(), gas) < 0.05, "width {width} lookup {lookup}: gas {gas}");
        assert!(
            off(plan.predicted_verifier_bytes(), size) < 0.08,
            "width {width} lookup {lookup}: size {size}"
        );
    }
}
