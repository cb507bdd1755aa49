//! Key generation for a quantized model and the key files beside a model package.

use std::path::Path;

use halo2_proofs::plonk::{keygen_pk, keygen_vk_custom, ProvingKey, VerifyingKey};
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::G1Affine;
use loopx_circuits::{CircuitPlan, CircuitShape, ModelCircuit};
use loopx_models::QuantizedModel;
use serde::{Deserialize, Serialize};

use loopx_srs::artifact::{self, ArtifactKind};
use loopx_srs::Srs;

use crate::binding::{bind_verifying_key as bind_verifying_key_of, BindingError};
use crate::error::{ProverError, Result};

/// Proving key files.
pub const PROVING_KEY: ArtifactKind = ArtifactKind { magic: b"LOOPX-PK", name: "proving key" };
/// Verifying key files.
pub const VERIFYING_KEY: ArtifactKind = ArtifactKind { magic: b"LOOPX-VK", name: "verifying key" };

/// What a key file says about the keys inside.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyHeader {
    /// The model the keys were made for.
    pub model_id: String,
    /// The circuit shape (fixes the columns).
    pub shape: CircuitShape,
    /// Whether the SRS was an insecure dev SRS.
    pub dev_srs: bool,
    /// Number of public instance values.
    pub instances: usize,
    /// [`loopx_circuits::CIRCUIT_VERSION`] of the build that made the keys (0: before versions).
    #[serde(default)]
    pub circuit_version: u32,
}

impl KeyHeader {
    /// Refuses keys made for other gates than this build's.
    pub(crate) fn check_version(&self, path: &Path) -> Result<()> {
        if self.circuit_version == loopx_circuits::CIRCUIT_VERSION {
            return Ok(());
        }
        Err(ProverError::StaleKeys {
            path: path.to_path_buf(),
            found: self.circuit_version,
            current: loopx_circuits::CIRCUIT_VERSION,
        })
    }

    /// Refuses keys made for another model than `model_id`: the one place a key's model is
    /// compared with a package's.
    pub fn check_model(&self, model_id: &str) -> Result<()> {
        if self.model_id == model_id {
            return Ok(());
        }
        Err(ProverError::ModelMismatch { keys: self.model_id.clone(), package: model_id.to_string() })
    }
}

/// Proving and verifying keys of one model.
#[derive(Clone, Debug)]
pub struct ModelKeys {
    /// What the keys are for.
    pub header: KeyHeader,
    /// The proving key (contains the verifying key).
    pub pk: ProvingKey<G1Affine>,
}

/// Generates the keys of `model` laid out as `plan` says.
pub fn setup(model: &QuantizedModel, model_id: &str, plan: &CircuitPlan, srs: &Srs) -> Result<ModelKeys> {
    let shape = plan.shape;
    let srs = srs.downsized(shape.k)?;
    let circuit = ModelCircuit::for_keygen(model.clone(), shape);
    let vk = circuit_verifying_key(&circuit, &srs)?;
    let pk = keygen_pk(srs.params(), vk, &circuit)
        .map_err(|e| ProverError::Halo2 { stage: "proving key generation", message: format!("{e:?}") })?;
    let header = KeyHeader {
        model_id: model_id.to_string(),
        shape,
        dev_srs: srs.is_dev(),
        instances: plan.instances,
        circuit_version: loopx_circuits::CIRCUIT_VERSION,
    };
    Ok(ModelKeys { header, pk })
}

/// The verifying key of `model` laid out with `shape`, under `srs` (cut to the shape's k).
/// Deterministic: the same model, shape and SRS give the same key, which is how a package's
/// stored key is checked to belong to its model.
pub fn verifying_key_for(
    model: &QuantizedModel,
    shape: CircuitShape,
    srs: &Srs,
) -> Result<VerifyingKey<G1Affine>> {
    let srs = srs.downsized(shape.k)?;
    circuit_verifying_key(&ModelCircuit::for_keygen(model.clone(), shape), &srs)
}

/// The verifying key in `stored` (a key file's body) if it is the key of `model` laid out with
/// `shape` under `srs`; see [`crate::binding`] for how that is checked without re-deriving it.
pub fn bind_verifying_key(
    model: &QuantizedModel,
    shape: CircuitShape,
    srs: &Srs,
    stored: &[u8],
) -> std::result::Result<VerifyingKey<G1Affine>, BindingError> {
    let srs = srs.downsized(shape.k).map_err(|e| BindingError::Keygen(e.to_string()))?;
    bind_verifying_key_of(
        srs.params(),
        &ModelCircuit::for_keygen(model.clone(), shape),
        COMPRESS_SELECTORS,
        stored,
    )
}

