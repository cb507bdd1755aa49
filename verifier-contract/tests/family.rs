//! A family verifier serving two models of the same constraint system, each model's verifying
//! key in its own data contract: real proofs in revm, cross-model and wrong-key rejections,
//! the native verifier agreeing, and the gas / size trade-off against per-model verifiers.
//!
//! The two models are `fixtures/risk_mlp.onnx` compiled twice, the second with one bias of its
//! first layer moved by one unit (a retrained model of the same architecture; a calibration
//! subset alone changes nothing, the schema fixes the input ranges). Both are laid out with one
//! shared `CircuitPlan` shape, so their constraint systems match and only the verifying keys'
//! values differ (the fixed columns holding the weights, hence the commitments and digest).
//!
//! Gas figures: `cargo test --release -p loopx-verifier-contract --test family -- --nocapture`.

use std::path::Path;
use std::sync::OnceLock;

use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};
use loopx_circuits::choose_shape;
use loopx_circuits::plan::{measure, CircuitPlan};
use loopx_models::{compile_files, ModelPackage, OutputRequest};
use loopx_prover::{prove, setup, verify, ModelKeys, Proof, ProofRequest};
use loopx_srs::Srs;
use loopx_test_support::fixtures_dir;
use loopx_verifier_contract::{
    encode_family_verify_calldata, encode_family_verify_calldata_words, fr_to_u256, generate_family_verifier,
    generate_verifier, Address, CompiledContract, EmbeddedEvm, FamilyVerifier, VkDataContract,
    EIP170_CODE_SIZE_LIMIT, U256, VK_CONTRACT_GUARD_BYTE,
};

/// One member of the family: a model, its keys and a valid proof.
struct Member {
    keys: ModelKeys,
    proof: Proof,
    /// The per-model verifier (what `package_verifier` compiles), for comparison.
    own_verifier: CompiledContract,
}

struct Family {
    srs: Srs,
    members: [Member; 2],
    verifier: FamilyVerifier,
    compiled: CompiledContract,
    vks: [VkDataContract; 2],
}

fn compile_risk(calibration: &Path, name: &str) -> ModelPackage {
    let dir = fixtures_dir();
    compile_files(
        dir.join("risk_mlp.onnx"),
        calibration,
        Some(&dir.join("risk_mlp.schema.toml")),
        &OutputRequest::Auto,
        name,
    )
    .expect("risk_mlp compiles")
    .0
}

fn family() -> &'static Family {
    static CELL: OnceLock<Family> = OnceLock::new();
    CELL.get_or_init(build)
}

fn build() -> Family {
    let dir = fixtures_dir();
    let full = compile_risk(&dir.join("risk_mlp.calibration.json"), "risk_mlp_a");

    // A second model of the same architecture: the same network with one bias moved by one
    // unit, as a retrained model would move it. (Calibrating on a subset of the rows does not
    // change any value: `risk_mlp.schema.toml` fixes the input ranges.)
    let mut other = compile_risk(&dir.join("risk_mlp.calibration.json"), "risk_mlp_b");
    other.quantized.layers[0].bias[0] += 1;
    assert_ne!(other.quantized, full.quantized, "the two models must differ");

    // One shared shape: the first model's choice, the second measured in it.
    let plan_a = choose_shape(&full.quantized);
    let plan_b_own = choose_shape(&other.quantized);
    println!("shapes: A {:?}, B (own choice) {:?}", plan_a.shape, plan_b_own.shape);
    let mut plan_b: CircuitPlan = measure(&other.quantized, plan_a.shape.pool_width, plan_a.shape.lookup);
    plan_b.shape.k = plan_a.shape.k;
    assert!(plan_b.rows_needed() <= 1 << plan_a.shape.k, "model B fits model A's shape");
    assert_eq!(plan_b.shape, plan_a.shape);
    assert_eq!(plan_b.instances, plan_a.instances);

    let srs = Srs::dev(plan_a.shape.k).expect("dev SRS");
    let heldout =
        loopx_models::load_rows(dir.join("risk_mlp.heldout.json"), full.schema.as_ref(), full.features())
            .expect("held-out rows");
    let make = |package: ModelPackage, plan: &CircuitPlan, row: usize, wallet: u8| {
        let keys = setup(&package.quantized, &package.model_id, plan, &srs).expect("setup");
        let features = package.quantize_row(&heldout[row]).expect("row in range");
        let request = ProofRequest { features: &features, wallet: [wallet; 20], salt: Fr::from(0x5a17) };
        let proof = prove(&package.quantized, &keys, &srs, &request).expect("proof");
        let own_verifier = generate_verifier(srs.params(), keys.vk(), keys.header.instances)
            .expect("per-model verifier")
            .compile()
            .expect("per-model verifier compiles");
        Member { keys, proof, own_verifier }
    };
    let a = make(full, &plan_a, 3, 0xa1);
    let b = make(other, &plan_b, 4, 0xb2);

    let verifier = generate_family_verifier(srs.params(), a.keys.vk(), a.keys.header.instances)
        .expect("family verifier");
    let compiled = verifier.compile().expect("family verifier compiles within EIP-170");
    let vks = [&a, &b].map(|m| verifier.vk_data_contract(srs.params(), m.keys.vk()).expect("a member"));
    assert_ne!(vks[0].words, vks[1].words, "the two keys differ");
    Family { srs, members: [a, b], verifier, compiled, vks }
}

