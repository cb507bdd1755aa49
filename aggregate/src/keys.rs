//! Aggregation keys of one package for aggregates of N proofs, kept beside the package in
//! `PKG_DIR/aggregate-N/`: `setup.json` (the circuit's configuration and break points, the model
//! and app key they were made for), `vk.bin` and `srs.bin` (the aggregation SRS cut to the
//! circuit's k).
//!
//! Nothing in that directory is trusted as written: it sits beside the package, where anyone who
//! hands over the package can put a key of a circuit that verifies nothing. Loading the keys
//! re-derives the verifying key from the aggregation circuit of *this package's* app key (see
//! [`crate::derive`]) with setup.json's configuration, under an SRS bound to the package's
//! ceremony point by point ([`crate::ceremony`]), and refuses a `vk.bin` that is not that key:
//! equal byte for byte outside the commitments, and its commitments those of the circuit's
//! columns (one random linear combination, [`loopx_prover::binding`]; as strong as comparing with
//! a fully re-derived key, without committing every column). `vk.bin` is parsed only once it
//! passed. The
//! configuration itself may come from the file: any configuration of this circuit still verifies
//! this model's app proofs. The proving key (GBs at k ≈ 20) is not kept: it is derived from the
//! same circuit when a chunk is to be proven.

use std::path::{Path, PathBuf};

use halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::G1Affine;
use loopx_prover::{vk_digest, ClaimVerifier, Package};
use loopx_srs::artifact::write_atomically;
use loopx_srs::{Srs, SrsPolicy};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use snark_verifier_sdk::halo2::aggregation::AggregationConfigParams;

use crate::ceremony::{check_powers, check_same_ceremony};
use crate::circuit::AggregateLayout;
use crate::derive;
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

/// Most cells (columns × 2^k) a configuration read from setup.json may ask for: 2^30, eight times
/// the largest circuit the default k gives (N = 64 at k = 25, about eight columns). Key
/// derivation allocates per cell, so an absurd configuration is refused before it is tried.
const MAX_CELLS: u64 = 1 << 30;

/// The aggregation circuit's k for aggregates of `proofs`: `19 + ⌈log2 N⌉`, at least 20 (N = 2
/// → 20, 8 → 22, 32 → 24), which keeps the circuit near seven advice columns and so its on-chain
/// verification cheapest (each advice column costs the verifier ~1.4 kB of code and ~15k gas).
/// A lower `--k` fills more columns and proves in less time and memory — measured with the
/// bundled models on 2 cores, N = 8 at k = 20 (25 advice columns) took 286 s and 12.9 GiB against
/// 598 s and 20.1 GiB at k = 22 — but verifies for 1.30M gas instead of 0.55M, in a verifier
/// over EIP-170 as one contract (split over three: `loopx_verifier_contract::CompiledVerifier`).
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
    /// The aggregation verifying key: the circuit's, `vk.bin` parsed only once checked against it.
    pub vk: VerifyingKey<G1Affine>,
    /// The aggregation SRS (at the circuit's k).
    pub srs: Srs,
}

impl AggregationKeys {
    /// Loads the keys of `package` for aggregates of `proofs`, under an SRS `policy` admits:
    /// made for the package's model and bound app key, the SRS bound to the package's ceremony,
    /// and `vk.bin` equal to the key the aggregation circuit of the package's app key gives with
    /// setup.json's configuration ([`AggregateError::VkMismatch`] otherwise). Checking it lays
    /// the aggregation circuit out and runs one multi-scalar multiplication over its columns
    /// (timings in docs/aggregation.md).
    pub fn load(package: &Package, proofs: usize, policy: SrsPolicy) -> Result<Self> {
        let claims = package.claim_verifier()?;
        Self::load_for(package, &claims, proofs, policy)
    }

