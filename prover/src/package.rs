//! A model package directory, and the facade every front end (the CLI, the batch prover, the
//! browser build) drives a model through: [`Package::compile`] writes `model.json` (and keeps the
//! ONNX source beside it), [`Package::setup`] the keys (`pk.bin`, `vk.bin`) and the SRS they were
//! made with (`srs.bin`); [`Package::prover`] and [`Package::verify`] prove and verify under an
//! [`SrsPolicy`]. The Solidity verifier is added by `loopx-verifier-contract`'s extension trait,
//! so this crate stays free of the EVM stack. A front end without a file system (the browser)
//! opens the same package from the bytes of its files with [`Package::from_files`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::G1Affine;
use loopx_circuits::plan::choose_layout;
use loopx_circuits::CircuitPlan;
#[cfg(feature = "onnx")]
use loopx_models::{compile_files, QuantizationReport};
use loopx_models::{LayoutGoal, ModelPackage, OutputRequest};
use loopx_srs::{artifact, Srs, SrsPolicy};

use crate::claim::{Claim, ClaimVerifier};
use crate::error::{ProverError, Result};
use crate::keys::{self, KeyHeader, ModelKeys, VERIFYING_KEY};
use crate::proof::{prove_with_transcript, ProofRequest, TranscriptKind};
use crate::proof_file::ProofFile;

/// File name of the SRS kept beside the keys.
pub const SRS_FILE: &str = "srs.bin";

/// File name of the ONNX model a package was compiled from (`loopx eval` compares with it).
pub const SOURCE_ONNX_FILE: &str = "source.onnx";

/// What [`Package::compile`] needs besides the ONNX model and the calibration rows.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// The feature schema (TOML or JSON), if any.
    pub schema: Option<PathBuf>,
    /// What the proof reveals.
    pub output: OutputRequest,
    /// The model's name in the package.
    pub name: String,
    /// What the circuit's layout optimises for.
    pub layout: LayoutGoal,
}

/// The files of a package as bytes, for a front end that fetched them rather than read a
/// directory (what `loopx setup` wrote: `model.json`, `srs.bin`, and `pk.bin` to prove or
/// `vk.bin` to verify).
#[derive(Clone, Debug, Default)]
pub struct PackageFiles {
    /// The text of `model.json`.
    pub model: String,
    /// `pk.bin`, if the package is opened for proving.
    pub pk: Option<Vec<u8>>,
    /// `vk.bin`, if the package is opened for verification.
    pub vk: Option<Vec<u8>>,
    /// `srs.bin`.
    pub srs: Option<Vec<u8>>,
}

/// A model package directory.
#[derive(Clone, Debug)]
pub struct Package {
    dir: PathBuf,
    /// The key and SRS files' bytes when the package was opened from them, not from `dir`.
    files: Option<Arc<PackageFiles>>,
    /// The compiled model.
    pub package: ModelPackage,
}

