//! Import of a snarkjs powers-of-tau ceremony file (`.ptau`) as a KZG SRS.
//!
//! The file is an iden3 "binfile": the magic `ptau`, a u32 version, a u32 section count, then
//! sections, each a u32 id, a u64 byte length and its data (all integers little-endian). This
//! module reads the header (1: `n8q`, `q`, `power`, `ceremonyPower`), `tauG1` (2: 2^(power+1) − 1
//! points) and `tauG2` (3: 2^power points); `alphaTauG1`, `betaTauG1`, `betaG2` and the
//! Lagrange sections 13–15 are not needed for KZG and are skipped, the contributions section (7)
//! is only counted. Section 12 (tauG1 in Lagrange form, added by `snarkjs powersoftau prepare
//! phase2`) is used when present, after reindexing and a check against tauG1, because halo2 also
//! needs the Lagrange-basis points and computing them (an inverse FFT over G1) takes hours at
//! k = 20; see [`LagrangeBasis`].
//!
//! Coordinates are stored as ffjavascript does: `n8q`-byte little-endian integers in Montgomery
//! form (x·2^256 mod q); a G1 point is (x, y), a G2 point (x.c0, x.c1, y.c0, y.c1). Every point
//! used is checked to be canonical, on the curve and not the identity, and the G2 point to be in
//! the prime-order subgroup. A pairing check with random weights then proves that the imported
//! G1 points are the successive powers of the τ committed to in G2, so a damaged or forged file
//! cannot yield an SRS whose commitments the verifier would mis-open.
//!
//! Nothing is allocated from a size field before that size has been checked against the file's
//! length, and only the points the SRS needs are read (a 2^28 ceremony file is ~300 GB).

use std::fs::File;
use std::path::{Path, PathBuf};

use halo2_proofs::arithmetic::{best_multiexp, g_to_lagrange};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2curves::bn256::{pairing, Bn256, Fr, G1Affine, G2Affine, G1};
use halo2curves::ff::{Field, PrimeField};
use halo2curves::group::prime::PrimeCurveAffine;
use halo2curves::group::Curve;
use rand::rngs::OsRng;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Result, SrsError};
use crate::srs::{Srs, MAX_K};

mod binfile;
mod problem;

use binfile::{read_at, read_header, read_section_table, streaming_sha256, Decoder, Source};
use problem::section_name;
pub use problem::PtauProblem;

/// The four magic bytes every `.ptau` file starts with.
pub const PTAU_MAGIC: &[u8; 4] = b"ptau";
/// The only `.ptau` format version snarkjs writes (and this module reads).
pub const PTAU_VERSION: u32 = 1;

/// Section ids of the `.ptau` format that this importer reads.
const SECTION_HEADER: u32 = 1;
const SECTION_TAU_G1: u32 = 2;
const SECTION_TAU_G2: u32 = 3;
const SECTION_CONTRIBUTIONS: u32 = 7;
const SECTION_LAGRANGE_TAU_G1: u32 = 12;

/// Bytes of one base-field element (`n8q` for bn128).
const N8Q: usize = 32;
/// Bytes of an uncompressed G1 point.
const G1_BYTES: usize = 2 * N8Q;
/// Bytes of an uncompressed G2 point.
const G2_BYTES: usize = 4 * N8Q;
/// Size of the header section for bn128: `n8q`, `q`, `power`, `ceremonyPower`.
const HEADER_BYTES: u64 = 4 + N8Q as u64 + 4 + 4;

/// BN254's base field modulus q, little-endian as the header stores it.
const BN254_Q_LE: [u8; N8Q] =
    limbs_to_le([0x3c208c16d87cfd47, 0x97816a916871ca8d, 0xb85045b68181585d, 0x30644e72e131a029]);

const fn limbs_to_le(limbs: [u64; 4]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (limbs[i / 8] >> (8 * (i % 8))) as u8;
        i += 1;
    }
    out
}

/// One section of the file: where its data starts and how long it is.
#[derive(Clone, Copy, Debug)]
struct Section {
    id: u32,
    offset: u64,
    size: u64,
}

