//! The iden3 binfile layer of a `.ptau` file: the section table and header, bounded reads from
//! a file or from memory, and ffjavascript's Montgomery-form coordinates decoded into checked
//! curve points.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use halo2curves::bn256::{Fq, Fq2, G1Affine, G2Affine};
use halo2curves::ff::{Field, PrimeField};
use halo2curves::group::cofactor::CofactorGroup;
use halo2curves::group::prime::PrimeCurveAffine;
use halo2curves::CurveAffine;
use sha2::{Digest, Sha256};

use super::problem::section_name;
use super::{PtauProblem, Section, BN254_Q_LE, G1_BYTES, HEADER_BYTES, N8Q, PTAU_MAGIC, PTAU_VERSION};
use crate::error::{Result, SrsError};
use crate::srs::MAX_K;

/// Converts ffjavascript's Montgomery little-endian coordinates into curve points.
pub(super) struct Decoder {
    /// R⁻¹ = 2^−256 mod q: a stored integer a is the field element a·R⁻¹.
    r_inv: Fq,
}

impl Decoder {
    pub(super) fn new() -> Self {
        let r = Fq::from(2).pow_vartime([256]);
        Decoder { r_inv: r.invert().expect("2^256 is invertible mod q") }
    }

    pub(super) fn fq(
        &self,
        bytes: &[u8],
        section: &'static str,
        index: u64,
    ) -> std::result::Result<Fq, PtauProblem> {
        let repr: [u8; N8Q] = bytes.try_into().expect("callers pass N8Q bytes");
        Option::<Fq>::from(Fq::from_repr(repr))
            .map(|a| a * self.r_inv)
            .ok_or(PtauProblem::NonCanonicalCoordinate { section, index })
    }

    pub(super) fn g1(
        &self,
        bytes: &[u8],
        section: &'static str,
        index: u64,
    ) -> std::result::Result<G1Affine, PtauProblem> {
        let x = self.fq(&bytes[..N8Q], section, index)?;
        let y = self.fq(&bytes[N8Q..G1_BYTES], section, index)?;
        let point = Option::<G1Affine>::from(G1Affine::from_xy(x, y))
            .ok_or(PtauProblem::PointNotOnCurve { section, index })?;
        // from_xy accepts (0, 0), halo2curves' encoding of the identity.
        if bool::from(point.is_identity()) {
            return Err(PtauProblem::PointAtInfinity { section, index });
        }
        // G1 of BN254 has cofactor 1: on the curve means in the subgroup.
        Ok(point)
    }

    pub(super) fn g2(
        &self,
        bytes: &[u8],
        section: &'static str,
        index: u64,
    ) -> std::result::Result<G2Affine, PtauProblem> {
        let coordinate = |i: usize| self.fq(&bytes[i * N8Q..(i + 1) * N8Q], section, index);
        let x = Fq2 { c0: coordinate(0)?, c1: coordinate(1)? };
        let y = Fq2 { c0: coordinate(2)?, c1: coordinate(3)? };
        let point = Option::<G2Affine>::from(G2Affine::from_xy(x, y))
            .ok_or(PtauProblem::PointNotOnCurve { section, index })?;
        if bool::from(point.is_identity()) {
            return Err(PtauProblem::PointAtInfinity { section, index });
        }
        // G2 has a large cofactor; a point outside the r-torsion would break the pairing check.
        if !bool::from(point.to_curve().is_torsion_free()) {
            return Err(PtauProblem::PointNotInSubgroup { section, index });
        }
        Ok(point)
    }
}

