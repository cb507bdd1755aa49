//! Aggregation keys of one package for aggregates of N proofs, kept beside the package in
//! `PKG_DIR/aggregate-N/`: `setup.json` (the circuit's configuration and break points, the model
//! and app key they were made for), `vk.bin` and `srs.bin` (the aggregation SRS cut to the
//! circuit's k). The proving key (hundreds of MB at k ≈ 20) is not kept: it is re-derived from
//! the SRS and the configuration when aggregating, and the re-derived verifying key is checked
//! against `vk.bin`, so a run never proves with keys other than the ones published.

use std::path::{Path, PathBuf};

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_proofs::plonk::{keygen_pk, keygen_vk, ProvingKey, VerifyingKey};
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::G1Affine;
use loopx_prover::{vk_digest, ClaimVerifier, Package};
use loopx_srs::artifact::write_atomically;
use loopx_srs::{Srs, SrsPolicy};
use serde::{Deserialize, Serialize};
use snark_verifier_sdk::halo2::aggregation::{AggregationCircuit, AggregationConfigParams};
use snark_verifier_sdk::Snark;

use crate::circuit::{build, AggregateLayout};
use crate::error::{AggregateError, Result};

/// Format version of `setup.json`.
pub const SETUP_FORMAT_VERSION: u32 = 1;

/// File of the aggregation setup.
pub const SETUP_FILE: &str = "setup.json";
/// File of the aggregation verifying key.
pub const AGG_VK_FILE: &str = "vk.bin";
/// File of the aggregation SRS.
pub const AGG_SRS_FILE: &str = "srs.bin";

/// Rows kept free at the bottom of the aggregation circuit for halo2's blinding factors.
const MINIMUM_ROWS: usize = 20;

/// Smallest and largest aggregation-circuit k accepted (below 18 the lookup table of the range
/// checks no longer fits beside the verifier's rows; above 26 no machine here would keygen).
pub const K_RANGE: std::ops::RangeInclusive<u32> = 18..=26;

/// The aggregation circuit's k for aggregates of `proofs`: about seven advice columns whatever N
/// (one more bit of k per doubling of N). Measured with the bundled models on 2 cores: the
/// circuit of N = 2 fills 7 advice columns at k = 20 and N = 8 fills 25 at k = 20, whose Solidity
/// verifier (48,801 bytes) is twice the EIP-170 limit; each advice column costs the verifier
/// ~1.4 kB of code and gas for its commitment and evaluation, while proving time and memory
/// depend on the cells, not on how they are shaped. So k grows with N, at the price of a larger
/// SRS: `19 + ⌈log2 N⌉` (N = 2 → 20, 8 → 22, 32 → 24), at least 20.
pub fn default_k(proofs: usize) -> u32 {
    let doublings = proofs.max(2).next_power_of_two().trailing_zeros();
    (19 + doublings).clamp(20, *K_RANGE.end())
}

/// What the aggregation circuit for one package and N proofs was set up as.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AggregationSetup {
    /// [`SETUP_FORMAT_VERSION`].
    pub format_version: u32,
    /// The model whose proofs it aggregates.
    pub model_id: String,
    /// Digest of the app verifying key it verifies in-circuit (a constant of the circuit).
    pub app_vk_digest: String,
    /// Proofs per aggregate and instances per proof.
    pub layout: AggregateLayout,
    /// halo2-base configuration (k, columns, lookup bits).
    pub config: AggregationConfigParams,
    /// Where the circuit's virtual rows break across advice columns (fixed at keygen).
    pub break_points: Vec<Vec<usize>>,
    /// Digest of the aggregation verifying key.
    pub vk_digest: String,
    /// Whether the aggregation SRS is an insecure dev SRS.
    pub dev_srs: bool,
}

/// The aggregation keys' directory of `package` for aggregates of `proofs`.
pub fn keys_dir(package: &Package, proofs: usize) -> PathBuf {
    package.path().join(format!("aggregate-{proofs}"))
}

/// A loaded aggregation verifier side: setup, verifying key and SRS.
#[derive(Clone, Debug)]
pub struct AggregationKeys {
    /// The setup.
    pub setup: AggregationSetup,
    /// The aggregation verifying key.
    pub vk: VerifyingKey<G1Affine>,
    /// The aggregation SRS (at the circuit's k).
    pub srs: Srs,
}

