//! One test per crash the fuzz targets (`fuzz/`) found, on the normal test run.

use loopx_prover::keys::PROVING_KEY;
use loopx_prover::{KeyHeader, ModelKeys, ProverError};
use loopx_srs::artifact::{self, ArtifactError};

/// `artifact_container`: the body of a proving key whose first polynomial declares ~1.7·10⁹
/// coefficients. halo2 allocated 56 GB for it and the process aborted (not a panic that could be
/// caught). The container's checksum now refuses the damaged body before halo2 reads it.
const PK_BODY_WITH_A_LYING_LENGTH: &str = "020c0000000000000000000000000000000000000001000000000000000000000000000000100000000000000000000000000000000001000000000000000000000000000000100000000000000000000000000000000001000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000332c22636972637569745f76657273696f6e223a337d020c0000000000000000000000000000000000000001000000000000000000000000000000100000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0f000000000000000000000000000000000000";

const PK_HEADER: &str = r#"{"model_id":"0x00375db91a6aee40e1f9ee5b30df2463e2fa5f2c0dce75bde4be01b2beec5225","shape":{"k":12,"pool_width":6,"trees":false,"argmax":false,"threshold":false,"mux":true},"dev_srs":true,"instances":3,"circuit_version":3}"#;

#[test]
fn a_damaged_proving_key_body_is_refused_before_halo2_allocates_what_it_declares() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.bin");
    let header: KeyHeader = serde_json::from_str(PK_HEADER).unwrap();
    let damaged = hex::decode(PK_BODY_WITH_A_LYING_LENGTH).unwrap();
    // A file written whole by loopx, then damaged in place: same length, other body bytes.
    artifact::write(&path, PROVING_KEY, &header, &vec![0u8; damaged.len()]).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let body_start = bytes.len() - damaged.len();
    bytes[body_start..].copy_from_slice(&damaged);
    std::fs::write(&path, &bytes).unwrap();

    let Err(err) = ModelKeys::load(dir.path()) else { panic!("a damaged proving key loaded") };
    assert!(matches!(err, ProverError::Artifact(ArtifactError::Corrupt { .. })), "{err}");
    assert!(err.to_string().contains("checksum"), "{err}");
    // The header alone edited is refused the same way.
    bytes[body_start..].fill(0);
    let header_at = bytes.windows(4).position(|w| w == b"\"k\":").unwrap() + 4;
    bytes[header_at] = b'9';
    std::fs::write(&path, &bytes).unwrap();
    let Err(err) = ModelKeys::load(dir.path()) else { panic!("an edited header loaded") };
    assert!(err.to_string().contains("checksum"), "{err}");
}