impl Package {
    /// Opens `dir` and reads its `model.json`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let package = ModelPackage::load(&dir)?;
        Ok(Package { dir, files: None, package })
    }

    /// Opens a package from the bytes of its files; `name` stands for its directory in errors
    /// (e.g. the URL it was fetched from). Checks are the same as for a directory: the model is
    /// re-validated and keys are bound to it when they are loaded.
    pub fn from_files(name: &str, files: PackageFiles) -> Result<Self> {
        let dir = PathBuf::from(name);
        let package = ModelPackage::from_json_str(&files.model)?;
        Ok(Package { dir, files: Some(Arc::new(files)), package })
    }

    #[cfg(feature = "onnx")]
    /// Imports the ONNX model at `onnx`, quantizes it with the rows of `calibration`, and writes
    /// the package into `dir` with a copy of the ONNX source.
    pub fn compile(
        onnx: &Path,
        calibration: &Path,
        options: &CompileOptions,
        dir: impl AsRef<Path>,
    ) -> Result<(Self, QuantizationReport)> {
        let dir = dir.as_ref().to_path_buf();
        let (mut package, report) =
            compile_files(onnx, calibration, options.schema.as_deref(), &options.output, &options.name)?;
        package.layout = options.layout;
        package.save(&dir)?;
        let source = dir.join(SOURCE_ONNX_FILE);
        std::fs::copy(onnx, &source).map_err(|e| ProverError::io("copy the model to", &source, e))?;
        Ok((Package { dir, files: None, package }, report))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// How the circuit is laid out (deterministic in the model and its layout goal).
    pub fn plan(&self) -> CircuitPlan {
        choose_layout(&self.package.quantized, self.package.layout)
    }

    /// The file `model.json` was written to.
    pub fn model_file(&self) -> PathBuf {
        self.dir.join(loopx_models::PACKAGE_FILE)
    }

    /// Generates keys with `srs` if `policy` admits it, then writes them and the SRS (cut to the
    /// circuit's k).
    pub fn setup(&self, srs: &Srs, policy: SrsPolicy) -> Result<ModelKeys> {
        policy.admit(srs)?;
        let plan = self.plan();
        let keys = keys::setup(&self.package.quantized, &self.package.model_id, &plan, srs)?;
        keys.save(&self.dir)?;
        srs.downsized(plan.shape.k)?.save(&self.dir.join(SRS_FILE))?;
        Ok(keys)
    }

    /// Loads the proving key and the SRS for proving, if `policy` admits the SRS.
    pub fn prover(&self, policy: SrsPolicy) -> Result<PackageProver> {
        let srs = self.srs()?;
        policy.admit(&srs)?;
        PackageProver::new(self.package.clone(), self.keys()?, srs)
    }

    /// Proves `request` (loading the keys for this one proof; see [`Package::prover`] for many).
    pub fn prove(&self, request: &ProofRequest<'_>, policy: SrsPolicy) -> Result<ProofFile> {
        self.prover(policy)?.prove(request)
    }

    /// Verifies a proof file natively under this package's bound keys, if `policy` admits their
    /// SRS, and returns what it proves.
    pub fn verify(&self, file: &ProofFile, policy: SrsPolicy) -> Result<Claim> {
        let claims = self.claim_verifier()?;
        policy.admit(claims.srs())?;
        claims.verify(file)
    }

    /// Loads the proving key, checking it belongs to this package's model (see
    /// [`Package::claim_verifier`]).
    pub fn keys(&self) -> Result<ModelKeys> {
        let path = self.dir.join(keys::PK_FILE);
        let bytes = self.read(keys::PK_FILE)?;
        let (parsed, plan) = both(|| ModelKeys::from_bytes(&path, bytes), || self.plan());
        let mut keys = parsed?;
        let vk = keys.pk.get_vk().to_bytes(SerdeFormat::RawBytes);
        self.bind(&plan, &path, &mut keys.header, &vk)?;
        Ok(keys)
    }

    /// Loads the verifying key and the SRS, checks that the key is the one this model's circuit
    /// gives under that SRS, and returns the verifier every entry point reports claims through.
    pub fn claim_verifier(&self) -> Result<ClaimVerifier> {
        let path = self.dir.join(keys::VK_FILE);
        // The file's key is checked against this model's circuit before halo2's reader sees it
        // (`crate::binding`): only the key this model's circuit gives is ever used.
        let (mut header, body): (KeyHeader, Vec<u8>) =
            artifact::parse(&path, VERIFYING_KEY, self.read(keys::VK_FILE)?)?;
        header.check_version(&path)?;
        let (srs, vk) = self.bind(&self.plan(), &path, &mut header, &body)?;
        Ok(ClaimVerifier::new(self.package.clone(), header, vk, srs))
    }

    /// Loads the SRS saved by `setup`.
    pub fn srs(&self) -> Result<Srs> {
        Ok(Srs::from_bytes(&self.dir.join(SRS_FILE), self.read(SRS_FILE)?)?)
    }

    /// The bytes of the package's file `name` (`pk.bin`, `vk.bin` or `srs.bin`), from the
    /// directory or from the bytes the package was opened with; [`ProverError::NotSetUp`] when
    /// it is absent.
    fn read(&self, name: &str) -> Result<Vec<u8>> {
        if let Some(files) = &self.files {
            let bytes = match name {
                keys::PK_FILE => &files.pk,
                keys::VK_FILE => &files.vk,
                _ => &files.srs,
            };
            return bytes.clone().ok_or_else(|| self.not_set_up());
        }
        let path = self.dir.join(name);
        if !path.exists() {
            return Err(self.not_set_up());
        }
        std::fs::read(&path).map_err(|e| ProverError::io("read", &path, e))
    }

    /// Checks that a key read from `path` belongs to this package: made for its model id, its
    /// plan's shape and instance count, and equal to the key its circuit gives under the
    /// package's SRS (checked by [`keys::bind_verifying_key`]: the layout byte for byte, the
    /// commitments by one random linear combination). The header is a free field of the file;
    /// only that check binds
    /// (swapping `vk.bin` and `srs.bin` for another package's, header rewritten, is caught here).
    /// The header's dev-SRS flag is replaced by what the SRS's points say. `vk` is the key's
    /// raw bytes. Returns the SRS and the verifying key.
    fn bind(
        &self,
        plan: &CircuitPlan,
        path: &Path,
        header: &mut KeyHeader,
        vk: &[u8],
    ) -> Result<(Srs, VerifyingKey<G1Affine>)> {
        let model_id = &self.package.model_id;
        header.check_model(model_id)?;
        let unbound = |reason: String| ProverError::KeysNotBound {
            path: path.to_path_buf(),
            model_id: model_id.clone(),
            reason,
        };
        if header.shape != plan.shape || header.instances != plan.instances {
            return Err(unbound(format!(
                "it was made for circuit shape {:?} with {} instances, the model lays out as {:?} with {}",
                header.shape, header.instances, plan.shape, plan.instances
            )));
        }
        let srs = self.srs()?;
        let bound = keys::bind_verifying_key(&self.package.quantized, plan.shape, &srs, vk)
            .map_err(|e| unbound(format!("under the package's SRS, {e}")))?;
        header.dev_srs = srs.is_dev();
        Ok((srs, bound))
    }

    fn not_set_up(&self) -> ProverError {
        ProverError::NotSetUp(self.dir.clone())
    }
}