impl AggregationKeys {
    /// Loads the keys of `package` for aggregates of `proofs`, checking they were made for the
    /// package's model and bound app keys, under an SRS `policy` admits.
    pub fn load(package: &Package, proofs: usize, policy: SrsPolicy) -> Result<Self> {
        let dir = keys_dir(package, proofs);
        if !dir.join(SETUP_FILE).exists() {
            return Err(AggregateError::NotSetUp { package: package.path().to_path_buf(), proofs });
        }
        let claims = package.claim_verifier()?;
        let setup = read_setup(&dir)?;
        let unbound = |reason: String| AggregateError::KeysNotBound { path: dir.clone(), reason };
        if setup.format_version != SETUP_FORMAT_VERSION {
            return Err(unbound(format!(
                "setup format {} (this build reads {SETUP_FORMAT_VERSION})",
                setup.format_version
            )));
        }
        if setup.model_id != package.package.model_id || setup.app_vk_digest != claims.vk_digest() {
            return Err(unbound(format!(
                "made for model {} (app key {}), the package is model {} (app key {})",
                setup.model_id,
                setup.app_vk_digest,
                package.package.model_id,
                claims.vk_digest()
            )));
        }
        if setup.layout.proofs != proofs || setup.layout.app_instances != claims.header().instances {
            return Err(unbound(format!("made for layout {:?}", setup.layout)));
        }
        let srs = Srs::load(&dir.join(AGG_SRS_FILE))?;
        policy.admit(&srs)?;
        check_same_ceremony(claims.srs(), &srs)?;
        if srs.k() != setup.config.degree {
            return Err(unbound(format!(
                "the SRS has k = {}, the circuit k = {}",
                srs.k(),
                setup.config.degree
            )));
        }
        let path = dir.join(AGG_VK_FILE);
        let bytes = std::fs::read(&path).map_err(|e| AggregateError::io("read", &path, e))?;
        let vk = crate::catch_panic("reading the aggregation verifying key", || {
            VerifyingKey::<G1Affine>::from_bytes::<AggregationCircuit>(
                &bytes,
                SerdeFormat::RawBytes,
                setup.config,
            )
            .map_err(|e| unbound(format!("vk.bin is unreadable: {e}")))
        })?;
        if vk_digest(&vk) != setup.vk_digest {
            return Err(unbound("vk.bin is not the key setup.json names".into()));
        }
        Ok(AggregationKeys { setup, vk, srs })
    }
}

fn read_setup(dir: &Path) -> Result<AggregationSetup> {
    let path = dir.join(SETUP_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| AggregateError::io("read", &path, e))?;
    serde_json::from_str(&text).map_err(|e| AggregateError::KeysNotBound {
        path: dir.to_path_buf(),
        reason: format!("{SETUP_FILE} is unreadable: {e}"),
    })
}

/// Refuses an aggregation SRS from another ceremony than the app SRS: the app proofs' KZG
/// openings are folded into one pairing check against the aggregation SRS's `[s]₂`, so both must
/// share the secret (and the generator).
pub fn check_same_ceremony(app: &Srs, aggregation: &Srs) -> Result<()> {
    use halo2_proofs::poly::commitment::ParamsProver;
    let (a, b) = (app.params(), aggregation.params());
    if a.get_g()[0] != b.get_g()[0] || a.g2() != b.g2() || a.s_g2() != b.s_g2() {
        return Err(AggregateError::SrsMismatch(
            "it is not from the same powers-of-tau ceremony as the package's SRS (its [s]₂ differs); \
             use the same ceremony file at the aggregation k"
                .into(),
        ));
    }
    Ok(())
}

/// The proving side: keys and SRS of the aggregation circuit, ready to aggregate.
pub struct AggregationProver {
    /// Verifier side (setup, vk, SRS).
    pub keys: AggregationKeys,
    /// The aggregation proving key.
    pub pk: ProvingKey<G1Affine>,
    /// The package's claim verifier (app vk and SRS).
    pub claims: ClaimVerifier,
}

impl std::fmt::Debug for AggregationProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregationProver").field("setup", &self.keys.setup).finish_non_exhaustive()
    }
}

