//! Import of real snarkjs powers-of-tau files: a ceremony made with the pinned npm `snarkjs`
//! (`powersoftau new` → `contribute` → `prepare phase2`) becomes an SRS with its provenance and
//! the powers-of-tau relation, and every kind of malformed file is a clear error, never a panic.
//! That such an SRS proves and verifies a model is the prover's test (`prover/tests/ceremony.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::{pairing, Fq, Fq2, Fr, G1Affine, G2Affine};
use halo2curves::ff::{Field, PrimeField};
use halo2curves::group::prime::PrimeCurveAffine;
use halo2curves::serde::SerdeObject;
use loopx_srs::ptau::{import_ptau, LagrangeBasis, PtauFile, PtauProblem};
use loopx_srs::SrsError;
use loopx_srs::{Srs, SrsSource};

#[path = "support/ceremony.rs"]
mod support;
use support::Ceremony;

/// The power of the ceremony these tests import (any power ≥ 6 would do; this one matches the
/// bundled sybil_lr circuit's k, so the prover's ceremony test finds the same files made).
const POWER: u32 = 12;

fn ceremony() -> &'static Ceremony {
    static CEREMONY: OnceLock<Ceremony> = OnceLock::new();
    CEREMONY.get_or_init(|| support::ceremony(POWER))
}

fn params_bytes(srs: &Srs) -> Vec<u8> {
    let mut bytes = Vec::new();
    srs.params().write_custom(&mut bytes, SerdeFormat::RawBytes).unwrap();
    bytes
}

/// Section id → (offset of the data, length), read independently of the library.
fn sections(bytes: &[u8]) -> HashMap<u32, (usize, usize)> {
    let u32_at = |p: usize| u32::from_le_bytes(bytes[p..p + 4].try_into().unwrap());
    let mut map = HashMap::new();
    let mut pos = 12;
    for _ in 0..u32_at(8) {
        let id = u32_at(pos);
        let size = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        map.insert(id, (pos + 12, size));
        pos += 12 + size;
    }
    map
}