impl Family {
    fn native(&self, key: usize, proof: &Proof) -> bool {
        let m = &self.members[key];
        verify(m.keys.vk(), &m.keys.header, &self.srs, &proof.bytes, &proof.instances.to_vec())
            .expect("native verifier runs")
    }
}

struct Chain {
    evm: EmbeddedEvm,
    verifier: Address,
    vks: [Address; 2],
    gas: Deployments,
}

struct Deployments {
    family: u64,
    vks: [u64; 2],
}

fn deploy(f: &Family) -> Chain {
    let mut evm = EmbeddedEvm::new();
    let (verifier, family) = evm.deploy_with_gas(&f.compiled.bytecode).expect("family verifier deploys");
    let (vk_a, gas_a) = evm.deploy_with_gas(&f.vks[0].creation_code).expect("vk A deploys");
    let (vk_b, gas_b) = evm.deploy_with_gas(&f.vks[1].creation_code).expect("vk B deploys");
    Chain { evm, verifier, vks: [vk_a, vk_b], gas: Deployments { family, vks: [gas_a, gas_b] } }
}

impl Chain {
    fn verify(&mut self, vk: Address, proof: &Proof) -> (bool, u64) {
        let calldata = encode_family_verify_calldata(vk, &proof.bytes, &proof.instances.to_vec());
        let verdict = self.evm.verify_calldata(self.verifier, calldata).expect("call runs");
        (verdict.valid, verdict.gas_used)
    }
}

#[test]
fn data_contracts_hold_exactly_the_key_words() {
    let f = family();
    let mut chain = deploy(f);
    for (i, vk) in f.vks.iter().enumerate() {
        let code = chain.evm.code_at(chain.vks[i]);
        assert_eq!(code, vk.runtime_code);
        assert_eq!(code.len(), f.verifier.vk_code_size);
        assert_eq!(code[0], VK_CONTRACT_GUARD_BYTE);
        assert_eq!(&code[1..33], f.verifier.family_id.as_slice());
        assert_eq!(vk.words.len(), f.verifier.vk_words);
        assert_eq!(&vk.creation_code[12..], &vk.runtime_code[..]);
        // Calling a data contract fails (INVALID), whatever the calldata.
        let outcome = chain.evm.call(loopx_verifier_contract::DEFAULT_CALLER, chain.vks[i], vec![1, 2, 3]);
        assert!(!outcome.expect("call runs").success);
    }
    assert!(f.compiled.deployed_size() <= EIP170_CODE_SIZE_LIMIT);
}

