//! `loopx quickstart`: a bundled wallet model end to end — compile, dev SRS, setup, prove,
//! verify natively and in the embedded EVM — with a short summary, timings and gas.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use loopx_prover::{parse_wallet, PackageDir, Srs};
use serde_json::json;

use crate::cmd::prove::{prove_file, verify_file};
use crate::report::Reporter;

/// The bundled models.
pub const BUNDLED_MODELS: [&str; 4] = ["risk_mlp", "sybil_lr", "credit_mlp", "sybil_gbt"];

/// The demo wallet the sample features belong to.
const DEMO_WALLET: &str = "0x5c10c3aed19456ef43dc7b092792391e284b1f75";

/// Arguments of `loopx quickstart`.
#[derive(Debug, Args)]
pub struct QuickstartArgs {
    /// Which bundled model to run.
    #[arg(long, default_value = "risk_mlp", value_parser = clap::builder::PossibleValuesParser::new(BUNDLED_MODELS))]
    pub model: String,
    /// Working directory for the package, keys and proof.
    #[arg(long, default_value = "target/quickstart")]
    pub dir: PathBuf,
}

/// Where the bundled fixtures live (`LOOPX_FIXTURES` overrides).
pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("LOOPX_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures"))
}

/// Runs the command.
pub fn run(args: QuickstartArgs, out: Reporter) -> anyhow::Result<()> {
    let fixtures = fixtures_dir();
    let name = args.model.as_str();
    let file = |suffix: &str| fixtures.join(format!("{name}.{suffix}"));
    if !file("onnx").exists() {
        bail!(
            "bundled model {} not found; set LOOPX_FIXTURES to the repository's fixtures/ folder",
            file("onnx").display()
        );
    }
    let package_dir = args.dir.join(name);
    let ((package, report), compile_time) =
        out.step(&format!("Compiling {name}.onnx"), || loopx_models::compile_named(&fixtures, name))?;
    package.save(&package_dir).with_context(|| format!("writing {}", package_dir.display()))?;
    let dir = PackageDir::open(&package_dir)?;
    let plan = dir.plan();
    let (srs, srs_time) =
        out.step(&format!("Generating a dev SRS (k = {})", plan.shape.k), || Srs::dev(plan.shape.k))?;
    let (_, setup_time) = out.step("Generating keys", || dir.setup(&srs))?;
    let proof = prove_file(&dir, &file("input.json"), parse_wallet(DEMO_WALLET)?, None, out)?;
    let proof_path = package_dir.join("proof.json");
    proof.save(&proof_path)?;
    let claims = crate::cmd::evm::claim_verifier(&dir, out)?;
    let (claim, verify_time) = out.step("Verifying natively", || verify_file(&claims, &proof))?;
    let Some(claim) = claim else {
        bail!("the quickstart proof did not verify — please report this");
    };
    let evm = crate::cmd::evm::evm_check(&dir, &proof, out)?;
    let (gas_used, verifier_bytes) = (evm.gas_used, evm.deployed_size);
    if evm.claim.as_ref() != Some(&claim) {
        bail!("the quickstart proof did not verify in the EVM — please report this");
    }
    let value = json!({
        "model": name,
        "model_id": claim.model_id,
        "vk_digest": claim.vk_digest,
        "k": plan.shape.k,
        "circuit": plan,
        "wallet": claim.proven.wallet,
        "outputs": claim.outputs,
        "commitment": claim.proven.commitment,
        "argmax_agreement": report.calibration.argmax_agreement,
        "max_abs_error": report.calibration.max_abs_error,
        "valid": true,
        "evm": { "valid": true, "gas_used": gas_used, "verifier_bytes": verifier_bytes },
        "dev_srs": claim.dev_srs,
        "seconds": {
            "compile": compile_time.as_secs_f64(),
            "srs": srs_time.as_secs_f64(),
            "setup": setup_time.as_secs_f64(),
            "prove": proof.prove_seconds,
            "verify": verify_time.as_secs_f64(),
        },
        "proof": proof_path,
    });
    out.finish(&value, || {
        vec![
            String::new(),
            format!("LoopX quickstart: {name} ({})", claim.model_id),
            format!(
                "  circuit      k = {}, {} advice / {} fixed columns",
                plan.shape.k, plan.advice_columns, plan.fixed_columns
            ),
            format!("  vk digest    {}", claim.vk_digest),
            format!("  wallet       {}", claim.proven.wallet),
            format!("  public out   {:?} (features stay private)", claim.outputs),
            format!("  commitment   {}", claim.proven.commitment),
            format!(
                "  timings      compile {:.2} s · setup {:.2} s · prove {:.2} s · verify {:.3} s",
                compile_time.as_secs_f64(),
                setup_time.as_secs_f64(),
                proof.prove_seconds,
                verify_time.as_secs_f64()
            ),
            format!("  proof        {} — VALID (dev SRS: for testing only)", proof_path.display()),
            format!("  EVM          VALID in revm: {gas_used} gas, verifier {verifier_bytes} bytes of runtime code"),
        ]
    })
}