/// A copy of `source` changed by `edit`, in `dir`.
fn patched(dir: &Path, source: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(source).unwrap();
    edit(&mut bytes);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn problem(result: loopx_srs::Result<impl std::fmt::Debug>) -> PtauProblem {
    match result {
        Err(SrsError::InvalidPtau { problem, .. }) => problem,
        other => panic!("expected an InvalidPtau error, got {other:?}"),
    }
}

/// ffjavascript's encoding of a field element: the Montgomery form, little-endian — which is
/// halo2curves' in-memory form too.
fn montgomery(x: &Fq) -> Vec<u8> {
    x.to_raw_bytes()
}

#[test]
fn imported_ceremony_keeps_its_provenance_and_the_powers_of_tau_relation() {
    let c = ceremony();
    let import = import_ptau(&c.prepared, None).expect("snarkjs ceremony imports");
    let srs = &import.srs;
    assert_eq!(srs.k(), c.power, "k defaults to the file's power");
    assert!(!srs.is_dev());
    assert_eq!(import.ceremony.lagrange_basis, LagrangeBasis::FromFile);
    assert_eq!(import.ceremony.contributions, Some(1));
    assert_eq!(import.ceremony.sha256, loopx_srs::file_sha256(&c.prepared).unwrap());
    let SrsSource::Ceremony { description } = srs.source() else { panic!("not marked as a ceremony") };
    assert!(
        description.contains("final.ptau") && description.contains(&import.ceremony.sha256),
        "{description}"
    );
    assert!(description.contains(&format!("power {}", c.power)), "{description}");

    // The defining relation of a powers-of-tau SRS: e(τ·G1, G2) = e(G1, τ·G2).
    let params = srs.params();
    assert_eq!(params.get_g()[0], G1Affine::generator());
    assert_eq!(params.g2(), G2Affine::generator());
    assert_eq!(pairing(&params.get_g()[1], &params.g2()), pairing(&params.get_g()[0], &params.s_g2()));

    // It survives the SRS file, keeping its provenance.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ceremony.srs");
    srs.save(&file).unwrap();
    let loaded = Srs::load(&file).unwrap();
    assert_eq!(loaded.source(), srs.source());
    assert_eq!(params_bytes(&loaded), params_bytes(srs));
}

#[test]
fn prepared_file_lagrange_points_equal_the_computed_ones() {
    // The prepared file's section 12 is reindexed from snarkjs' root of unity to halo2's; the
    // unprepared file makes halo2 compute the basis itself. Both must be the same SRS.
    let c = ceremony();
    for k in [c.power, c.power - 1, 4] {
        let from_file = import_ptau(&c.prepared, Some(k)).unwrap();
        let computed = import_ptau(&c.contributed, Some(k)).unwrap();
        assert_eq!(from_file.ceremony.lagrange_basis, LagrangeBasis::FromFile);
        assert_eq!(computed.ceremony.lagrange_basis, LagrangeBasis::Computed);
        assert_eq!(params_bytes(&from_file.srs), params_bytes(&computed.srs), "k = {k}");
    }
    // And cutting an imported SRS down (halo2 recomputes the basis) gives the direct import.
    let full = import_ptau(&c.prepared, None).unwrap().srs;
    let direct = import_ptau(&c.prepared, Some(c.power - 2)).unwrap().srs;
    assert_eq!(params_bytes(&full.downsized(c.power - 2).unwrap()), params_bytes(&direct));
    let opened = PtauFile::open(&c.prepared).unwrap();
    assert!(opened.prepared && opened.power == c.power);
    assert!(!PtauFile::open(&c.contributed).unwrap().prepared);
}

#[test]
fn a_damaged_lagrange_section_falls_back_to_computing_the_basis() {
    let c = ceremony();
    let dir = tempfile::tempdir().unwrap();
    let k = c.power - 1;
    let damaged = patched(dir.path(), &c.prepared, "damaged-lagrange.ptau", |b| {
        let (offset, _) = sections(b)[&12];
        // Lagrange point 3 of the chunk for k becomes the (valid, but wrong) point 4.
        let chunk = offset + ((1 << k) - 1) * 64;
        let four = b[chunk + 4 * 64..chunk + 5 * 64].to_vec();
        b[chunk + 3 * 64..chunk + 4 * 64].copy_from_slice(&four);
    });
    let import = import_ptau(&damaged, Some(k)).unwrap();
    assert_eq!(import.ceremony.lagrange_basis, LagrangeBasis::Computed);
    assert_eq!(params_bytes(&import.srs), params_bytes(&import_ptau(&c.contributed, Some(k)).unwrap().srs));
}

#[test]
fn rejects_wrong_magic_version_and_curve() {
    let c = ceremony();
    let dir = tempfile::tempdir().unwrap();
    let wrong_magic = patched(dir.path(), &c.contributed, "magic.ptau", |b| b[..4].copy_from_slice(b"zkey"));
    assert_eq!(problem(import_ptau(&wrong_magic, None)), PtauProblem::WrongMagic { found: b"zkey".to_vec() });

    let version = patched(dir.path(), &c.contributed, "version.ptau", |b| b[4] = 2);
    assert_eq!(problem(import_ptau(&version, None)), PtauProblem::UnsupportedVersion(2));

    // The header section holds n8q, then q: claim 48-byte field elements (BLS12-381's), then
    // keep 32 bytes but put another modulus (BN254's scalar field r) in place of q.
    let n8 = patched(dir.path(), &c.contributed, "n8.ptau", |b| {
        let (offset, _) = sections(b)[&1];
        b[offset..offset + 4].copy_from_slice(&48u32.to_le_bytes());
    });
    assert!(matches!(problem(import_ptau(&n8, None)), PtauProblem::WrongCurve(_)));
    let wrong_q = patched(dir.path(), &c.contributed, "curve.ptau", |b| {
        let (offset, _) = sections(b)[&1];
        let mut r = (-Fr::ONE).to_repr();
        r[0] += 1; // r − 1 ends in a zero byte, so this is r, little-endian
        b[offset + 4..offset + 36].copy_from_slice(&r);
    });
    let err = import_ptau(&wrong_q, None).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("curve.ptau") && message.contains("not a bn128 file"), "{message}");
    assert!(
        message.contains("0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001"),
        "{message}"
    );
}

