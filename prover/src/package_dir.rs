//! A model package directory as the prover sees it: `model.json` (from `loopx compile`), and
//! after `loopx setup` the keys (`pk.bin`, `vk.bin`) and the SRS they were made with (`srs.bin`).

use std::path::{Path, PathBuf};

use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::G1Affine;
use loopx_circuits::plan::choose_layout;
use loopx_circuits::CircuitPlan;
use loopx_models::ModelPackage;

use crate::artifact::{self, VERIFYING_KEY};
use crate::claim::ClaimVerifier;
use crate::error::{ProverError, Result};
use crate::keys::{self, KeyHeader, ModelKeys};
use crate::srs::Srs;

/// File name of the SRS kept beside the keys.
pub const SRS_FILE: &str = "srs.bin";

/// A package directory.
#[derive(Clone, Debug)]
pub struct PackageDir {
    dir: PathBuf,
    /// The compiled model.
    pub package: ModelPackage,
}

impl PackageDir {
    /// Opens `dir` and reads its `model.json`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let package = ModelPackage::load(&dir)?;
        Ok(PackageDir { dir, package })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// How the circuit is laid out (deterministic in the model and its layout goal).
    pub fn plan(&self) -> CircuitPlan {
        choose_layout(&self.package.quantized, self.package.layout)
    }

    /// Generates keys with `srs`, then writes them and the SRS (cut to the circuit's k).
    pub fn setup(&self, srs: &Srs) -> Result<ModelKeys> {
        let plan = self.plan();
        let keys = keys::setup(&self.package.quantized, &self.package.model_id, &plan, srs)?;
        keys.save(&self.dir)?;
        srs.downsized(plan.shape.k)?.save(&self.dir.join(SRS_FILE))?;
        Ok(keys)
    }

    /// Loads the proving key, checking it belongs to this package's model (see
    /// [`PackageDir::claim_verifier`]).
    pub fn keys(&self) -> Result<ModelKeys> {
        let path = self.dir.join(keys::PK_FILE);
        if !path.exists() {
            return Err(self.not_set_up());
        }
        let mut keys = ModelKeys::load(&self.dir)?;
        let vk = keys.pk.get_vk().to_bytes(SerdeFormat::RawBytes);
        self.bind(&path, &mut keys.header, &vk)?;
        Ok(keys)
    }

    /// Loads the verifying key and the SRS, checks that the key is the one this model's circuit
    /// gives under that SRS, and returns the verifier every entry point reports claims through.
    pub fn claim_verifier(&self) -> Result<ClaimVerifier> {
        let path = self.dir.join(keys::VK_FILE);
        if !path.exists() {
            return Err(self.not_set_up());
        }
        // The file's key is compared byte for byte with the re-derived one and never handed to
        // halo2's reader: only the key this model's circuit gives is ever used.
        let (mut header, body): (KeyHeader, Vec<u8>) = artifact::read(&path, VERIFYING_KEY)?;
        header.check_version(&path)?;
        let (srs, vk) = self.bind(&path, &mut header, &body)?;
        Ok(ClaimVerifier::new(self.package.clone(), header, vk, srs))
    }

    /// Loads the SRS saved by `setup`.
    pub fn srs(&self) -> Result<Srs> {
        let path = self.dir.join(SRS_FILE);
        if !path.exists() {
            return Err(self.not_set_up());
        }
        Srs::load(&path)
    }

    /// Checks that a key read from `path` belongs to this package: made for its model id, its
    /// plan's shape and instance count, and equal to the key its circuit gives under the
    /// package's SRS. The header is a free field of the file; only the re-derived key binds
    /// (swapping `vk.bin` and `srs.bin` for another package's, header rewritten, is caught here).
    /// The header's dev-SRS flag is replaced by what the SRS's points say. `vk` is the key's
    /// raw bytes. Returns the SRS and the verifying key.
    fn bind(&self, path: &Path, header: &mut KeyHeader, vk: &[u8]) -> Result<(Srs, VerifyingKey<G1Affine>)> {
        let model_id = &self.package.model_id;
        if &header.model_id != model_id {
            return Err(ProverError::ModelMismatch {
                keys: header.model_id.clone(),
                package: model_id.clone(),
            });
        }
        let unbound = |reason: String| ProverError::KeysNotBound {
            path: path.to_path_buf(),
            model_id: model_id.clone(),
            reason,
        };
        let plan = self.plan();
        if header.shape != plan.shape || header.instances != plan.instances {
            return Err(unbound(format!(
                "it was made for circuit shape {:?} with {} instances, the model lays out as {:?} with {}",
                header.shape, header.instances, plan.shape, plan.instances
            )));
        }
        let srs = self.srs()?;
        let expected = keys::verifying_key_for(&self.package.quantized, plan.shape, &srs)?;
        if vk != expected.to_bytes(SerdeFormat::RawBytes).as_slice() {
            return Err(unbound(format!(
                "it differs from the key the model's circuit gives under the package's SRS (digest {})",
                keys::vk_digest(&expected)
            )));
        }
        header.dev_srs = srs.is_dev();
        Ok((srs, expected))
    }

    fn not_set_up(&self) -> ProverError {
        ProverError::NotSetUp(self.dir.clone())
    }
}
