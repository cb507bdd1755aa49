//! A model package's verifier contract: generated from the package's verifying key, compiled
//! with the pinned solc, and cached under `PKG_DIR/verifier/` keyed by the verifying key's
//! digest, so `loopx evm` and `loopx deploy` do not recompile on every call. [`PackageSolidity`]
//! adds it to the prover's [`Package`] facade.

use std::path::{Path, PathBuf};

use loopx_prover::{ClaimVerifier, Package};
use loopx_srs::artifact::write_atomically;
use loopx_srs::SrsPolicy;
use serde::{Deserialize, Serialize};

use crate::{generate_verifier, CompiledContract, GeneratedVerifier, VerifierError, VERIFIER_ABI_JSON};

/// Folder inside a package that holds the generated verifier.
pub const VERIFIER_DIR: &str = "verifier";

/// A package's verifier: source, layout and compiled code.
#[derive(Clone, Debug)]
pub struct PackageVerifier {
    /// The generated Solidity and its metadata.
    pub generated: GeneratedVerifier,
    /// Creation code (what a deployment carries).
    pub creation_code: Vec<u8>,
    /// Size of the runtime code (EIP-170 applies to it).
    pub deployed_size: usize,
}

#[derive(Serialize, Deserialize)]
struct Cached {
    generated: GeneratedVerifier,
    creation_code: String,
    deployed_size: usize,
}

/// The Solidity side of the [`Package`] facade, kept out of `loopx-prover` so the proving core
/// builds without the EVM stack.
pub trait PackageSolidity {
    /// The package's verifier, from the cache when it matches the verifying key, if `policy`
    /// admits the package's SRS; with the bound keys it was generated from.
    fn verifier(&self, policy: SrsPolicy) -> Result<(ClaimVerifier, PackageVerifier), VerifierError>;

    /// Writes the package's Solidity verifier to `path` and its ABI beside it.
    fn solidity(&self, path: &Path, policy: SrsPolicy) -> Result<SolidityFiles, VerifierError>;
}

/// What [`PackageSolidity::solidity`] wrote.
#[derive(Clone, Debug)]
pub struct SolidityFiles {
    /// The verifier.
    pub verifier: PackageVerifier,
    /// The ABI file beside the source.
    pub abi: PathBuf,
    /// Whether the keys come from an insecure dev SRS (the source then opens with a warning).
    pub dev_srs: bool,
}

impl PackageSolidity for Package {
    fn verifier(&self, policy: SrsPolicy) -> Result<(ClaimVerifier, PackageVerifier), VerifierError> {
        let claims = self.claim_verifier()?;
        policy.admit(claims.srs()).map_err(loopx_prover::ProverError::from)?;
        let verifier = package_verifier_for(self, &claims)?;
        Ok((claims, verifier))
    }

    fn solidity(&self, path: &Path, policy: SrsPolicy) -> Result<SolidityFiles, VerifierError> {
        let (claims, verifier) = self.verifier(policy)?;
        let abi = verifier.write_solidity(path, claims.dev_srs())?;
        Ok(SolidityFiles { verifier, abi, dev_srs: claims.dev_srs() })
    }
}

/// The verifier of the package in `dir`, from the cache when it matches the verifying key.
pub fn package_verifier(dir: &Package) -> Result<PackageVerifier, VerifierError> {
    package_verifier_for(dir, &dir.claim_verifier()?)
}

/// The verifier of the package in `dir` whose bound keys `claims` already holds.
pub fn package_verifier_for(dir: &Package, claims: &ClaimVerifier) -> Result<PackageVerifier, VerifierError> {
    let generated = generate_verifier(claims.srs().params(), claims.vk(), claims.header().instances)?;
    if generated.vk_digest != claims.vk_digest() {
        return Err(VerifierError::Generation(format!(
            "the generated verifier pins vk digest {} but the package's key digest is {}",
            generated.vk_digest,
            claims.vk_digest()
        )));
    }
    let cache_dir = dir.path().join(VERIFIER_DIR);
    let cache_file = cache_dir.join("verifier.json");
    if let Some(cached) = read_cache(&cache_file).filter(|c| c.generated.solidity == generated.solidity) {
        let creation_code =
            hex::decode(&cached.creation_code).map_err(|e| VerifierError::InvalidInput(e.to_string()))?;
        return Ok(PackageVerifier { generated, creation_code, deployed_size: cached.deployed_size });
    }
    let compiled: CompiledContract = generated.compile()?;
    std::fs::create_dir_all(&cache_dir)
        .map_err(|e| VerifierError::io(format!("creating {}", cache_dir.display()), e))?;
    let cached = Cached {
        generated: generated.clone(),
        creation_code: hex::encode(&compiled.bytecode),
        deployed_size: compiled.deployed_size(),
    };
    let text = serde_json::to_vec(&cached).map_err(|e| VerifierError::InvalidInput(e.to_string()))?;
    write_atomically(&cache_file, &text)?;
    let deployed_size = compiled.deployed_size();
    Ok(PackageVerifier { generated, creation_code: compiled.bytecode, deployed_size })
}

fn read_cache(path: &Path) -> Option<Cached> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

impl PackageVerifier {
    /// Writes `Verifier.sol` to `path` and its ABI beside it (`*.abi.json`). A verifier for keys
    /// made from a dev SRS opens with a warning comment, so nobody deploys one by mistake.
    pub fn write_solidity(&self, path: &Path, dev_srs: bool) -> Result<std::path::PathBuf, VerifierError> {
        let warning = "// WARNING: generated from keys made with an INSECURE dev SRS (its toxic waste is public).\n// Anyone can forge proofs this verifier accepts. For testing only: never deploy it.\n";
        let source = if dev_srs {
            format!("{warning}{}", self.generated.solidity)
        } else {
            self.generated.solidity.clone()
        };
        write_atomically(path, source.as_bytes())?;
        let abi = path.with_extension("abi.json");
        write_atomically(&abi, VERIFIER_ABI_JSON.as_bytes())?;
        Ok(abi)
    }
}