#[test]
fn rejects_truncated_files_naming_what_is_cut() {
    let c = ceremony();
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(&c.contributed).unwrap();
    let layout = sections(&bytes);
    let (g1_offset, g1_size) = layout[&2];
    let (g2_offset, _) = layout[&3];
    let cuts = [
        (0, "the file header"),
        (7, "the file header"),
        (20, "section #1"),
        (g1_offset + g1_size / 2, "section 2 (tauG1)"),
        (g2_offset + 100, "section 3 (tauG2)"),
        (bytes.len() - 1, "section 7 (contributions)"),
    ];
    for (len, what) in cuts {
        let file = patched(dir.path(), &c.contributed, "cut.ptau", |b| b.truncate(len));
        let err = import_ptau(&file, None).unwrap_err();
        match &err {
            SrsError::InvalidPtau { problem: PtauProblem::Truncated { what: found, .. }, path } => {
                assert!(found.contains(what), "cut at {len}: {found:?} does not name {what:?}");
                assert_eq!(path, &file);
            }
            other => panic!("cut at {len}: expected Truncated, got {other:?}"),
        }
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}

#[test]
fn rejects_missing_and_resized_sections() {
    let c = ceremony();
    let dir = tempfile::tempdir().unwrap();
    let relabelled = patched(dir.path(), &c.contributed, "no-tau-g2.ptau", |b| {
        let (offset, _) = sections(b)[&3];
        b[offset - 12..offset - 8].copy_from_slice(&99u32.to_le_bytes());
    });
    assert_eq!(problem(import_ptau(&relabelled, None)), PtauProblem::MissingSection { id: 3, name: "tauG2" });

    // Claim a power one higher than the sections hold.
    let power = patched(dir.path(), &c.contributed, "power.ptau", |b| {
        let (offset, _) = sections(b)[&1];
        b[offset + 36..offset + 40].copy_from_slice(&(c.power + 1).to_le_bytes());
    });
    assert!(matches!(problem(import_ptau(&power, None)), PtauProblem::SectionSize { id: 2, .. }));
    let huge = patched(dir.path(), &c.contributed, "huge-power.ptau", |b| {
        let (offset, _) = sections(b)[&1];
        b[offset + 36..offset + 40].copy_from_slice(&u32::MAX.to_le_bytes());
    });
    assert!(matches!(problem(import_ptau(&huge, None)), PtauProblem::BadHeader(_)));
}

#[test]
fn rejects_points_off_the_curve_or_out_of_range() {
    let c = ceremony();
    let dir = tempfile::tempdir().unwrap();
    let tau_g1 = |b: &[u8]| sections(b)[&2].0;
    let off_curve = patched(dir.path(), &c.contributed, "off-curve.ptau", |b| {
        let y = tau_g1(b) + 64 + 32; // y of tauG1[1]
        b[y] ^= 0x01;
    });
    let err = import_ptau(&off_curve, None).unwrap_err();
    assert!(
        matches!(
            &err,
            SrsError::InvalidPtau {
                problem: PtauProblem::PointNotOnCurve { section: "tauG1", index: 1 },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("off-curve.ptau")
            && err.to_string().contains("tauG1[1] is not on the curve")
    );

    let non_canonical = patched(dir.path(), &c.contributed, "non-canonical.ptau", |b| {
        let x = tau_g1(b) + 2 * 64;
        b[x..x + 32].fill(0xff);
    });
    assert_eq!(
        problem(import_ptau(&non_canonical, None)),
        PtauProblem::NonCanonicalCoordinate { section: "tauG1", index: 2 }
    );

    let infinity = patched(dir.path(), &c.contributed, "infinity.ptau", |b| {
        let p = tau_g1(b) + 3 * 64;
        b[p..p + 64].fill(0);
    });
    assert_eq!(
        problem(import_ptau(&infinity, None)),
        PtauProblem::PointAtInfinity { section: "tauG1", index: 3 }
    );

    // A point on the G2 curve outside the order-r subgroup (the twist has a large cofactor).
    let outside = point_on_twist_outside_subgroup();
    let not_in_subgroup = patched(dir.path(), &c.contributed, "g2-subgroup.ptau", |b| {
        let p = sections(b)[&3].0 + 128;
        let encoded = [
            montgomery(&outside.x.c0),
            montgomery(&outside.x.c1),
            montgomery(&outside.y.c0),
            montgomery(&outside.y.c1),
        ]
        .concat();
        b[p..p + 128].copy_from_slice(&encoded);
    });
    assert_eq!(
        problem(import_ptau(&not_in_subgroup, None)),
        PtauProblem::PointNotInSubgroup { section: "tauG2", index: 1 }
    );
}

fn point_on_twist_outside_subgroup() -> G2Affine {
    use halo2curves::group::cofactor::CofactorGroup;
    use halo2curves::CurveAffine;
    for i in 1u64.. {
        let x = Fq2 { c0: Fq::from(i), c1: Fq::ONE };
        let rhs = x.square() * x + G2Affine::b();
        if let Some(y) = Option::<Fq2>::from(rhs.sqrt()) {
            let point = G2Affine::from_xy(x, y).unwrap();
            if !bool::from(point.to_curve().is_torsion_free()) {
                return point;
            }
        }
    }
    unreachable!()
}

#[test]
fn rejects_files_whose_points_are_not_powers_of_one_tau() {
    let c = ceremony();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(problem(import_ptau(&c.fresh, None)), PtauProblem::TrivialTau);

    let swapped = patched(dir.path(), &c.contributed, "swapped.ptau", |b| {
        let p = sections(b)[&2].0;
        let (first, second) = (b[p..p + 64].to_vec(), b[p + 64..p + 128].to_vec());
        b[p..p + 64].copy_from_slice(&second);
        b[p + 64..p + 128].copy_from_slice(&first);
    });
    assert_eq!(problem(import_ptau(&swapped, None)), PtauProblem::NotGenerator { section: "tauG1" });

    // tauG1[5] replaced by tauG1[4]: every point valid, but the chain of powers is broken.
    let repeated = patched(dir.path(), &c.contributed, "repeated.ptau", |b| {
        let p = sections(b)[&2].0;
        let four = b[p + 4 * 64..p + 5 * 64].to_vec();
        b[p + 5 * 64..p + 6 * 64].copy_from_slice(&four);
    });
    assert_eq!(problem(import_ptau(&repeated, None)), PtauProblem::InconsistentPowers);

    // τ in G2 from another ceremony: a valid subgroup point that does not match tauG1.
    let other_tau = patched(dir.path(), &c.contributed, "other-tau.ptau", |b| {
        let p = sections(b)[&3].0 + 128;
        let other: G2Affine = (G2Affine::generator() * Fr::from(5)).into();
        let encoded = [
            montgomery(&other.x.c0),
            montgomery(&other.x.c1),
            montgomery(&other.y.c0),
            montgomery(&other.y.c1),
        ]
        .concat();
        b[p..p + 128].copy_from_slice(&encoded);
    });
    assert_eq!(problem(import_ptau(&other_tau, None)), PtauProblem::InconsistentPowers);
}

#[test]
fn refuses_a_k_above_the_file_power() {
    let c = ceremony();
    assert_eq!(
        problem(import_ptau(&c.contributed, Some(c.power + 1))),
        PtauProblem::PowerTooSmall { power: c.power, requested: c.power + 1 }
    );
    let err = import_ptau(&c.contributed, Some(c.power + 1)).unwrap_err().to_string();
    assert!(
        err.contains("pot_0001.ptau") && err.contains(&format!("k = {} was requested", c.power + 1)),
        "{err}"
    );
    assert_eq!(problem(import_ptau(&c.contributed, Some(0))), PtauProblem::KOutOfRange { requested: 0 });
    assert_eq!(problem(import_ptau(&c.contributed, Some(29))), PtauProblem::KOutOfRange { requested: 29 });
}

#[test]
fn no_cut_or_flipped_header_byte_makes_the_importer_panic() {
    let c = ceremony();
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(&c.contributed).unwrap();
    let tau_g1 = sections(&bytes)[&2].0;
    for len in (0..tau_g1 + 300).step_by(7).chain([bytes.len() / 2, bytes.len() - 64]) {
        let file = patched(dir.path(), &c.contributed, "cut.ptau", |b| b.truncate(len));
        assert!(import_ptau(&file, Some(4)).is_err(), "cut at {len} accepted");
    }
    // Every byte of the file header, section table entries, header section and first points.
    for pos in 0..tau_g1 + 3 * 64 {
        for mask in [0x01u8, 0x80] {
            let file = patched(dir.path(), &c.contributed, "flip.ptau", |b| b[pos] ^= mask);
            let result = std::panic::catch_unwind(|| import_ptau(&file, Some(4)));
            assert!(result.is_ok(), "flipping byte {pos} with {mask:#x} panicked");
        }
    }
    assert!(matches!(import_ptau(&dir.path().join("missing.ptau"), None), Err(SrsError::Io { .. })));
}