/// Selector compression folds the chips' selectors into a few fixed columns: each fixed column
/// costs the on-chain verifier a commitment and an evaluation.
const COMPRESS_SELECTORS: bool = true;

fn circuit_verifying_key(circuit: &ModelCircuit, srs: &Srs) -> Result<VerifyingKey<G1Affine>> {
    keygen_vk_custom(srs.params(), circuit, COMPRESS_SELECTORS)
        .map_err(|e| ProverError::Halo2 { stage: "verifying key generation", message: format!("{e:?}") })
}

/// The verifying key's digest: the first value the Fiat–Shamir transcript absorbs (halo2's
/// transcript representation of the key), `0x` + 64 hex digits. The generated Solidity verifier
/// hard-codes the same value, so a consumer can pin model id → vk digest.
pub fn vk_digest(vk: &VerifyingKey<G1Affine>) -> String {
    crate::proof::fr_to_hex(&vk.transcript_repr())
}

impl ModelKeys {
    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        self.pk.get_vk()
    }

    /// Writes `pk.bin` and `vk.bin` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let pk = self.pk.to_bytes(SerdeFormat::RawBytes);
        artifact::write(&dir.join(PK_FILE), PROVING_KEY, &self.header, &pk)?;
        save_vk(&dir.join(VK_FILE), &self.header, self.vk())
    }

    /// Reads `pk.bin` from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(PK_FILE);
        let bytes = std::fs::read(&path).map_err(|e| artifact::ArtifactError::io("read", &path, e))?;
        Self::from_bytes(&path, bytes)
    }

    /// Parses the bytes of a proving key file as [`ModelKeys::load`] does; `path` names it in
    /// errors.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Self> {
        let (header, body): (KeyHeader, Vec<u8>) = artifact::parse(path, PROVING_KEY, bytes)?;
        header.check_version(path)?;
        let pk = artifact::guarded(path, PROVING_KEY, || {
            ProvingKey::from_bytes::<ModelCircuit>(&body, SerdeFormat::RawBytes, header.shape)
        })?;
        Ok(ModelKeys { header, pk })
    }
}

/// File name of the proving key inside a package.
pub const PK_FILE: &str = "pk.bin";
/// File name of the verifying key inside a package.
pub const VK_FILE: &str = "vk.bin";

/// Writes a verifying key file.
pub fn save_vk(path: &Path, header: &KeyHeader, vk: &VerifyingKey<G1Affine>) -> Result<()> {
    Ok(artifact::write(path, VERIFYING_KEY, header, &vk.to_bytes(SerdeFormat::RawBytes))?)
}

/// Reads a verifying key file.
pub fn load_vk(path: &Path) -> Result<(KeyHeader, VerifyingKey<G1Affine>)> {
    let (header, body): (KeyHeader, Vec<u8>) = artifact::read(path, VERIFYING_KEY)?;
    header.check_version(path)?;
    let vk = artifact::guarded(path, VERIFYING_KEY, || {
        VerifyingKey::from_bytes::<ModelCircuit>(&body, SerdeFormat::RawBytes, header.shape)
    })?;
    Ok((header, vk))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_another_circuit_version_are_refused_before_parsing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let header = |circuit_version| KeyHeader {
            model_id: "0x00".into(),
            shape: CircuitShape::default(),
            dev_srs: true,
            instances: 3,
            circuit_version,
        };
        for (version, file) in [(0, VK_FILE), (loopx_circuits::CIRCUIT_VERSION + 1, PK_FILE)] {
            let path = dir.path().join(file);
            let kind = if file == VK_FILE { VERIFYING_KEY } else { PROVING_KEY };
            artifact::write(&path, kind, &header(version), b"not halo2 key bytes").expect("written");
            let err = if file == VK_FILE {
                load_vk(&path).map(|_| ()).expect_err("stale verifying key accepted")
            } else {
                ModelKeys::load(dir.path()).map(|_| ()).expect_err("stale proving key accepted")
            };
            assert!(matches!(err, ProverError::StaleKeys { found, .. } if found == version), "{file}: {err}");
            assert!(err.to_string().contains("run `loopx setup`"), "{err}");
        }
    }
}
