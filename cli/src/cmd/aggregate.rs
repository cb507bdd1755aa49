//! `loopx aggregate` (many app proofs → EVM-verifiable aggregates of up to N, resumable) and the
//! aggregate side of `loopx solidity --aggregate N` and `loopx evm`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use loopx_aggregate::{
    aggregate_all, read_proofs, AggregateFile, AggregateVerifier, AggregationProver, ChunkOutcome,
    CoveredClaim,
};
use loopx_prover::Package;
use loopx_srs::{Srs, SrsPolicy};
use loopx_verifier_contract::{
    generate_aggregate_verifier, measure_submit_batch, CompiledVerifier, GeneratedVerifier, VERIFIER_ABI_JSON,
};
use serde_json::json;

use crate::cmd::batch::Progress;
use crate::cmd::evm::{contracts_json, contracts_line, deploy_order, DEV_SRS_DEPLOY_WARNING};
use crate::report::Reporter;

/// Arguments of `loopx aggregate`.
#[derive(Debug, Args)]
pub struct AggregateArgs {
    /// The package directory (after `loopx setup`).
    pub package: PathBuf,
    /// The proofs (`loopx batch --for-aggregation -o DIR`).
    pub proofs: PathBuf,
    /// Directory for the aggregates (`aggregate-00000.json`, …) and `manifest.jsonl`. Chunks whose
    /// aggregate is already there are skipped, so rerunning resumes a stopped run.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Proofs per aggregate (fewer if the directory holds fewer proofs).
    #[arg(long = "max", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max: u32,
    /// Powers-of-tau SRS (`loopx srs import-ptau`) of the package's ceremony, at least 2^k, for
    /// the aggregation keys when the package has none for this N yet.
    #[arg(long)]
    pub srs: Option<PathBuf>,
    /// Accept an insecure dev SRS (tests, demos) — for the aggregation keys and the package's
    /// own; without `--srs`, generate one at k when the keys are made.
    #[arg(long)]
    pub dev_srs: bool,
    /// k of the aggregation circuit when its keys are made [default: 19 + ⌈log2 N⌉, at least 20:
    /// 20 for N = 2, 22 for N = 8, 24 for N = 32 — about seven advice columns, the cheapest
    /// verification on chain]. A lower k proves faster in less memory (N = 8 at k = 20: 13 GB
    /// instead of 20) for more gas; a verifier over the EIP-170 size limit is split over several
    /// contracts.
    #[arg(long)]
    pub k: Option<u32>,
}

/// Runs `loopx aggregate`.
pub fn run_aggregate(args: AggregateArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    let policy = SrsPolicy::allowing_dev(args.dev_srs);
    let (proofs, _) = out
        .step("Reading the proofs", || read_proofs(&args.proofs, &dir.package.model_id))
        .with_context(|| format!("reading the proofs in {}", args.proofs.display()))?;
    if proofs.is_empty() {
        bail!("{} holds no proofs; make them with `loopx batch --for-aggregation`", args.proofs.display());
    }
    let n = (args.max as usize).min(proofs.len());
    let k = args.k.unwrap_or_else(|| loopx_aggregate::default_k(n));
    let srs = match (&args.srs, args.dev_srs) {
        (Some(path), _) => Some(Srs::load(path).with_context(|| format!("loading {}", path.display()))?),
        (None, true)
            if !loopx_aggregate::keys_dir(&dir, n).join(loopx_aggregate::keys::SETUP_FILE).exists() =>
        {
            Some(out.step(&format!("Generating the dev SRS (k = {k})"), || Srs::dev(k))?.0)
        }
        _ => None,
    };
    let (prover, _) = out
        .step("Loading and checking, or making, the aggregation keys", || {
            AggregationProver::open(&dir, n, srs.as_ref().map(|s| (s, k)), policy)
        })
        .context("preparing the aggregation keys")?;
    let chunks = proofs.len().div_ceil(n);
    let mut progress = Progress::new(chunks as u64, "aggregates");
    let summary = aggregate_all(&prover, &proofs, &args.out, |chunk: &ChunkOutcome| {
        if chunk.skipped {
            progress.skip();
        } else {
            progress.advance("aggregated");
        }
    })
    .with_context(|| format!("aggregating into {}", args.out.display()))?;
    progress.finish();
    let setup = &prover.keys.setup;
    let mut value = serde_json::to_value(&summary)?;
    value["aggregates"] = json!(chunks);
    value["k"] = json!(setup.config.degree);
    value["vk_digest"] = json!(setup.vk_digest);
    value["dev_srs"] = json!(prover.keys.srs.is_dev());
    // Every process starts without the proving key: holding one now means this run derived it.
    value["proving_key_derived"] = json!(prover.has_proving_key());
    value["out"] = json!(args.out);
    out.finish(&value, || {
        vec![
            format!(
                "{} proofs → {chunks} aggregates of up to {n}: aggregated {}, skipped {} (already there)",
                summary.proofs, summary.aggregated, summary.skipped
            ),
            format!(
                "{:.1} s · aggregation circuit k = {} · vk digest {}",
                summary.seconds, setup.config.degree, setup.vk_digest
            ),
            format!(
                "aggregates in {}, covered proofs listed in {}",
                args.out.display(),
                summary.manifest.display()
            ),
        ]
    })
}