/// Reads the file header and the section table, checking every section lies inside the file.
pub(super) fn read_section_table(path: &Path, file: &Source, file_len: u64) -> Result<Vec<Section>> {
    let invalid = |problem| SrsError::InvalidPtau { path: path.to_path_buf(), problem };
    let truncated = |what: String, needed: u64, available: u64| {
        invalid(PtauProblem::Truncated { what, needed, available })
    };
    if file_len < 12 {
        let found = read_at(path, file, 0, file_len as usize)?;
        if !PTAU_MAGIC.starts_with(&found[..found.len().min(4)]) {
            return Err(invalid(PtauProblem::WrongMagic { found: found[..found.len().min(4)].to_vec() }));
        }
        return Err(truncated("the file header".into(), 12, file_len));
    }
    let start = read_at(path, file, 0, 12)?;
    if &start[..4] != PTAU_MAGIC {
        return Err(invalid(PtauProblem::WrongMagic { found: start[..4].to_vec() }));
    }
    let version = u32::from_le_bytes(start[4..8].try_into().expect("4 bytes"));
    if version != PTAU_VERSION {
        return Err(invalid(PtauProblem::UnsupportedVersion(version)));
    }
    let count = u32::from_le_bytes(start[8..12].try_into().expect("4 bytes"));
    let mut sections = Vec::new();
    let mut pos = 12u64;
    for i in 0..count {
        if file_len - pos < 12 {
            return Err(truncated(
                format!("the table entry of section #{} of {count}", i + 1),
                12,
                file_len - pos,
            ));
        }
        let entry = read_at(path, file, pos, 12)?;
        let id = u32::from_le_bytes(entry[..4].try_into().expect("4 bytes"));
        let size = u64::from_le_bytes(entry[4..].try_into().expect("8 bytes"));
        pos += 12;
        if size > file_len - pos {
            return Err(truncated(format!("section {id} ({})", section_name(id)), size, file_len - pos));
        }
        sections.push(Section { id, offset: pos, size });
        pos += size;
    }
    Ok(sections)
}

/// Parses the header section: checks the curve, returns (power, ceremonyPower).
pub(super) fn read_header(path: &Path, file: &Source, header: Section) -> Result<(u32, u32)> {
    let invalid = |problem| SrsError::InvalidPtau { path: path.to_path_buf(), problem };
    if header.size < 4 {
        return Err(invalid(PtauProblem::BadHeader(format!(
            "the header section has only {} bytes",
            header.size
        ))));
    }
    let n8 = read_at(path, file, header.offset, 4)?;
    let n8 = u32::from_le_bytes(n8.try_into().expect("4 bytes"));
    if n8 as usize != N8Q {
        return Err(invalid(PtauProblem::WrongCurve(format!(
            "its base field elements have {n8} bytes, bn128's have {N8Q}"
        ))));
    }
    if header.size != HEADER_BYTES {
        return Err(invalid(PtauProblem::BadHeader(format!(
            "the header section has {} bytes, expected {HEADER_BYTES}",
            header.size
        ))));
    }
    let bytes = read_at(path, file, header.offset + 4, N8Q + 8)?;
    if bytes[..N8Q] != BN254_Q_LE {
        let mut q = bytes[..N8Q].to_vec();
        q.reverse();
        return Err(invalid(PtauProblem::WrongCurve(format!(
            "its base field modulus is 0x{}",
            hex::encode(q)
        ))));
    }
    let power = u32::from_le_bytes(bytes[N8Q..N8Q + 4].try_into().expect("4 bytes"));
    let ceremony_power = u32::from_le_bytes(bytes[N8Q + 4..].try_into().expect("4 bytes"));
    if power == 0 || power > MAX_K {
        return Err(invalid(PtauProblem::BadHeader(format!(
            "power {power} is out of range (1 to {MAX_K}, BN254's two-adicity)"
        ))));
    }
    Ok((power, ceremony_power))
}

/// Reads `len` bytes at `offset`; callers have checked the range lies inside the file.
pub(super) fn read_at(path: &Path, source: &Source, offset: u64, len: usize) -> Result<Vec<u8>> {
    source.read_exact_at(offset, len).map_err(|e| SrsError::io("read", path, e))
}

/// Where a `.ptau` file's bytes are: an open file, or its content in memory.
#[derive(Debug)]
pub(super) enum Source {
    File(File),
    Memory(Vec<u8>),
}

impl Source {
    pub(super) fn len(&self, path: &Path) -> Result<u64> {
        match self {
            Source::File(file) => Ok(file.metadata().map_err(|e| SrsError::io("read", path, e))?.len()),
            Source::Memory(bytes) => Ok(bytes.len() as u64),
        }
    }

    fn read_exact_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        match self {
            Source::File(file) => {
                let mut file = file;
                file.seek(SeekFrom::Start(offset))?;
                let mut buf = vec![0u8; len];
                file.read_exact(&mut buf)?;
                Ok(buf)
            }
            Source::Memory(bytes) => usize::try_from(offset)
                .ok()
                .and_then(|start| bytes.get(start..start.checked_add(len)?))
                .map(<[u8]>::to_vec)
                .ok_or_else(|| std::io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

/// SHA-256 of a file read in blocks (ceremony files run to gigabytes).
pub(super) fn streaming_sha256(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|e| SrsError::io("open", path, e))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| SrsError::io("read", path, e))?;
    Ok(hex::encode(hasher.finalize()))
}
