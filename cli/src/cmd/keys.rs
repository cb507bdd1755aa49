//! `loopx setup`: proving and verifying keys for a package.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use loopx_prover::{vk_digest, Package};
use loopx_srs::{Srs, SrsPolicy};
use serde_json::json;

use crate::report::Reporter;

/// Arguments of `loopx setup`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("srs_source").required(true).multiple(true).args(["srs", "dev_srs"])))]
pub struct SetupArgs {
    /// The package directory written by `loopx compile`.
    pub package: PathBuf,
    /// An SRS file (`loopx srs import-ptau` or `loopx srs new`).
    #[arg(long)]
    pub srs: Option<PathBuf>,
    /// Allow an insecure dev SRS (generated now if --srs is not given). Never deploy such keys.
    #[arg(long)]
    pub dev_srs: bool,
}

/// Runs the command.
pub fn run(args: SetupArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    let plan = dir.plan();
    let policy = SrsPolicy::allowing_dev(args.dev_srs);
    let srs = match &args.srs {
        Some(path) => Srs::load(path)?,
        None => {
            out.step(&format!("Generating a dev SRS (k = {})", plan.shape.k), || Srs::dev(plan.shape.k))?.0
        }
    };
    let (keys, took) = out
        .step("Generating proving and verifying keys", || dir.setup(&srs, policy))
        .context("key generation")?;
    if keys.header.dev_srs {
        out.warn("keys made from a dev SRS are insecure: anyone can forge proofs for them");
    }
    let files = ["pk.bin", "vk.bin", "srs.bin"].map(|f| args.package.join(f));
    let vk_digest = vk_digest(keys.vk());
    let value = json!({
        "model_id": keys.header.model_id,
        "vk_digest": vk_digest,
        "k": plan.shape.k,
        "circuit": plan,
        "dev_srs": keys.header.dev_srs,
        "setup_seconds": took.as_secs_f64(),
        "files": files,
    });
    out.finish(&value, || {
        vec![
            format!("keys for {} written to {}", keys.header.model_id, args.package.display()),
            format!("vk digest {vk_digest} (pin it with the model id; the Solidity verifier carries it)"),
            crate::report::plan_summary(&plan),
            format!(
                "SRS: {}",
                if keys.header.dev_srs { "INSECURE dev SRS (testing only)" } else { "ceremony" }
            ),
        ]
    })
}
