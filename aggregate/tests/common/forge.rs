//! Forged aggregation keys: what someone who hands over a package directory can put in its
//! `aggregate-N/` without touching the package's own keys.

use std::path::Path;

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_proofs::plonk::{keygen_vk, VerifyingKey};
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::G1Affine;
use halo2curves::group::Curve;
use loopx_aggregate::keys::{AGG_SRS_FILE, AGG_VK_FILE, SETUP_FILE};
use loopx_aggregate::{keys_dir, AggregationKeys, AggregationSetup};
use loopx_prover::{vk_digest, Package};
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier_sdk::halo2::aggregation::AggregationCircuit;
use snark_verifier_sdk::halo2::gen_dummy_snark_from_protocol;
use snark_verifier_sdk::SHPLONK;

/// Copies the package directory `from`, aggregation keys included, to `to` and opens the copy.
pub fn copy_package(from: &Path, to: &Path) -> Package {
    copy_dir(from, to);
    Package::open(to).expect("copied package opens")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A valid aggregation verifying key of the same shape (configuration, break points, SRS) as
/// `keys`, but of a circuit that verifies app proofs against another app key: the package's own
/// with one commitment moved. An aggregate proven under it says nothing about this model.
pub fn vk_for_another_app_key(package: &Package, keys: &AggregationKeys) -> VerifyingKey<G1Affine> {
    let claims = package.claim_verifier().unwrap();
    let header = claims.header();
    let app_params = claims.srs().params_for(header.shape.k).unwrap();
    let mut protocol =
        compile(app_params.as_ref(), claims.vk(), Config::kzg().with_num_instance(vec![header.instances]));
    protocol.preprocessed[0] = (protocol.preprocessed[0] + G1Affine::generator()).to_affine();
    let setup = &keys.setup;
    let snarks = vec![gen_dummy_snark_from_protocol::<SHPLONK>(protocol); setup.layout.proofs];
    let circuit = loopx_aggregate::circuit::build(
        CircuitBuilderStage::Keygen,
        setup.config,
        keys.srs.params(),
        snarks,
        &setup.layout,
    )
    .unwrap()
    .use_break_points(setup.break_points.clone());
    keygen_vk(keys.srs.params(), &circuit).unwrap()
}

/// Puts `vk` in `package`'s keys for `proofs` and makes setup.json name it, as a forger would:
/// the file then parses under setup.json's configuration and matches its digest.
pub fn replace_vk(package: &Package, proofs: usize, vk: &VerifyingKey<G1Affine>) {
    let dir = keys_dir(package, proofs);
    let bytes = vk.to_bytes(SerdeFormat::RawBytes);
    std::fs::write(dir.join(AGG_VK_FILE), &bytes).unwrap();
    let mut setup: AggregationSetup =
        serde_json::from_str(&std::fs::read_to_string(dir.join(SETUP_FILE)).unwrap()).unwrap();
    setup.vk_digest = vk_digest(vk);
    std::fs::write(dir.join(SETUP_FILE), serde_json::to_string_pretty(&setup).unwrap()).unwrap();
    // What the keys' loader checked before it re-derived the key: the file parses under the
    // configuration and is the key setup.json names.
    let parsed = VerifyingKey::<G1Affine>::from_bytes::<AggregationCircuit>(
        &bytes,
        SerdeFormat::RawBytes,
        setup.config,
    )
    .expect("the forged key parses as an aggregation key of this configuration");
    assert_eq!(vk_digest(&parsed), setup.vk_digest);
}

/// Which points of `srs.bin` to exchange.
#[derive(Clone, Copy, Debug)]
pub enum SrsPoints {
    /// Two monomial-form points (`[s]₁` and `[s²]₁`).
    Monomial,
    /// Two Lagrange-form points.
    Lagrange,
}

/// Exchanges two G1 points of `package`'s aggregation SRS for `proofs`, keeping the file a valid
/// SRS artifact (header and checksum rewritten) with the ceremony's generator, `[1]₂` and `[s]₂`.
pub fn swap_srs_points(package: &Package, proofs: usize, which: SrsPoints) {
    let path = keys_dir(package, proofs).join(AGG_SRS_FILE);
    let kind = loopx_srs::artifact::SRS;
    let (header, mut body): (serde_json::Value, Vec<u8>) = loopx_srs::artifact::read(&path, kind).unwrap();
    let k = u32::from_le_bytes(body[..4].try_into().unwrap());
    // Body: k, then 2^k monomial points and 2^k Lagrange points of 64 bytes each, then G2 points.
    let first = match which {
        SrsPoints::Monomial => 4 + 64,
        SrsPoints::Lagrange => 4 + 64 * (1usize << k),
    };
    let (a, b) = body[first..first + 128].split_at_mut(64);
    a.swap_with_slice(b);
    loopx_srs::artifact::write(&path, kind, &header, &body).unwrap();
}
