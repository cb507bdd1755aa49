//! Pinned test vectors: for each bundled model, the vk digest under the dev SRS and one
//! known-good proof file are committed in `fixtures/vectors/`. A change that alters a circuit, its
//! instances or their encoding fails here unless it also bumps `loopx_circuits::CIRCUIT_VERSION`
//! (and then the vectors are regenerated with `LOOPX_UPDATE_VECTORS=1`).

use std::path::PathBuf;

use halo2curves::bn256::Fr;
use loopx_circuits::CIRCUIT_VERSION;
use loopx_models::OutputRequest;
use loopx_prover::proof::{fr_to_hex, witness};
use loopx_prover::{parse_wallet, prove, Package, ProofFile, ProofRequest, ProverError};
use loopx_test_support::{fixtures_dir, set_up_bundled, BUNDLED_MODELS};
use serde_json::{json, Value};

const WALLET: &str = "0x5c10c3aed19456ef43dc7b092792391e284b1f75";
const SALT: u64 = 20_261_202;
const REGENERATE: &str = "LOOPX_UPDATE_VECTORS=1 cargo test --release --workspace --test vectors";

fn vector_path(name: &str) -> PathBuf {
    fixtures_dir().join("vectors").join(format!("{name}.json"))
}

/// The bundled input's features; with the fixed wallet and salt, its instances are fixed too.
fn bundled_features(pkg: &Package, name: &str) -> Vec<i64> {
    pkg.package.load_input(fixtures_dir().join(format!("{name}.input.json"))).expect("input")
}

fn request(features: &[i64]) -> ProofRequest<'_> {
    ProofRequest { features, wallet: parse_wallet(WALLET).unwrap(), salt: Fr::from(SALT) }
}

fn regenerate(pkg: &Package, name: &str, vk_digest: &str) {
    let features = bundled_features(pkg, name);
    let request = request(&features);
    let keys = pkg.keys().expect("keys");
    let proof = prove(&pkg.package.quantized, &keys, &pkg.srs().expect("srs"), &request).expect("proof");
    let file = ProofFile::new(&pkg.package, &keys.header, &proof, &request.wallet, request.salt, 0.0);
    let vector = json!({
        "circuit_version": CIRCUIT_VERSION,
        "model_id": pkg.package.model_id,
        "k": keys.header.shape.k,
        "vk_digest": vk_digest,
        "proof_file": file,
    });
    std::fs::create_dir_all(vector_path(name).parent().unwrap()).unwrap();
    std::fs::write(vector_path(name), serde_json::to_string_pretty(&vector).unwrap() + "\n").unwrap();
}

#[test]
fn bundled_models_keep_their_pinned_vk_digest_and_instances() {
    let tmp = tempfile::tempdir().unwrap();
    for name in BUNDLED_MODELS {
        let pkg = set_up_bundled(&tmp.path().join(name), name, &OutputRequest::Auto);
        let claims = pkg.claim_verifier().expect("bound keys");
        if std::env::var_os("LOOPX_UPDATE_VECTORS").is_some() {
            regenerate(&pkg, name, claims.vk_digest());
        }
        let text = std::fs::read_to_string(vector_path(name)).unwrap_or_else(|e| {
            panic!("{}: {e}; create it with `{REGENERATE}`", vector_path(name).display())
        });
        let vector: Value = serde_json::from_str(&text).unwrap();
        let pinned_version = vector["circuit_version"].as_u64().unwrap();
        assert_eq!(
            pinned_version,
            u64::from(CIRCUIT_VERSION),
            "{name}: the vectors pin circuit version {pinned_version}, this build is {CIRCUIT_VERSION}; \
             regenerate them with `{REGENERATE}`"
        );
        let bumped =
            "bump loopx_circuits::CIRCUIT_VERSION if the change is meant, then regenerate the vectors";
        assert_eq!(vector["model_id"], json!(pkg.package.model_id), "{name}: the model id changed; {bumped}");
        assert_eq!(
            vector["vk_digest"].as_str().unwrap(),
            claims.vk_digest(),
            "{name}: the verifying key changed under the same circuit version; {bumped}"
        );

        let pinned = ProofFile::parse(&vector["proof_file"].to_string()).expect("pinned proof file parses");
        let features = bundled_features(&pkg, name);
        let (_, instances) = witness(&pkg.package.quantized, &request(&features)).expect("witness");
        let recomputed: Vec<String> = instances.to_vec().iter().map(fr_to_hex).collect();
        assert_eq!(pinned.instances, recomputed, "{name}: the public instances changed; {bumped}");

        // The pinned proof still verifies under the re-derived keys, and only with its own instances.
        let claim = claims.verify(&pinned).expect("the pinned proof verifies");
        assert_eq!(claim.proven.raw_outputs, pinned.raw_outputs);
        let mut other = instances.to_vec();
        other[0] += Fr::from(1);
        let proof = hex::decode(pinned.proof.trim_start_matches("0x")).unwrap();
        assert!(matches!(claims.verify_proof(&proof, &other), Err(ProverError::ProofRejected { .. })));
    }
}