/// Whether a JSON file is an aggregate file (it lists covered proofs) rather than a proof file.
pub fn is_aggregate_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|value| value.get("covered").is_some())
}

/// The package's aggregate verifier for `proofs`, its keys checked (the library re-derives the
/// verifying key from the circuit and refuses a published one that differs).
fn load_verifier(dir: &Package, proofs: usize, out: &Reporter) -> anyhow::Result<AggregateVerifier> {
    let (verifier, _) = out
        .step("Loading the aggregation keys (re-deriving the verifying key)", || {
            AggregateVerifier::load(dir, proofs, SrsPolicy::AllowDev)
        })
        .with_context(|| {
            format!("checking the aggregation keys of {} for {proofs} proofs", dir.path().display())
        })?;
    Ok(verifier)
}

/// Generates and compiles the Solidity verifier of checked keys (the key checked against the
/// circuit): one contract, or split over several when it is over EIP-170.
fn aggregate_verifier(verifier: &AggregateVerifier) -> anyhow::Result<(GeneratedVerifier, CompiledVerifier)> {
    let keys = verifier.keys();
    let generated =
        generate_aggregate_verifier(keys.srs.params(), &keys.vk, keys.setup.layout.num_instances())?;
    let compiled = generated.compile_deployable()?;
    Ok((generated, compiled))
}

/// `loopx solidity PKG --aggregate N -o FILE`.
pub fn run_solidity(dir: &Package, proofs: usize, path: &Path, out: Reporter) -> anyhow::Result<ExitCode> {
    let verifier = load_verifier(dir, proofs, &out)?;
    let ((generated, compiled), _) =
        out.step("Generating and compiling the aggregate verifier", || aggregate_verifier(&verifier))?;
    let keys = verifier.keys();
    std::fs::write(path, &compiled.solidity).with_context(|| format!("writing {}", path.display()))?;
    let abi = path.with_extension("abi.json");
    std::fs::write(&abi, VERIFIER_ABI_JSON).with_context(|| format!("writing {}", abi.display()))?;
    let layout = keys.setup.layout;
    let value = json!({
        "solidity": path,
        "abi": abi,
        "model_id": dir.package.model_id,
        "aggregate": proofs,
        "deployed_bytes": compiled.total_size(),
        "contracts": contracts_json(&compiled),
        "proof_bytes": generated.proof_len,
        "instances": layout.num_instances(),
        "words_per_proof": layout.words_per_proof(),
        "vk_digest": keys.setup.vk_digest,
        "dev_srs": verifier.dev_srs(),
    });
    out.finish(&value, || {
        vec![
            format!(
                "aggregate verifier ({proofs} proofs) written to {} (ABI: {})",
                path.display(),
                abi.display()
            ),
            format!("{} · {} instances", contracts_line(&compiled), layout.num_instances()),
            deploy_order(&compiled, &format!("loopx deploy PKG --aggregate {proofs}")),
            format!(
                "register with WalletAttributes.registerBatchVerifier(modelId, {proofs}, {}, address)",
                layout.words_per_proof()
            ),
        ]
    })
}

/// `loopx deploy PKG --aggregate N`: deploys the aggregate verifier (its parts first, if split).
pub fn run_deploy(
    dir: &Package,
    proofs: usize,
    rpc_url: &str,
    private_key: &str,
    out: Reporter,
) -> anyhow::Result<ExitCode> {
    let verifier = load_verifier(dir, proofs, &out)?;
    if verifier.dev_srs() {
        out.warn(DEV_SRS_DEPLOY_WARNING);
    }
    let ((_, compiled), _) =
        out.step("Generating and compiling the aggregate verifier", || aggregate_verifier(&verifier))?;
    let (address, _) = out.step("Deploying the aggregate verifier", || {
        compiled.deploy_onchain_blocking(rpc_url, private_key)
    })?;
    let keys = verifier.keys();
    let value = json!({
        "address": address.to_string(),
        "model_id": verifier.model_id(),
        "aggregate": proofs,
        "words_per_proof": keys.setup.layout.words_per_proof(),
        "vk_digest": keys.setup.vk_digest,
        "deployed_bytes": compiled.total_size(),
        "contracts": contracts_json(&compiled),
        "dev_srs": verifier.dev_srs(),
    });
    out.finish(&value, || {
        vec![
            format!("aggregate verifier ({proofs} proofs) deployed at {address}"),
            contracts_line(&compiled),
            format!(
                "register with WalletAttributes.registerBatchVerifier(modelId, {proofs}, {}, {address})",
                keys.setup.layout.words_per_proof()
            ),
        ]
    })
}

