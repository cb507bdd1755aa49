//! A model package's verifier contract: generated from the package's bound verifying key and
//! compiled with the pinned solc — one contract, or split over several when it is over EIP-170.
//! [`PackageSolidity`] adds it to the prover's [`Package`] facade.

use std::path::{Path, PathBuf};

use loopx_prover::{ClaimVerifier, Package};
use loopx_srs::artifact::write_atomically;
use loopx_srs::SrsPolicy;

use crate::{generate_verifier, CompiledVerifier, GeneratedVerifier, VerifierError, VERIFIER_ABI_JSON};

/// A package's verifier: source, layout and compiled code.
#[derive(Clone, Debug)]
pub struct PackageVerifier {
    /// The generated Solidity and its metadata.
    pub generated: GeneratedVerifier,
    /// The compiled contracts: the verifier, and the parts it calls when it is over EIP-170 as
    /// one contract (see [`CompiledVerifier`]).
    pub compiled: CompiledVerifier,
}

impl PackageVerifier {
    /// Runtime code of all its contracts together.
    pub fn deployed_size(&self) -> usize {
        self.compiled.total_size()
    }
}

/// The Solidity side of the [`Package`] facade, kept out of `loopx-prover` so the proving core
/// builds without the EVM stack.
pub trait PackageSolidity {
    /// The package's verifier, if `policy` admits the package's SRS; with the bound keys it was
    /// generated from.
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
        let verifier = package_verifier_for(&claims)?;
        Ok((claims, verifier))
    }

    fn solidity(&self, path: &Path, policy: SrsPolicy) -> Result<SolidityFiles, VerifierError> {
        let (claims, verifier) = self.verifier(policy)?;
        let abi = verifier.write_solidity(path, claims.dev_srs())?;
        Ok(SolidityFiles { verifier, abi, dev_srs: claims.dev_srs() })
    }
}

/// The verifier of the package in `dir`.
pub fn package_verifier(dir: &Package) -> Result<PackageVerifier, VerifierError> {
    package_verifier_for(&dir.claim_verifier()?)
}

/// The verifier of a package whose bound keys `claims` holds.
pub fn package_verifier_for(claims: &ClaimVerifier) -> Result<PackageVerifier, VerifierError> {
    let generated = generate_verifier(claims.srs().params(), claims.vk(), claims.header().instances)?;
    if generated.vk_digest != claims.vk_digest() {
        return Err(VerifierError::Generation(format!(
            "the generated verifier pins vk digest {} but the package's key digest is {}",
            generated.vk_digest,
            claims.vk_digest()
        )));
    }
    // Compiled afresh on every call (about a second per contract): a compiled copy kept in the
    // package directory would be deployed as written, and whoever hands over a package controls
    // that directory.
    let compiled = generated.compile_deployable()?;
    Ok(PackageVerifier { generated, compiled })
}

impl PackageVerifier {
    /// Writes `Verifier.sol` to `path` and its ABI beside it (`*.abi.json`). A verifier for keys
    /// made from a dev SRS opens with a warning comment, so nobody deploys one by mistake.
    pub fn write_solidity(&self, path: &Path, dev_srs: bool) -> Result<std::path::PathBuf, VerifierError> {
        let warning = "// WARNING: generated from keys made with an INSECURE dev SRS (its toxic waste is public).\n// Anyone can forge proofs this verifier accepts. For testing only: never deploy it.\n";
        let source = if dev_srs {
            format!("{warning}{}", self.compiled.solidity)
        } else {
            self.compiled.solidity.clone()
        };
        write_atomically(path, source.as_bytes())?;
        let abi = path.with_extension("abi.json");
        write_atomically(&abi, VERIFIER_ABI_JSON.as_bytes())?;
        Ok(abi)
    }
}