/// Derives the aggregation keys for `layout` at `k` from `sample` (N snarks of the package's
/// model; only their shape matters, not their values) with `srs`, cut to k.
pub(crate) fn keygen(
    package: &Package,
    claims: &ClaimVerifier,
    layout: AggregateLayout,
    k: u32,
    srs: &Srs,
    sample: Vec<Snark>,
) -> Result<(AggregationSetup, ProvingKey<G1Affine>, Srs)> {
    if !K_RANGE.contains(&k) {
        return Err(AggregateError::InvalidInput(format!(
            "aggregation k = {k} is outside {}..={}",
            K_RANGE.start(),
            K_RANGE.end()
        )));
    }
    let srs = srs.downsized(k)?;
    check_same_ceremony(claims.srs(), &srs)?;
    let config = AggregationConfigParams { degree: k, lookup_bits: k as usize - 1, ..Default::default() };
    let mut circuit = build(CircuitBuilderStage::Keygen, config, srs.params(), sample, &layout)?;
    let config = crate::catch_panic("laying out the aggregation circuit", || {
        Ok(circuit.calculate_params(Some(MINIMUM_ROWS)))
    })?;
    let (vk, pk) = crate::catch_panic("aggregation key generation", || {
        let vk = keygen_vk(srs.params(), &circuit).map_err(|e| AggregateError::Halo2 {
            stage: "aggregation keygen (vk)",
            message: format!("{e:?}"),
        })?;
        let pk = keygen_pk(srs.params(), vk.clone(), &circuit).map_err(|e| AggregateError::Halo2 {
            stage: "aggregation keygen (pk)",
            message: format!("{e:?}"),
        })?;
        Ok((vk, pk))
    })?;
    let setup = AggregationSetup {
        format_version: SETUP_FORMAT_VERSION,
        model_id: package.package.model_id.clone(),
        app_vk_digest: claims.vk_digest().to_string(),
        layout,
        config,
        break_points: circuit.break_points(),
        vk_digest: vk_digest(&vk),
        dev_srs: srs.is_dev(),
    };
    Ok((setup, pk, srs))
}

/// Writes the verifier side of freshly derived keys into [`keys_dir`].
pub(crate) fn save(
    package: &Package,
    setup: &AggregationSetup,
    pk: &ProvingKey<G1Affine>,
    srs: &Srs,
) -> Result<()> {
    let dir = keys_dir(package, setup.layout.proofs);
    std::fs::create_dir_all(&dir).map_err(|e| AggregateError::io("create", &dir, e))?;
    srs.save(&dir.join(AGG_SRS_FILE))?;
    let vk = pk.get_vk().to_bytes(SerdeFormat::RawBytes);
    let path = dir.join(AGG_VK_FILE);
    write_atomically(&path, &vk).map_err(loopx_srs::SrsError::from)?;
    let text =
        serde_json::to_string_pretty(setup).map_err(|e| AggregateError::InvalidInput(e.to_string()))?;
    // setup.json last: its presence says the keys are complete.
    write_atomically(&dir.join(SETUP_FILE), text.as_bytes()).map_err(loopx_srs::SrsError::from)?;
    Ok(())
}

/// Re-derives the proving key of saved keys from `sample` and checks its verifying key is the
/// published one.
pub(crate) fn rederive_pk(keys: &AggregationKeys, sample: Vec<Snark>) -> Result<ProvingKey<G1Affine>> {
    let setup = &keys.setup;
    let circuit = build(CircuitBuilderStage::Keygen, setup.config, keys.srs.params(), sample, &setup.layout)?
        .use_break_points(setup.break_points.clone());
    crate::catch_panic("aggregation key generation", || {
        let vk = keygen_vk(keys.srs.params(), &circuit).map_err(|e| AggregateError::Halo2 {
            stage: "aggregation keygen (vk)",
            message: format!("{e:?}"),
        })?;
        if vk_digest(&vk) != setup.vk_digest {
            return Err(AggregateError::KeysNotBound {
                path: PathBuf::from(AGG_VK_FILE),
                reason: "the circuit no longer gives the published verifying key (another build of LoopX?)"
                    .into(),
            });
        }
        keygen_pk(keys.srs.params(), vk, &circuit).map_err(|e| AggregateError::Halo2 {
            stage: "aggregation keygen (pk)",
            message: format!("{e:?}"),
        })
    })
}