/// Runs `a` and `b`, on two threads where the build has them: parsing a proving key and laying
/// the model out are independent, and each is a good part of a small proof's wall time.
fn both<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    #[cfg(all(feature = "multicore", not(target_arch = "wasm32")))]
    return std::thread::scope(|scope| {
        let a = scope.spawn(a);
        let b = b();
        (a.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), b)
    });
    #[cfg(not(all(feature = "multicore", not(target_arch = "wasm32"))))]
    (a(), b())
}

/// One model's proving key and SRS, loaded once and checked to belong together: what
/// `loopx prove` proves with, and what the batch prover shares among its workers.
#[derive(Debug)]
pub struct PackageProver {
    package: ModelPackage,
    keys: ModelKeys,
    srs: Srs,
}

impl PackageProver {
    /// A prover from parts: refused unless the keys were made for `package`'s model and `srs` is
    /// large enough for their circuit.
    pub fn new(package: ModelPackage, keys: ModelKeys, srs: Srs) -> Result<Self> {
        keys.header.check_model(&package.model_id)?;
        // Cut the SRS to the circuit once here, not in every proof.
        let srs = srs.into_downsized(keys.header.shape.k)?;
        Ok(PackageProver { package, keys, srs })
    }

    /// The model package.
    pub fn package(&self) -> &ModelPackage {
        &self.package
    }

    /// The keys.
    pub fn keys(&self) -> &ModelKeys {
        &self.keys
    }

    /// Proves `request` and describes the proof as a proof file (with its proving time).
    pub fn prove(&self, request: &ProofRequest<'_>) -> Result<ProofFile> {
        self.prove_with_transcript(request, TranscriptKind::Evm)
    }

    /// [`PackageProver::prove`] with the given transcript ([`TranscriptKind::Poseidon`] for
    /// proofs that `loopx aggregate` will aggregate).
    pub fn prove_with_transcript(
        &self,
        request: &ProofRequest<'_>,
        transcript: TranscriptKind,
    ) -> Result<ProofFile> {
        // `web_time` is `std::time` natively and `performance.now()` in a browser, where
        // `std::time::Instant` panics.
        let start = web_time::Instant::now();
        let proof =
            prove_with_transcript(&self.package.quantized, &self.keys, &self.srs, request, transcript)?;
        let seconds = start.elapsed().as_secs_f64();
        Ok(ProofFile::new(&self.package, &self.keys.header, &proof, &request.wallet, request.salt, seconds))
    }
}
