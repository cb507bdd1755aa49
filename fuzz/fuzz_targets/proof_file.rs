//! Proof files (JSON); an accepted one must survive a round trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use loopx_prover::ProofFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(file) = ProofFile::parse(text) {
        let json = serde_json::to_string(&file).expect("serializes");
        let again = ProofFile::parse(&json).expect("reads back");
        assert_eq!(again.proof_bytes().ok(), file.proof_bytes().ok());
    }
});
