//! The KZG structured reference string: dev generation (insecure, marked), loading, saving,
//! downsizing and a content hash users compare with a ceremony's published one.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::Bn256;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::artifact::{self, ArtifactError, SRS};
use crate::error::{Result, SrsError};

/// Largest k this build accepts (the BN254 scalar field's two-adicity is 28).
pub const MAX_K: u32 = 28;

/// Where an SRS came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SrsSource {
    /// Generated locally from a known seed: anyone can forge proofs against it.
    Dev,
    /// Converted from a public powers-of-tau ceremony file.
    Ceremony {
        /// What the file was (name, and its SHA-256).
        description: String,
    },
}

#[derive(Serialize, Deserialize)]
struct SrsHeader {
    k: u32,
    source: SrsSource,
}

/// An SRS with its provenance.
#[derive(Clone, Debug)]
pub struct Srs {
    params: ParamsKZG<Bn256>,
    source: SrsSource,
    /// The file it was loaded from, to name it in errors.
    origin: Option<PathBuf>,
}

/// Seed of the dev SRS: public on purpose, so dev keys are reproducible — and worthless.
const DEV_SEED: u64 = 0x1007_5eed;

impl Srs {
    /// The insecure dev SRS of size `2^k` (deterministic; its toxic waste is public).
    pub fn dev(k: u32) -> Result<Self> {
        check_k(k)?;
        let rng = rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SEED);
        Ok(Srs { params: ParamsKZG::setup(k, rng), source: SrsSource::Dev, origin: None })
    }

    /// Wraps ceremony parameters.
    pub fn from_ceremony(params: ParamsKZG<Bn256>, description: String) -> Self {
        Srs { params, source: SrsSource::Ceremony { description }, origin: None }
    }

    /// `log2` of the number of points.
    pub fn k(&self) -> u32 {
        self.params.k()
    }

    /// Whether this is an insecure dev SRS: labelled as one, or made from the public dev seed
    /// whatever its label says (a relabelled dev SRS must not pass for a ceremony one).
    pub fn is_dev(&self) -> bool {
        self.source == SrsSource::Dev || self.has_dev_toxic_waste()
    }

    /// Whether `s·G2` is the dev seed's: the dev SRS's secret is the first scalar its seeded RNG
    /// draws, so one G2 multiplication recognises it at any size.
    fn has_dev_toxic_waste(&self) -> bool {
        use halo2curves::bn256::G2Affine;
        use halo2curves::ff::Field;
        let tau = halo2curves::bn256::Fr::random(rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SEED));
        let dev_s_g2: G2Affine = (G2Affine::generator() * tau).into();
        self.params.s_g2() == dev_s_g2
    }

    /// Provenance.
    pub fn source(&self) -> &SrsSource {
        &self.source
    }

    /// The halo2 parameters.
    pub fn params(&self) -> &ParamsKZG<Bn256> {
        &self.params
    }

    /// The file this SRS was loaded from, if any.
    pub fn origin(&self) -> Option<&Path> {
        self.origin.as_deref()
    }

    /// Refuses a circuit of size `2^k` that this SRS is too small for. The one place the size
    /// check lives: cutting the SRS and taking parameters for a circuit both go through it.
    pub fn check_fits(&self, k: u32) -> Result<()> {
        if k > self.k() {
            return Err(SrsError::TooSmall { srs_k: self.k(), circuit_k: k });
        }
        Ok(())
    }

    /// The same SRS cut down to `2^k` points (no-op if already that size).
    pub fn downsized(&self, k: u32) -> Result<Self> {
        self.check_fits(k)?;
        self.clone().into_downsized(k)
    }

    /// This SRS cut down to `2^k` points, without copying it when it already has that size.
    pub fn into_downsized(mut self, k: u32) -> Result<Self> {
        self.check_fits(k)?;
        if k < self.k() {
            self.params.downsize(k);
        }
        Ok(self)
    }

    /// The parameters for a circuit of size `2^k`: borrowed when the SRS has exactly that size,
    /// a cut copy when it is larger.
    pub fn params_for(&self, k: u32) -> Result<Cow<'_, ParamsKZG<Bn256>>> {
        self.check_fits(k)?;
        if k == self.k() {
            return Ok(Cow::Borrowed(&self.params));
        }
        let mut params = self.params.clone();
        params.downsize(k);
        Ok(Cow::Owned(params))
    }

    /// Saves the SRS atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut body = Vec::new();
        self.params
            .write_custom(&mut body, SerdeFormat::RawBytesUnchecked)
            .map_err(|e| ArtifactError::io("serialize the SRS for", path, e))?;
        Ok(artifact::write(path, SRS, &SrsHeader { k: self.k(), source: self.source.clone() }, &body)?)
    }

    /// Loads an SRS, checking its size against the header before halo2 parses it.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| ArtifactError::io("read", path, e))?;
        Self::from_bytes(path, bytes)
    }

    /// Parses the bytes of an SRS file as [`Srs::load`] does; `path` names it in errors.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Self> {
        let (header, body): (SrsHeader, Vec<u8>) = artifact::parse(path, SRS, bytes)?;
        check_k(header.k)
            .map_err(|_| ArtifactError::corrupt(path, "SRS", format!("k = {} is out of range", header.k)))?;
        // k, 2^k G1 points and their Lagrange form (64 bytes each, uncompressed), g2 and s·g2.
        let expected = 4 + 2 * (1usize << header.k) * 64 + 2 * 128;
        if body.len() != expected {
            return Err(ArtifactError::corrupt(
                path,
                "SRS",
                format!("expected {expected} bytes of points for k = {}, found {}", header.k, body.len()),
            )
            .into());
        }
        if body[..4] != header.k.to_le_bytes() {
            return Err(ArtifactError::corrupt(path, "SRS", "header and body disagree on k").into());
        }
        // Unchecked: the points were validated when the file was made, and rechecking 2^(k+1)
        // points would make loading a large SRS take seconds. The SHA-256 below guards integrity.
        let params = artifact::guarded(path, SRS, || {
            ParamsKZG::read_custom(&mut body.as_slice(), SerdeFormat::RawBytesUnchecked)
        })?;
        Ok(Srs { params, source: header.source, origin: Some(path.to_path_buf()) })
    }
}

/// SHA-256 of a file's bytes, hex-encoded.
pub fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| SrsError::io("read", path, e))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

fn check_k(k: u32) -> Result<()> {
    if (1..=MAX_K).contains(&k) {
        Ok(())
    } else {
        Err(SrsError::KOutOfRange(k))
    }
}
