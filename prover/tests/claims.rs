//! Verified claims: what a proof file proves is read off its instances and the package's bound
//! keys. Edited descriptive fields, extra or missing instances, out-of-range wallets, swapped
//! keys and SRS files, and relabelled dev SRSs are all refused — never reported as valid.

use std::path::Path;
use std::sync::OnceLock;

use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{Bn256, Fr};
use halo2curves::ff::{Field, PrimeField};
use loopx_circuits::{ModelCircuit, ModelWitness};
use loopx_models::OutputRequest;
use loopx_prover::keys::VERIFYING_KEY;
use loopx_prover::proof::{fr_to_hex, prove_circuit, witness};
use loopx_prover::{parse_wallet, verify, KeyHeader, Package, ProofFile, ProofRequest, ProverError};
use loopx_srs::artifact;
use loopx_srs::{Srs, SrsError};
use loopx_test_support::{fixtures_dir, set_up_bundled};
use rand::SeedableRng;

const WALLET: &str = "0x5c10c3aed19456ef43dc7b092792391e284b1f75";

struct Fixture {
    _tmp: tempfile::TempDir,
    risk: Package,
    proof: ProofFile,
}

/// The risk model set up once, with one honest proof.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("temp dir");
        let risk = set_up_bundled(&tmp.path().join("risk"), "risk_mlp", &OutputRequest::Auto);
        let proof = prove_file(&risk, None);
        Fixture { _tmp: tmp, risk, proof }
    })
}

/// Proves the bundled input; `extra` appends one more public instance to the proven column.
fn prove_file(dir: &Package, extra: Option<Fr>) -> ProofFile {
    let features = dir.package.load_input(fixtures_dir().join("risk_mlp.input.json")).expect("input");
    let keys = dir.keys().expect("keys");
    let srs = dir.srs().expect("srs");
    let wallet = parse_wallet(WALLET).unwrap();
    let request = ProofRequest { features: &features, wallet, salt: Fr::from(99) };
    let (witness, mut instances) = witness(&dir.package.quantized, &request).expect("witness");
    instances.outputs.extend(extra);
    let circuit = ModelCircuit::with_witness(dir.package.quantized.clone(), keys.header.shape, witness);
    let proof = prove_circuit(&circuit, &keys, &srs, instances).expect("proof");
    ProofFile::new(&dir.package, &keys.header, &proof, &wallet, request.salt, 0.0)
}

fn mismatch_field(result: Result<loopx_prover::Claim, ProverError>) -> &'static str {
    match result {
        Err(ProverError::ClaimMismatch { field, .. }) => field,
        other => panic!("expected a claim mismatch, got {other:?}"),
    }
}

#[test]
fn a_valid_proof_gives_the_claim_its_instances_prove() {
    let f = fixture();
    let claims = f.risk.claim_verifier().expect("bound keys");
    let claim = claims.verify(&f.proof).expect("valid");
    assert_eq!(claim.proven.wallet, WALLET);
    assert_eq!(claim.proven.commitment, f.proof.commitment);
    assert_eq!(claim.outputs, f.proof.outputs);
    assert_eq!(claim.model_id, f.risk.package.model_id);
    assert_eq!(claim.vk_digest, loopx_prover::vk_digest(f.risk.keys().unwrap().vk()));
    assert!(claim.dev_srs);
}

#[test]
fn refuses_a_file_whose_descriptive_fields_disagree_with_its_proof() {
    let f = fixture();
    let claims = f.risk.claim_verifier().expect("bound keys");
    type Edit = fn(&mut ProofFile);
    let edits: [(&str, Edit); 7] = [
        ("wallet", |p| p.wallet = "0x000000000000000000000000000000000000dead".into()),
        ("outputs", |p| p.outputs = vec![3.0]),
        ("raw_outputs", |p| p.raw_outputs = vec![3]),
        ("commitment", |p| p.commitment = fr_to_hex(&Fr::from(5))),
        ("dev_srs", |p| p.dev_srs = false),
        ("model_id", |p| p.model_id = format!("0x{}", "ab".repeat(32))),
        ("k", |p| p.k += 1),
    ];
    for (field, edit) in edits {
        let mut edited = f.proof.clone();
        edit(&mut edited);
        assert_eq!(mismatch_field(claims.verify(&edited)), field, "verify");
        assert_eq!(mismatch_field(claims.claim_of(&edited)), field, "claim_of");
    }
    // Wallets compare as addresses: another spelling of the same one is the same wallet.
    let mut upper = f.proof.clone();
    upper.wallet = WALLET.to_uppercase().replace("0X", "0x");
    assert!(claims.verify(&upper).is_ok());
}

#[test]
fn native_verification_requires_the_exact_instance_count() {
    let f = fixture();
    let claims = f.risk.claim_verifier().expect("bound keys");
    let padded = prove_file(&f.risk, Some(Fr::from(3)));
    let (bytes, values) = (padded.proof_bytes().unwrap(), padded.instance_values().unwrap());
    let header = claims.header().clone();
    assert_eq!(values.len(), header.instances + 1);
    // The proof is real for the longer column: only the count stands between it and acceptance.
    let loose = KeyHeader { instances: header.instances + 1, ..header.clone() };
    assert!(verify(claims.vk(), &loose, claims.srs(), &bytes, &values).unwrap());
    assert!(!verify(claims.vk(), &header, claims.srs(), &bytes, &values).unwrap());
    let count = |file: &ProofFile| match claims.verify(file) {
        Err(ProverError::InstanceCount { expected, found, .. }) => (expected, found),
        other => panic!("expected an instance-count error, got {other:?}"),
    };
    assert_eq!(count(&padded), (header.instances, header.instances + 1));
    let mut short = f.proof.clone();
    short.instances.pop();
    short.raw_outputs.clear();
    short.outputs.clear();
    assert_eq!(count(&short), (header.instances, header.instances - 1));
}