/// `loopx evm PKG AGG.json`: verifies an aggregate in the embedded EVM.
pub fn run_evm(dir: &Package, path: &Path, out: Reporter) -> anyhow::Result<ExitCode> {
    let file = AggregateFile::load(path)?;
    let verifier = load_verifier(dir, file.proofs, &out)?;
    let ((_, compiled), _) =
        out.step("Generating and compiling the aggregate verifier", || aggregate_verifier(&verifier))?;
    let claims = verifier.claims_of(&file)?;
    let (proof, instances) = (file.proof_bytes()?, file.instance_values()?);
    let (verdict, _) =
        out.step("Verifying in the embedded EVM", || compiled.verify_in_evm(&proof, &instances))?;
    let (gas, size) = (verdict.gas_used, compiled.total_size());
    let per_wallet = gas as f64 / file.proofs as f64;
    let mut value = json!({
        "valid": verdict.valid,
        "gas_used": gas,
        "gas_per_proof": per_wallet,
        "deployed_bytes": size,
        "contracts": contracts_json(&compiled),
        "proofs": file.proofs,
    });
    if !verdict.valid {
        return out.answer(false, &value, || {
            vec![format!("INVALID in the embedded EVM, {gas} gas (verifier {size} bytes)")]
        });
    }
    let layout = verifier.keys().setup.layout;
    let (batch, _) = out.step("Measuring WalletAttributes.submitBatch", || {
        measure_submit_batch(&compiled, &proof, &instances, layout.proofs, layout.words_per_proof())
    })?;
    value["submit_batch_gas"] = json!(batch.submit_new);
    value["submit_batch_gas_per_wallet"] = json!(batch.submit_new as f64 / file.proofs as f64);
    value["submit_batch_rewrite_gas"] = json!(batch.submit_rewrite);
    value["covered"] = serde_json::to_value(&claims)?;
    let wallets = claims.iter().map(|c| &c.proven.wallet).collect::<std::collections::BTreeSet<_>>().len();
    value["model_id"] = json!(verifier.model_id());
    value["dev_srs"] = json!(verifier.dev_srs());
    value["distinct_wallets"] = json!(wallets);
    out.finish(&value, || {
        let mut lines = claim_lines("VALID in the embedded EVM:", &verifier, &claims);
        lines.push(format!("gas         {gas} ({per_wallet:.0} per proof; verifier {size} bytes)"));
        lines.push(format!(
            "submitBatch {} gas recording {} proofs of {} new wallets ({:.0} per proof), {} rewriting them",
            batch.submit_new,
            file.proofs,
            wallets,
            batch.submit_new as f64 / file.proofs as f64,
            batch.submit_rewrite
        ));
        lines
    })
}

/// `loopx verify PKG AGG.json`: verifies an aggregate natively.
pub fn run_verify(dir: &Package, path: &Path, out: Reporter) -> anyhow::Result<ExitCode> {
    let file = AggregateFile::load(path)?;
    let verifier = load_verifier(dir, file.proofs, &out)?;
    let (claims, _) = out.step("Verifying the aggregate", || verifier.verify(&file))?;
    let value = json!({
        "valid": true,
        "proofs": file.proofs,
        "covered": claims,
        "model_id": verifier.model_id(),
        "dev_srs": verifier.dev_srs(),
    });
    out.finish(&value, || claim_lines("VALID", &verifier, &claims))
}

/// What a verified aggregate proves, `verdict` first: the model and SRS from the package and the
/// keys, each covered wallet's outputs from the instances (never the file's free fields).
fn claim_lines(verdict: &str, verifier: &AggregateVerifier, claims: &[CoveredClaim]) -> Vec<String> {
    let dev = if verifier.dev_srs() { " (INSECURE dev SRS)" } else { "" };
    let mut lines =
        vec![format!("{verdict} aggregate of {} proofs of model {}{dev}", claims.len(), verifier.model_id())];
    lines.extend(claims.iter().map(|c| format!("  {} → {:?}", c.proven.wallet, c.outputs)));
    lines
}
