//! A model verifier over EIP-170 as one contract (credit_mlp laid out 24 columns wide: ~30 kB)
//! is split over several contracts by `compile_deployable`, and a real proof of the model gets the
//! same verdicts from the split verifier in revm and on an anvil node as from halo2's native
//! verifier: valid accepted; flipped proof bytes, changed instances refused.

use std::path::Path;

use halo2curves::bn256::Fr;
use loopx_circuits::plan::sized;
use loopx_prover::{prove, setup, verify, ProofRequest};
use loopx_srs::Srs;
use loopx_verifier_contract::{
    generate_verifier, verify_onchain_blocking, AnvilNode, EmbeddedEvm, EIP170_CODE_SIZE_LIMIT,
};

#[test]
fn a_model_verifier_over_eip170_is_split_and_judges_real_proofs_like_native() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let (package, _) = loopx_models::compile_named(&dir, "credit_mlp").unwrap();
    let features = package.load_input(dir.join("credit_mlp.input.json")).unwrap();
    let plan = sized(&package.quantized, 24, false);
    let srs = Srs::dev(plan.shape.k).unwrap();
    let keys = setup(&package.quantized, &package.model_id, &plan, &srs).unwrap();
    let request = ProofRequest { features: &features, wallet: [7; 20], salt: Fr::from(3) };
    let proof = prove(&package.quantized, &keys, &srs, &request).unwrap();
    let instances = proof.instances.to_vec();

    let generated = generate_verifier(srs.params(), keys.vk(), plan.instances).unwrap();
    let compiled = generated.compile_deployable().unwrap();
    let sizes = compiled.deployed_sizes();
    assert!(compiled.total_size() > EIP170_CODE_SIZE_LIMIT, "not a verifier over EIP-170: {sizes:?}");
    assert!(sizes.len() >= 2 && compiled.largest_size() <= EIP170_CODE_SIZE_LIMIT, "{sizes:?}");

    let mut evm = EmbeddedEvm::new();
    let address = compiled.deploy_in(&mut evm).unwrap();
    let mut cases = vec![("valid", proof.bytes.clone(), instances.clone())];
    for at in (0..proof.bytes.len()).step_by(211) {
        let mut flipped = proof.bytes.clone();
        flipped[at] ^= 0x01;
        cases.push(("flipped proof byte", flipped, instances.clone()));
    }
    for index in 0..instances.len() {
        let mut changed = instances.clone();
        changed[index] += Fr::from(1);
        cases.push(("changed instance", proof.bytes.clone(), changed));
    }
    for (case, bytes, instances) in &cases {
        let native = verify(keys.vk(), &keys.header, &srs, bytes, instances).unwrap_or(false);
        let verdict = evm.verify(address, bytes, instances).unwrap();
        assert_eq!((native, verdict.valid), (*case == "valid", *case == "valid"), "{case}");
    }
    let gas = evm.verify(address, &proof.bytes, &instances).unwrap().gas_used;
    eprintln!(
        "credit_mlp width 24: verifier in {} contracts of {sizes:?} bytes, verifyProof {gas} gas",
        sizes.len()
    );

    let node = AnvilNode::start().expect("anvil starts");
    let onchain = compiled.deploy_onchain_blocking(node.url(), node.dev_private_key(0)).unwrap();
    assert!(verify_onchain_blocking(node.url(), onchain, &proof.bytes, &instances).unwrap().valid);
    let mut changed = instances.clone();
    changed[1] += Fr::from(1);
    assert!(!verify_onchain_blocking(node.url(), onchain, &proof.bytes, &changed).unwrap().valid);
}