#[test]
fn wallet_instances_of_160_bits_or_more_are_refused() {
    let f = fixture();
    let claims = f.risk.claim_verifier().expect("bound keys");
    let two_160 = Fr::from_u128(1 << 127) * Fr::from(1u64 << 33);
    for wallet in [-Fr::ONE, two_160] {
        // A cheater proves with that wallet in the witness: the circuit's range check refuses it.
        let features = f.risk.package.load_input(fixtures_dir().join("risk_mlp.input.json")).unwrap();
        let keys = f.risk.keys().unwrap();
        let request = ProofRequest { features: &features, wallet: [0; 20], salt: Fr::from(1) };
        let (honest, mut instances) = witness(&f.risk.package.quantized, &request).unwrap();
        instances.wallet = wallet;
        let schema = f.risk.package.quantized.schema_id();
        instances.commitment = loopx_circuits::commitment(&schema, wallet, request.salt, &features);
        let cheat = ModelWitness { wallet, ..honest };
        let circuit = ModelCircuit::with_witness(f.risk.package.quantized.clone(), keys.header.shape, cheat);
        let proof = prove_circuit(&circuit, &keys, claims.srs(), instances.clone()).expect("prover runs");
        let column = instances.to_vec();
        assert!(claims.verify_proof(&proof.bytes, &column).is_err(), "wallet {wallet:?} verified");
        // And the claim decoder refuses such a column before any verification.
        assert!(matches!(claims.decode(&column), Err(ProverError::MalformedInstance { what: "wallet", .. })));
    }
}

/// Rewrites the header of the verifying key file in `dir`.
fn rewrite_vk_header(dir: &Path, edit: impl FnOnce(&mut KeyHeader)) {
    let path = dir.join("vk.bin");
    let (mut header, body): (KeyHeader, Vec<u8>) = artifact::read(&path, VERIFYING_KEY).unwrap();
    edit(&mut header);
    artifact::write(&path, VERIFYING_KEY, &header, &body).unwrap();
}

fn copy_keys(from: &Path, to: &Path) {
    for file in ["vk.bin", "srs.bin"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
}

#[test]
fn keys_of_another_model_or_output_mode_are_refused_whatever_their_header_says() {
    let tmp = tempfile::tempdir().unwrap();
    let a = set_up_bundled(&tmp.path().join("a"), "risk_mlp", &OutputRequest::Auto);
    let a_header = a.claim_verifier().unwrap().header().clone();
    let others = [
        set_up_bundled(&tmp.path().join("b"), "sybil_lr", &OutputRequest::Auto),
        set_up_bundled(&tmp.path().join("c"), "risk_mlp", &OutputRequest::Vector),
    ];
    for other in &others {
        assert_ne!(other.package.model_id, a.package.model_id);
        let victim = tmp.path().join("victim");
        std::fs::create_dir_all(&victim).unwrap();
        a.package.save(&victim).unwrap();
        copy_keys(other.path(), &victim);
        let victim = Package::open(&victim).unwrap();
        // Only the model id rewritten (the attack in the issue), then the whole header.
        rewrite_vk_header(victim.path(), |h| h.model_id = a.package.model_id.clone());
        let err = victim.claim_verifier().expect_err("swapped keys accepted");
        assert!(matches!(err, ProverError::KeysNotBound { .. }), "{err}");
        rewrite_vk_header(victim.path(), |h| *h = a_header.clone());
        // With A's whole header the swapped SRS may also be too small for A's circuit: refused
        // either way, with a message that says how to fix it.
        let err = victim.claim_verifier().expect_err("swapped keys with A's header accepted");
        match err {
            ProverError::KeysNotBound { .. } => assert!(err.to_string().contains("loopx setup"), "{err}"),
            ProverError::Srs(SrsError::TooSmall { .. }) => {
                assert!(err.to_string().contains("loopx srs new"), "{err}")
            }
            _ => panic!("unexpected error: {err}"),
        }
    }
}

#[test]
fn a_swapped_srs_is_refused_and_a_relabelled_dev_srs_is_still_dev() {
    let tmp = tempfile::tempdir().unwrap();
    let a = set_up_bundled(&tmp.path().join("a"), "risk_mlp", &OutputRequest::Auto);
    let k = a.plan().shape.k;
    let srs_path = a.path().join("srs.bin");
    let dev = Srs::load(&srs_path).unwrap();

    // Another SRS of the right size: the key no longer re-derives.
    let other = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(42));
    Srs::from_ceremony(other, "not the SRS the keys were made with".into()).save(&srs_path).unwrap();
    let err = a.claim_verifier().expect_err("swapped SRS accepted");
    assert!(matches!(err, ProverError::KeysNotBound { .. }), "{err}");

    // The dev SRS saved under a ceremony label, the key header saying "not dev": still dev.
    Srs::from_ceremony(dev.params().clone(), "ceremony, honest".into()).save(&srs_path).unwrap();
    rewrite_vk_header(a.path(), |h| h.dev_srs = false);
    let claims = a.claim_verifier().expect("the keys still belong to the model");
    assert!(claims.dev_srs());
    assert!(claims.header().dev_srs);
    assert!(a.keys().unwrap().header.dev_srs);
}