/// A `.ptau` file whose layout and header have been checked; [`import_ptau`] reads its points.
#[derive(Debug)]
pub struct PtauFile {
    path: PathBuf,
    source: Source,
    /// log2 of the number of τ powers in G2; tauG1 holds 2^(power+1) − 1 points.
    pub power: u32,
    /// The power of the ceremony the file was cut from (≥ `power`).
    pub ceremony_power: u32,
    /// Number of contributions recorded in section 7, when present.
    pub contributions: Option<u32>,
    /// Whether `snarkjs powersoftau prepare phase2` added its Lagrange sections (which make the
    /// import fast at large k).
    pub prepared: bool,
    tau_g1: Section,
    tau_g2: Section,
    lagrange_tau_g1: Option<Section>,
}

/// What an import read and produced.
#[derive(Clone, Debug)]
pub struct PtauImport {
    /// The SRS, marked with [`crate::SrsSource::Ceremony`].
    pub srs: Srs,
    /// Facts about the ceremony file, for reports.
    pub ceremony: CeremonySummary,
}

/// Facts about an imported ceremony file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CeremonySummary {
    /// The file's name (without its folder).
    pub file_name: String,
    /// SHA-256 of the whole file, hex: compare with the ceremony's published hash.
    pub sha256: String,
    /// The file's power.
    pub power: u32,
    /// The ceremony's power.
    pub ceremony_power: u32,
    /// Number of contributions recorded in the file, when present.
    pub contributions: Option<u32>,
    /// The k the SRS was cut to.
    pub k: u32,
    /// Where the SRS's Lagrange-basis points came from.
    pub lagrange_basis: LagrangeBasis,
}

/// Where an imported SRS's Lagrange-basis points (halo2's `g_lagrange`) came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LagrangeBasis {
    /// Read from the file's `prepare phase2` section 12, reordered from snarkjs' evaluation
    /// domain to halo2's, and checked against tauG1 (fast at any size).
    FromFile,
    /// Computed from tauG1 with halo2's inverse FFT over G1 (the file was not prepared, or its
    /// section 12 did not match): about 6 s at k = 12 on two cores, ×2.8 per step of k, so
    /// minutes at k = 16 and hours at k = 20.
    Computed,
}

impl CeremonySummary {
    /// The one-line provenance stored in the SRS file.
    pub fn description(&self) -> String {
        let contributions = match self.contributions {
            Some(1) => ", 1 contribution".to_string(),
            Some(n) => format!(", {n} contributions"),
            None => String::new(),
        };
        format!(
            "powers of tau {} (sha256 {}, power {}, ceremony power {}{}), k = {}",
            self.file_name, self.sha256, self.power, self.ceremony_power, contributions, self.k
        )
    }
}

/// Imports `path` as an SRS of 2^`k` points (`k` defaults to the file's power).
pub fn import_ptau(path: &Path, k: Option<u32>) -> Result<PtauImport> {
    import(PtauFile::open(path)?, k)
}

/// [`import_ptau`] of a file's content held in memory; `path` names it in errors and in the
/// SRS's provenance.
pub fn import_ptau_bytes(path: &Path, bytes: Vec<u8>, k: Option<u32>) -> Result<PtauImport> {
    import(PtauFile::from_bytes(path, bytes)?, k)
}

fn import(ptau: PtauFile, k: Option<u32>) -> Result<PtauImport> {
    let path = ptau.path.as_path();
    let k = k.unwrap_or(ptau.power);
    // Checked before hashing, so a too-small file fails fast.
    ptau.check_k(k)?;
    let sha256 = match &ptau.source {
        Source::File(_) => streaming_sha256(path)?,
        Source::Memory(bytes) => hex::encode(Sha256::digest(bytes)),
    };
    let file_name =
        path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let (params, lagrange_basis) = ptau.to_params(k)?;
    let ceremony = CeremonySummary {
        file_name,
        sha256,
        power: ptau.power,
        ceremony_power: ptau.ceremony_power,
        contributions: ptau.contributions,
        k,
        lagrange_basis,
    };
    Ok(PtauImport { srs: Srs::from_ceremony(params, ceremony.description()), ceremony })
}

