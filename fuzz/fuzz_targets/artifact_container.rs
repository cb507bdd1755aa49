//! The binary artifact container (SRS, proving key, verifying key), then halo2's parsing of the
//! body exactly as `Srs::load`, `keys::load_vk` and `ModelKeys::load` do it.
#![no_main]
use std::path::Path;

use halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::G1Affine;
use libfuzzer_sys::fuzz_target;
use loopx_circuits::ModelCircuit;
use loopx_prover::keys::{PROVING_KEY, VERIFYING_KEY};
use loopx_srs::artifact::{self, SRS};
use loopx_prover::KeyHeader;
use loopx_srs::Srs;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let path = Path::new("fuzz.bin");
    match selector % 3 {
        0 => {
            let _ = Srs::from_bytes(path, rest.to_vec());
        }
        1 => {
            let Ok((header, body)) = artifact::parse::<KeyHeader>(path, VERIFYING_KEY, rest.to_vec()) else {
                return;
            };
            if header.circuit_version != loopx_circuits::CIRCUIT_VERSION {
                return;
            }
            let _ = artifact::guarded(path, VERIFYING_KEY, || {
                VerifyingKey::<G1Affine>::from_bytes::<ModelCircuit>(
                    &body,
                    SerdeFormat::RawBytes,
                    header.shape,
                )
            });
        }
        _ => {
            let Ok((header, body)) = artifact::parse::<KeyHeader>(path, PROVING_KEY, rest.to_vec()) else {
                return;
            };
            if header.circuit_version != loopx_circuits::CIRCUIT_VERSION {
                return;
            }
            let _ = artifact::guarded(path, PROVING_KEY, || {
                ProvingKey::<G1Affine>::from_bytes::<ModelCircuit>(&body, SerdeFormat::RawBytes, header.shape)
            });
        }
    }
    let _ = artifact::parse::<serde_json::Value>(path, SRS, rest.to_vec());
});