    pub(crate) fn load_for(
        package: &Package,
        claims: &ClaimVerifier,
        proofs: usize,
        policy: SrsPolicy,
    ) -> Result<Self> {
        let dir = keys_dir(package, proofs);
        if !dir.join(SETUP_FILE).exists() {
            return Err(AggregateError::NotSetUp { package: package.path().to_path_buf(), proofs });
        }
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
        check_config(&setup.config).map_err(unbound)?;
        let srs_path = dir.join(AGG_SRS_FILE);
        let srs = Srs::load(&srs_path)?;
        policy.admit(&srs)?;
        check_same_ceremony(claims.srs(), &srs)?;
        if srs.k() != setup.config.degree {
            return Err(unbound(format!(
                "the SRS has k = {}, the circuit k = {}",
                srs.k(),
                setup.config.degree
            )));
        }
        check_powers(&srs, &srs_path)?;

        let path = dir.join(AGG_VK_FILE);
        let published = std::fs::read(&path).map_err(|e| AggregateError::io("read", &path, e))?;
        let circuit = derive::keygen_circuit(
            claims,
            &setup.layout,
            setup.config,
            Some(setup.break_points.clone()),
            &srs,
        )?;
        let vk = derive::bound_verifying_key(&circuit, &srs, &published)?.map_err(|reason| {
            AggregateError::VkMismatch {
                path: path.clone(),
                dir: dir.clone(),
                reason: format!("the file (SHA-256 {}): {reason}", sha256(&published)),
            }
        })?;
        drop(circuit);
        let digest = vk_digest(&vk);
        if setup.vk_digest != digest {
            return Err(AggregateError::VkMismatch {
                path: dir.join(SETUP_FILE),
                dir: dir.clone(),
                reason: format!(
                    "it names vk digest {}, the checked {AGG_VK_FILE} has {digest}",
                    setup.vk_digest
                ),
            });
        }
        Ok(AggregationKeys { setup, vk, srs })
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Refuses a configuration no honest keygen makes, before key derivation allocates for it.
fn check_config(config: &AggregationConfigParams) -> Result<(), String> {
    let columns = (config.num_advice + config.num_lookup_advice + config.num_fixed) as u64;
    let fits = K_RANGE.contains(&config.degree)
        && (1..config.degree as usize).contains(&config.lookup_bits)
        && config.num_advice >= 1
        && config.num_fixed >= 1
        && columns.checked_shl(config.degree).is_some_and(|cells| cells <= MAX_CELLS);
    if !fits {
        return Err(format!("setup.json's circuit configuration {config:?} is not one keygen makes"));
    }
    Ok(())
}

fn read_setup(dir: &Path) -> Result<AggregationSetup> {
    let path = dir.join(SETUP_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| AggregateError::io("read", &path, e))?;
    serde_json::from_str(&text).map_err(|e| AggregateError::KeysNotBound {
        path: dir.to_path_buf(),
        reason: format!("{SETUP_FILE} is unreadable: {e}"),
    })
}

/// Makes the aggregation keys for `layout` at `k` with `srs` (cut to k): the circuit over
/// placeholder proofs of the package's app key, laid out, and its keys. Returns the setup, the
/// keys and the cut SRS.
pub(crate) fn keygen(
    package: &Package,
    claims: &ClaimVerifier,
    layout: AggregateLayout,
    k: u32,
    srs: &Srs,
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
    let mut circuit = derive::keygen_circuit(claims, &layout, config, None, &srs)?;
    let config = crate::catch_panic("laying out the aggregation circuit", || {
        Ok(circuit.calculate_params(Some(MINIMUM_ROWS)))
    })?;
    let vk = derive::verifying_key(&circuit, &srs)?;
    let pk = derive::proving_key(&circuit, &srs, vk)?;
    let setup = AggregationSetup {
        format_version: SETUP_FORMAT_VERSION,
        model_id: package.package.model_id.clone(),
        app_vk_digest: claims.vk_digest().to_string(),
        layout,
        config,
        break_points: circuit.break_points(),
        vk_digest: vk_digest(pk.get_vk()),
        dev_srs: srs.is_dev(),
    };
    Ok((setup, pk, srs))
}

/// Writes the verifier side of freshly made keys into [`keys_dir`].
pub(crate) fn save(
    package: &Package,
    setup: &AggregationSetup,
    vk: &VerifyingKey<G1Affine>,
    srs: &Srs,
) -> Result<()> {
    let dir = keys_dir(package, setup.layout.proofs);
    std::fs::create_dir_all(&dir).map_err(|e| AggregateError::io("create", &dir, e))?;
    srs.save(&dir.join(AGG_SRS_FILE))?;
    let path = dir.join(AGG_VK_FILE);
    write_atomically(&path, &vk.to_bytes(SerdeFormat::RawBytes)).map_err(loopx_srs::SrsError::from)?;
    let text =
        serde_json::to_string_pretty(setup).map_err(|e| AggregateError::InvalidInput(e.to_string()))?;
    // setup.json last: its presence says the keys are complete.
    write_atomically(&dir.join(SETUP_FILE), text.as_bytes()).map_err(loopx_srs::SrsError::from)?;
    Ok(())
}

/// Derives the proving key of loaded keys (whose verifying key was re-derived and checked by
/// [`AggregationKeys::load`]) from the same circuit.
pub(crate) fn derive_pk(keys: &AggregationKeys, claims: &ClaimVerifier) -> Result<ProvingKey<G1Affine>> {
    let setup = &keys.setup;
    let circuit = derive::keygen_circuit(
        claims,
        &setup.layout,
        setup.config,
        Some(setup.break_points.clone()),
        &keys.srs,
    )?;
    derive::proving_key(&circuit, &keys.srs, keys.vk.clone())
}