#[test]
fn one_family_verifier_serves_both_models_and_rejects_the_wrong_key() {
    let f = family();
    let mut chain = deploy(f);
    let [a, b] = &f.members;
    let mut failures = Vec::new();
    let mut check = |label: &str, evm: bool, native: Option<bool>, expected: bool| {
        if evm != expected || native.is_some_and(|n| n != expected) {
            failures.push(format!("{label}: expected {expected}, EVM {evm}, native {native:?}"));
        }
    };
    for (key, proof_of, expected) in [(0, 0, true), (1, 1, true), (1, 0, false), (0, 1, false)] {
        let proof = &f.members[proof_of].proof;
        let (valid, _) = chain.verify(chain.vks[key], proof);
        check(&format!("proof {proof_of} with vk {key}"), valid, Some(f.native(key, proof)), expected);
    }

    // No code, another contract's code, and almost-right data contracts.
    let (valid, _) = chain.verify(Address::repeat_byte(0x77), &a.proof);
    check("address without code", valid, None, false);
    let other_code = chain.evm.deploy(&a.own_verifier.bytecode).expect("per-model verifier deploys");
    let (valid, _) = chain.verify(other_code, &a.proof);
    check("address of the per-model verifier", valid, None, false);
    let (valid, _) = chain.verify(chain.verifier, &a.proof);
    check("address of the family verifier itself", valid, None, false);
    type Change = fn(&mut Vec<u8>);
    let variants: [(&str, Change); 4] = [
        ("family id changed", |code| code[5] ^= 1),
        ("one byte short", |code| code.truncate(code.len() - 1)),
        ("one byte long", |code| code.push(0)),
        ("a commitment word changed", |code| code[33 + 32 + 31] ^= 1),
    ];
    for (label, change) in variants {
        let mut runtime = f.vks[0].runtime_code.clone();
        change(&mut runtime);
        let len = u16::try_from(runtime.len()).expect("small").to_be_bytes();
        let mut creation = vec![0x61, len[0], len[1], 0x80, 0x60, 12, 0x60, 0, 0x39, 0x60, 0, 0xf3];
        creation.extend_from_slice(&runtime);
        let address = chain.evm.deploy(&creation).expect("variant deploys");
        let (valid, _) = chain.verify(address, &a.proof);
        check(label, valid, None, false);
    }

    // Tampered proofs and instances, under the right key.
    for (m, member) in [a, b].into_iter().enumerate() {
        for at in [0usize, 100, member.proof.bytes.len() / 2, member.proof.bytes.len() - 1] {
            let mut tampered = member.proof.clone();
            tampered.bytes[at] ^= 0x01;
            let (valid, _) = chain.verify(chain.vks[m], &tampered);
            check(&format!("model {m}: proof byte {at} flipped"), valid, Some(f.native(m, &tampered)), false);
        }
        let mut words: Vec<U256> = member.proof.instances.to_vec().iter().map(fr_to_u256).collect();
        let last = words.len() - 1;
        words[last] += U256::from(1);
        let calldata = encode_family_verify_calldata_words(chain.vks[m], &member.proof.bytes, &words);
        let valid = chain.evm.verify_calldata(chain.verifier, calldata).expect("call runs").valid;
        check(&format!("model {m}: output instance changed"), valid, None, false);
        words[last] -= U256::from(1);
        words[0] = U256::from_le_bytes((-Fr::ONE).to_repr()) + U256::from(1) + words[0];
        let calldata = encode_family_verify_calldata_words(chain.vks[m], &member.proof.bytes, &words);
        let valid = chain.evm.verify_calldata(chain.verifier, calldata).expect("call runs").valid;
        check(&format!("model {m}: commitment instance + r"), valid, None, false);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_key_of_another_constraint_system_is_refused() {
    let f = family();
    let dir = fixtures_dir();
    let (sybil, _) = compile_files(
        dir.join("sybil_lr.onnx"),
        dir.join("sybil_lr.calibration.json"),
        Some(&dir.join("sybil_lr.schema.toml")),
        &OutputRequest::Auto,
        "sybil_lr",
    )
    .expect("sybil_lr compiles");
    let plan = choose_shape(&sybil.quantized);
    let srs = Srs::dev(plan.shape.k).expect("dev SRS");
    let keys = setup(&sybil.quantized, "sybil_lr", &plan, &srs).expect("setup");
    let err = f.verifier.vk_data_contract(srs.params(), keys.vk()).expect_err("not a member");
    println!("sybil_lr ({:?}) refused: {err}", plan.shape);
    assert!(err.to_string().contains("family"), "{err}");
    // Another instance count is another family too.
    let a = &f.members[0];
    let other =
        loopx_verifier_contract::vk_data_contract(f.srs.params(), a.keys.vk(), a.keys.header.instances + 1);
    assert!(other.map(|c| c.family_id != f.verifier.family_id).unwrap_or(true));
}

#[test]
fn gas_and_size_trade_off() {
    let f = family();
    let mut chain = deploy(f);
    let mut rows = Vec::new();
    let mut own_deploy = Vec::new();
    for (m, member) in f.members.iter().enumerate() {
        let mut evm = EmbeddedEvm::new();
        let (own, own_gas) = evm.deploy_with_gas(&member.own_verifier.bytecode).expect("deploys");
        let own_call = evm.verify(own, &member.proof.bytes, &member.proof.instances.to_vec()).expect("runs");
        assert!(own_call.valid);
        let (valid, family_call) = chain.verify(chain.vks[m], &member.proof);
        assert!(valid);
        own_deploy.push(own_gas);
        rows.push((m, own_gas, member.own_verifier.deployed_size(), own_call.gas_used, family_call));
    }
    let vk_size = f.verifier.vk_code_size;
    println!("\nfamily id {}  ({} vk words)", f.verifier.family_id, f.verifier.vk_words);
    println!("| piece | runtime bytes | deployment gas |");
    println!("|---|---:|---:|");
    println!("| family verifier (once) | {} | {} |", f.compiled.deployed_size(), chain.gas.family);
    for (m, gas) in chain.gas.vks.iter().enumerate() {
        println!("| vk data contract, model {m} | {vk_size} | {gas} |");
    }
    for &(m, gas, size, _, _) in &rows {
        println!("| per-model verifier, model {m} | {size} | {gas} |");
    }
    println!("\n| model | per-model verifyProof gas | family verifyProof gas | difference |");
    println!("|---|---:|---:|---:|");
    for &(m, _, _, own_call, family_call) in &rows {
        println!("| {m} | {own_call} | {family_call} | {:+} |", family_call as i64 - own_call as i64);
    }
    let per_model: u64 = own_deploy.iter().sum();
    let family_total = chain.gas.family + chain.gas.vks.iter().sum::<u64>();
    println!(
        "\ndeploying 2 models: per-model {per_model} gas, family {family_total} gas; each further model: \
         per-model ~{} gas, family ~{} gas",
        own_deploy[0], chain.gas.vks[0]
    );
    // The family pays off from the second model on.
    assert!(chain.gas.vks[0] < own_deploy[0] / 4);
}