impl PtauFile {
    /// Opens `path` and checks its magic, version, section table, header and section sizes.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| SrsError::io("open", path, e))?;
        Self::from_source(path, Source::File(file))
    }

    /// Checks a file's content held in memory as [`PtauFile::open`] checks a file; `path` names
    /// it in errors.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Self> {
        Self::from_source(path, Source::Memory(bytes))
    }

    fn from_source(path: &Path, source: Source) -> Result<Self> {
        let file = &source;
        let file_len = source.len(path)?;
        let invalid = |problem| SrsError::InvalidPtau { path: path.to_path_buf(), problem };
        let sections = read_section_table(path, file, file_len)?;

        let unique = |id: u32| -> Result<Option<Section>> {
            let mut found = sections.iter().filter(|s| s.id == id);
            match (found.next(), found.next()) {
                (_, Some(_)) => Err(invalid(PtauProblem::DuplicateSection { id, name: section_name(id) })),
                (first, None) => Ok(first.copied()),
            }
        };
        let required = |id: u32| -> Result<Section> {
            unique(id)?.ok_or_else(|| invalid(PtauProblem::MissingSection { id, name: section_name(id) }))
        };

        let header = required(SECTION_HEADER)?;
        let (power, ceremony_power) = read_header(path, file, header)?;

        let tau_g1 = required(SECTION_TAU_G1)?;
        let tau_g2 = required(SECTION_TAU_G2)?;
        // power ≤ MAX_K (checked in the header), so these cannot overflow.
        let expected_g1 = ((1u64 << (power + 1)) - 1) * G1_BYTES as u64;
        let expected_g2 = (1u64 << power) * G2_BYTES as u64;
        for (section, expected) in [(tau_g1, expected_g1), (tau_g2, expected_g2)] {
            if section.size != expected {
                return Err(invalid(PtauProblem::SectionSize {
                    id: section.id,
                    name: section_name(section.id),
                    power,
                    expected,
                    found: section.size,
                }));
            }
        }

        let contributions = match unique(SECTION_CONTRIBUTIONS)? {
            Some(section) if section.size >= 4 => {
                let bytes = read_at(path, file, section.offset, 4)?;
                Some(u32::from_le_bytes(bytes.try_into().expect("4 bytes")))
            }
            _ => None,
        };
        let mut lagrange = sections.iter().filter(|s| s.id == SECTION_LAGRANGE_TAU_G1);
        let lagrange_tau_g1 = match (lagrange.next(), lagrange.next()) {
            (Some(section), None) => Some(*section),
            _ => None,
        };
        let prepared = lagrange_tau_g1.is_some();
        Ok(PtauFile {
            path: path.to_path_buf(),
            source,
            power,
            ceremony_power,
            contributions,
            prepared,
            tau_g1,
            tau_g2,
            lagrange_tau_g1,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_k(&self, k: u32) -> Result<()> {
        if k == 0 || k > MAX_K {
            return Err(self.invalid(PtauProblem::KOutOfRange { requested: k }));
        }
        if k > self.power {
            return Err(self.invalid(PtauProblem::PowerTooSmall { power: self.power, requested: k }));
        }
        Ok(())
    }

    fn invalid(&self, problem: PtauProblem) -> SrsError {
        SrsError::InvalidPtau { path: self.path.clone(), problem }
    }

    fn to_params(&self, k: u32) -> Result<(ParamsKZG<Bn256>, LagrangeBasis)> {
        self.check_k(k)?;
        let n = 1usize << k;
        let file = &self.source;
        let g1_bytes = read_at(&self.path, file, self.tau_g1.offset, n * G1_BYTES)?;
        let g2_bytes = read_at(&self.path, file, self.tau_g2.offset, 2 * G2_BYTES)?;
        let decoder = Decoder::new();

        let g: Vec<G1Affine> = g1_bytes
            .par_chunks_exact(G1_BYTES)
            .enumerate()
            .map(|(i, bytes)| decoder.g1(bytes, "tauG1", i as u64))
            .collect::<std::result::Result<_, _>>()
            .map_err(|p| self.invalid(p))?;
        let g2 = decoder.g2(&g2_bytes[..G2_BYTES], "tauG2", 0).map_err(|p| self.invalid(p))?;
        let s_g2 = decoder.g2(&g2_bytes[G2_BYTES..], "tauG2", 1).map_err(|p| self.invalid(p))?;

        if g[0] != G1Affine::generator() {
            return Err(self.invalid(PtauProblem::NotGenerator { section: "tauG1" }));
        }
        if g2 != G2Affine::generator() {
            return Err(self.invalid(PtauProblem::NotGenerator { section: "tauG2" }));
        }
        if g[1] == G1Affine::generator() || s_g2 == G2Affine::generator() {
            return Err(self.invalid(PtauProblem::TrivialTau));
        }
        let challenge = Challenge::new(&g);
        if !challenge.powers_are_consistent(&g, &s_g2) {
            return Err(self.invalid(PtauProblem::InconsistentPowers));
        }

        let (g_lagrange, basis) = match self.lagrange_from_file(k, &challenge, &decoder)? {
            Some(g_lagrange) => (g_lagrange, LagrangeBasis::FromFile),
            None => (
                g_to_lagrange(g.iter().map(PrimeCurveAffine::to_curve).collect(), k),
                LagrangeBasis::Computed,
            ),
        };
        Ok((params_from_parts(k, g, g_lagrange, g2, s_g2), basis))
    }

    /// halo2's `g_lagrange` for `k` from the file's section 12, if it has a usable one.
    ///
    /// `prepare phase2` stores, for every p from 0 to power + 1, the inverse FFT of the first 2^p
    /// tauG1 points, i.e. Lᵢ(τ)·G1 for the Lagrange polynomials of the domain {wⁱ}, where w is
    /// wasmcurves' 2^p-th root of unity. halo2 uses another root ω of the same order, so the
    /// points are reindexed through w = ωᵃ, then checked against tauG1 (already proven to be the
    /// powers of τ) by [`Challenge::lagrange_basis_matches`]. The section only saves time — the
    /// inverse FFT over G1 takes hours at k = 20 — so if it is absent, short, damaged or does
    /// not match, the caller computes the basis itself.
    fn lagrange_from_file(
        &self,
        k: u32,
        challenge: &Challenge,
        decoder: &Decoder,
    ) -> Result<Option<Vec<G1Affine>>> {
        let Some(section) = self.lagrange_tau_g1 else { return Ok(None) };
        let n = 1u64 << k;
        // Chunks for p = 0..k−1 come first: 2^k − 1 points; chunk k ends after 2^(k+1) − 1.
        if section.size < (2 * n - 1) * G1_BYTES as u64 {
            return Ok(None);
        }
        let omega = root_of_unity(k);
        let Some(a) = snarkjs_root_exponent(k, omega) else { return Ok(None) };
        let file = &self.source;
        let offset = section.offset + (n - 1) * G1_BYTES as u64;
        let bytes = read_at(&self.path, file, offset, n as usize * G1_BYTES)?;
        let points: Option<Vec<G1Affine>> = bytes
            .par_chunks_exact(G1_BYTES)
            .enumerate()
            .map(|(i, bytes)| decoder.g1(bytes, "lagrange tauG1", i as u64).ok())
            .collect();
        let Some(points) = points else { return Ok(None) };
        let mut g_lagrange = vec![G1Affine::identity(); n as usize];
        for (i, point) in points.into_iter().enumerate() {
            // a < 2^28 and i < 2^28: the product fits in a u64.
            g_lagrange[((a * i as u64) % n) as usize] = point;
        }
        Ok(challenge.lagrange_basis_matches(omega, &g_lagrange).then_some(g_lagrange))
    }
}

/// halo2's primitive 2^k-th root of unity ω, as `EvaluationDomain` and `g_to_lagrange` take it.
fn root_of_unity(k: u32) -> Fr {
    let mut omega = Fr::ROOT_OF_UNITY;
    for _ in k..Fr::S {
        omega = omega.square();
    }
    omega
}

/// One random challenge ρ for the batched checks of the imported points, and the commitment
/// S = Σⱼ ρʲ·gⱼ (j < n) to the candidate powers gⱼ that both checks reuse, so the import costs
/// two multi-scalar multiplications of n points (or one without a Lagrange section).
///
/// Each check is an identity Σ ρⁱ·Δᵢ = 0 whose coefficients Δᵢ (differences from what an honest
/// file holds, as discrete logs) are fixed before ρ is drawn; if any Δᵢ ≠ 0 the left side is a
/// non-zero polynomial of degree < n in ρ, which vanishes with probability ≤ n/|Fr| < 2⁻²²⁶
/// (Schwartz–Zippel).
struct Challenge {
    rho: Fr,
    /// ρ^(n−1)·g_(n−1), the last term of `sum`.
    last_term: G1,
    /// S = Σ ρʲ·gⱼ.
    sum: G1,
    /// g₀ (the generator, already checked).
    first: G1Affine,
    n: usize,
}

impl Challenge {
    fn new(g: &[G1Affine]) -> Self {
        let n = g.len();
        // ρ with ρⁿ ≠ 1 keeps 1 − ρ·ωⁱ invertible in `lagrange_basis_matches`.
        let rho = std::iter::repeat_with(|| Fr::random(OsRng))
            .find(|rho| rho.pow_vartime([n as u64]) != Fr::ONE)
            .expect("an endless iterator");
        let weights = powers(rho, n);
        let sum = best_multiexp(&weights, g);
        Challenge { rho, last_term: g[n - 1] * weights[n - 1], sum, first: g[0], n }
    }

    /// Whether gᵢ₊₁ = τ·gᵢ for all i < n − 1, with τ·G2 = `s_g2`.
    ///
    /// Weighted by ρⁱ, the n − 1 relations add up to ρ⁻¹·(S − g₀) = τ·(S − ρⁿ⁻¹·gₙ₋₁), checked
    /// as e(S − g₀, G2) = e(ρ·(S − ρⁿ⁻¹·gₙ₋₁), τ·G2). With g₀ = G1 this gives gᵢ = τⁱ·G1.
    fn powers_are_consistent(&self, g: &[G1Affine], s_g2: &G2Affine) -> bool {
        debug_assert_eq!(g.len(), self.n);
        let lhs = (self.sum - self.first).to_affine();
        let rhs = ((self.sum - self.last_term) * self.rho).to_affine();
        pairing(&lhs, &G2Affine::generator()) == pairing(&rhs, s_g2)
    }

    /// Whether ℓᵢ = Lᵢ(τ)·G1 for halo2's domain {ωⁱ}, given that the gⱼ are the powers of τ.
    ///
    /// P(X) = Σⱼ ρʲ·Xʲ has P(τ)·G1 = S and, as ωⁱⁿ = 1, P(ωⁱ) = (1 − ρⁿ)/(1 − ρ·ωⁱ); since
    /// P = Σᵢ P(ωⁱ)·Lᵢ, a correct basis satisfies Σᵢ P(ωⁱ)·ℓᵢ = S. A wrong one with errors Δ
    /// leaves Σᵢ P(ωⁱ)·Δᵢ = Σⱼ ρʲ·(DFT Δ)ⱼ, non-zero in ρ because the DFT is invertible.
    fn lagrange_basis_matches(&self, omega: Fr, g_lagrange: &[G1Affine]) -> bool {
        use halo2curves::ff::BatchInvert;
        debug_assert_eq!(g_lagrange.len(), self.n);
        let numerator = Fr::ONE - self.rho.pow_vartime([self.n as u64]);
        let mut weights = Vec::with_capacity(self.n);
        let mut omega_i = Fr::ONE;
        for _ in 0..self.n {
            weights.push(Fr::ONE - self.rho * omega_i);
            omega_i *= omega;
        }
        weights.iter_mut().batch_invert();
        weights.par_iter_mut().for_each(|w| *w *= numerator);
        best_multiexp(&weights, g_lagrange) == self.sum
    }
}

/// 1, ρ, ρ², … (`count` terms).
fn powers(rho: Fr, count: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(count);
    let mut power = Fr::ONE;
    for _ in 0..count {
        out.push(power);
        power *= rho;
    }
    out
}

/// The a with ωᵃ = w, where ω is halo2's primitive 2^k-th root of unity and w snarkjs' one, or
/// `None` if there is none (then snarkjs' Lagrange points cannot be reindexed).
///
/// wasmcurves (snarkjs' field arithmetic) takes the smallest quadratic non-residue z of Fr and
/// w₂₈ = zᵗ with r − 1 = 2²⁸·t, then w_k = w₂₈^(2^(28−k)); halo2curves uses 7ᵗ. Both generate
/// the same cyclic group of order 2^k, so a is found bit by bit (Pohlig–Hellman).
fn snarkjs_root_exponent(k: u32, omega: Fr) -> Option<u64> {
    if k == 0 || k > Fr::S {
        return None;
    }
    let r_minus_one = u256_limbs(&(-Fr::ONE).to_repr());
    let half = shr_u256(r_minus_one, 1);
    let minus_one = -Fr::ONE;
    let z = (2u64..100).map(Fr::from).find(|z| z.pow_vartime(half) == minus_one)?;
    let mut w = z.pow_vartime(shr_u256(r_minus_one, Fr::S));
    for _ in k..Fr::S {
        w = w.square();
    }
    let omega_inv = Option::<Fr>::from(omega.invert())?;
    let mut a = 0u64;
    for bit in 0..k {
        // x = ω^(a_true − a) with a_true − a = 2^bit·m: x^(2^(k−1−bit)) = (−1)^m.
        let x = w * omega_inv.pow_vartime([a]);
        if x.pow_vartime([1u64 << (k - 1 - bit)]) != Fr::ONE {
            a |= 1 << bit;
        }
    }
    (omega.pow_vartime([a]) == w).then_some(a)
}

fn u256_limbs(le: &[u8; 32]) -> [u64; 4] {
    std::array::from_fn(|i| u64::from_le_bytes(le[8 * i..8 * i + 8].try_into().expect("8 bytes")))
}

fn shr_u256(x: [u64; 4], shift: u32) -> [u64; 4] {
    debug_assert!(shift > 0 && shift < 64);
    std::array::from_fn(|i| {
        let high = if i + 1 < 4 { x[i + 1] << (64 - shift) } else { 0 };
        (x[i] >> shift) | high
    })
}

/// halo2-axiom builds `ParamsKZG` from parts only through a method whose receiver it does not
/// use, so a throwaway 2-point SRS stands in for it.
fn params_from_parts(
    k: u32,
    g: Vec<G1Affine>,
    g_lagrange: Vec<G1Affine>,
    g2: G2Affine,
    s_g2: G2Affine,
) -> ParamsKZG<Bn256> {
    let receiver = ParamsKZG::<Bn256>::setup(1, rand_chacha::ChaCha20Rng::seed_from_u64(0));
    receiver.from_parts(k, g, Some(g_lagrange), g2, s_g2)
}

#[cfg(test)]
mod tests {
    use halo2curves::bn256::Fq;

    use super::*;

    #[test]
    fn bn254_modulus_constant_matches_halo2curves() {
        let mut be = BN254_Q_LE;
        be.reverse();
        assert_eq!(format!("0x{}", hex::encode(be)), Fq::MODULUS);
    }

    #[test]
    fn root_of_unity_is_the_one_halo2_domains_use() {
        for k in [1, 4, 11, 20] {
            let domain = halo2_proofs::poly::EvaluationDomain::<Fr>::new(1, k);
            assert_eq!(root_of_unity(k), domain.get_omega(), "k = {k}");
        }
    }

    #[test]
    fn snarkjs_root_is_a_known_power_of_halo2s() {
        // wasmcurves' w₂₈ = 5ᵗ (5 is Fr's smallest non-residue), halo2curves' ω₂₈ = 7ᵗ.
        for k in [1, 2, 11, 20, 28] {
            let a = snarkjs_root_exponent(k, root_of_unity(k)).expect("same cyclic group");
            assert_eq!(a % 2, 1, "w must be primitive");
            let t = shr_u256(u256_limbs(&(-Fr::ONE).to_repr()), Fr::S);
            let mut w = Fr::from(5).pow_vartime(t);
            for _ in k..Fr::S {
                w = w.square();
            }
            assert_eq!(root_of_unity(k).pow_vartime([a]), w, "k = {k}");
        }
    }

    #[test]
    fn montgomery_coordinates_decode_to_the_generator() {
        use halo2curves::bn256::G1;
        // ffjavascript stores x as x·2^256 mod q; halo2curves keeps the same form internally, so
        // its raw limbs are exactly the file's bytes. Encode G1 that way and decode it back.
        use halo2curves::serde::SerdeObject;
        let g = G1Affine::generator();
        let mut bytes = g.x.to_raw_bytes();
        bytes.extend(g.y.to_raw_bytes());
        let decoded = Decoder::new().g1(&bytes, "tauG1", 0).unwrap();
        assert_eq!(decoded, g);
        assert_eq!(decoded.to_curve(), G1::generator());
    }
}
