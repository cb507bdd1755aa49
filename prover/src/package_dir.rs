//! A model package directory as the prover sees it: `model.json` (from `loopx compile`), and
//! after `loopx setup` the keys (`pk.bin`, `vk.bin`) and the SRS they were made with (`srs.bin`).

use std::path::{Path, PathBuf};

use loopx_circuits::{choose_shape, CircuitPlan};
use loopx_models::ModelPackage;

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

    /// How the circuit is laid out (deterministic in the model).
    pub fn plan(&self) -> CircuitPlan {
        choose_shape(&self.package.quantized)
    }

    /// Generates keys with `srs`, then writes them and the SRS (cut to the circuit's k).
    pub fn setup(&self, srs: &Srs) -> Result<ModelKeys> {
        let plan = self.plan();
        let keys = keys::setup(&self.package.quantized, &self.package.model_id, &plan, srs)?;
        keys.save(&self.dir)?;
        srs.downsized(plan.shape.k)?.save(&self.dir.join(SRS_FILE))?;
        Ok(keys)
    }

    /// Loads the proving key, checking it belongs to this package.
    pub fn keys(&self) -> Result<ModelKeys> {
        if !self.dir.join(keys::PK_FILE).exists() {
            return Err(self.not_set_up());
        }
        let keys = ModelKeys::load(&self.dir)?;
        self.check_header(&keys.header)?;
        Ok(keys)
    }

    /// Loads the verifying key, checking it belongs to this package.
    pub fn verifying_key(
        &self,
    ) -> Result<(KeyHeader, halo2_proofs::plonk::VerifyingKey<halo2curves::bn256::G1Affine>)> {
        let path = self.dir.join(keys::VK_FILE);
        if !path.exists() {
            return Err(self.not_set_up());
        }
        let (header, vk) = keys::load_vk(&path)?;
        self.check_header(&header)?;
        Ok((header, vk))
    }

    /// Loads the SRS saved by `setup`.
    pub fn srs(&self) -> Result<Srs> {
        let path = self.dir.join(SRS_FILE);
        if !path.exists() {
            return Err(self.not_set_up());
        }
        Srs::load(&path)
    }

    fn check_header(&self, header: &KeyHeader) -> Result<()> {
        if header.model_id != self.package.model_id {
            return Err(ProverError::ModelMismatch {
                keys: header.model_id.clone(),
                package: self.package.model_id.clone(),
            });
        }
        Ok(())
    }

    fn not_set_up(&self) -> ProverError {
        ProverError::NotSetUp(self.dir.clone())
    }
}
