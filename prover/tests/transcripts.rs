//! Both transcripts a proof can be made in: the EVM one (the default, verifiable on chain by the
//! model's verifier) and the Poseidon one (for aggregation). The proof file records which; native
//! verification follows it and refuses tampered proofs of either kind, or a relabelled one.

use std::path::PathBuf;
use std::sync::OnceLock;

use halo2curves::bn256::Fr;
use loopx_models::{compile_files, OutputRequest};
use loopx_prover::proof::fr_to_hex;
use loopx_prover::{Package, ProofFile, ProofRequest, TranscriptKind};
use loopx_srs::{Srs, SrsPolicy};

const MODEL: &str = "sybil_lr";

struct Fixture {
    _tmp: tempfile::TempDir,
    package: Package,
    evm: ProofFile,
    poseidon: ProofFile,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let file = |suffix: &str| fixtures.join(format!("{MODEL}.{suffix}"));
        let tmp = tempfile::tempdir().unwrap();
        let schema = file("schema.toml");
        let (compiled, _) =
            compile_files(file("onnx"), file("calibration.json"), Some(&schema), &OutputRequest::Auto, MODEL)
                .unwrap();
        compiled.save(tmp.path()).unwrap();
        let package = Package::open(tmp.path()).unwrap();
        package.setup(&Srs::dev(package.plan().shape.k).unwrap(), SrsPolicy::AllowDev).unwrap();
        let features = package.package.load_input(file("input.json")).unwrap();
        let prover = package.prover(SrsPolicy::AllowDev).unwrap();
        let request = ProofRequest { features: &features, wallet: [7; 20], salt: Fr::from(5) };
        let evm = prover.prove_with_transcript(&request, TranscriptKind::Evm).unwrap();
        let poseidon = prover.prove_with_transcript(&request, TranscriptKind::Poseidon).unwrap();
        Fixture { _tmp: tmp, package, evm, poseidon }
    })
}

fn verifies(file: &ProofFile) -> bool {
    fixture().package.verify(file, SrsPolicy::AllowDev).is_ok()
}

#[test]
fn proof_files_record_their_transcript_and_verify_natively() {
    let f = fixture();
    assert_eq!(f.evm.transcript, TranscriptKind::Evm);
    assert_eq!(f.poseidon.transcript, TranscriptKind::Poseidon);
    assert!(verifies(&f.evm) && verifies(&f.poseidon));
    // An EVM proof file is written as before (no transcript field), a Poseidon one says so.
    let evm_text = serde_json::to_string(&f.evm).unwrap();
    assert!(!evm_text.contains("transcript"));
    let poseidon_text = serde_json::to_string(&f.poseidon).unwrap();
    assert!(poseidon_text.contains(r#""transcript":"poseidon""#));
    assert_eq!(ProofFile::parse(&poseidon_text).unwrap(), f.poseidon);
    assert_ne!(f.evm.proof, f.poseidon.proof);
}

#[test]
fn relabelled_transcript_is_rejected() {
    let f = fixture();
    let mut evm_as_poseidon = f.evm.clone();
    evm_as_poseidon.transcript = TranscriptKind::Poseidon;
    assert!(!verifies(&evm_as_poseidon));
    let mut poseidon_as_evm = f.poseidon.clone();
    poseidon_as_evm.transcript = TranscriptKind::Evm;
    assert!(!verifies(&poseidon_as_evm));
}

#[test]
fn tampered_proofs_of_either_transcript_are_rejected() {
    for honest in [&fixture().evm, &fixture().poseidon] {
        let kind = honest.transcript.name();
        let bytes = honest.proof_bytes().unwrap();
        for at in [0, 31, bytes.len() / 2, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1;
            let mut file = honest.clone();
            file.proof = format!("0x{}", hex::encode(&flipped));
            assert!(!verifies(&file), "{kind}: bit flipped at byte {at} accepted");
        }
        let mut longer = honest.clone();
        longer.proof.push_str("00");
        assert!(!verifies(&longer), "{kind}: trailing byte accepted");
        // Every public instance changed by one (the file's descriptive fields follow, so that
        // only the proof can refuse it).
        for index in 0..honest.instances.len() {
            let mut file = honest.clone();
            let mut values = file.instance_values().unwrap();
            values[index] += Fr::from(1);
            file.instances[index] = fr_to_hex(&values[index]);
            file.commitment = fr_to_hex(&values[0]);
            let claims = fixture().package.claim_verifier().unwrap();
            let verdict = claims.verify_proof_with(&file.proof_bytes().unwrap(), &values, file.transcript);
            assert!(verdict.is_err(), "{kind}: instance {index} changed and accepted");
        }
    }
}
