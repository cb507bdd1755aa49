//! `loopx quickstart`: a bundled wallet model end to end — compile, dev SRS, setup, prove,
//! verify natively and in the embedded EVM — then the attested path: a demo issuer signs a
//! credential over the wallet's features, the owner proves from it, and `AttestedAttributes`
//! over the real EAS (in the embedded EVM) records the attribute. A short summary, timings, gas.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use loopx_models::BUNDLED_MODELS;
use loopx_prover::{parse_wallet, Package};
use loopx_srs::{Srs, SrsPolicy};
use serde_json::json;

use crate::cmd::prove::{prove_credential, prove_file, verify_file};
use crate::report::Reporter;

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
pub fn run(args: QuickstartArgs, out: Reporter) -> anyhow::Result<ExitCode> {
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
    let dir = Package::open(&package_dir)?;
    let plan = dir.plan();
    let (srs, srs_time) =
        out.step(&format!("Generating a dev SRS (k = {})", plan.shape.k), || Srs::dev(plan.shape.k))?;
    let (_, setup_time) = out.step("Generating keys", || dir.setup(&srs, SrsPolicy::AllowDev))?;
    let proof = prove_file(&dir, &file("input.json"), parse_wallet(DEMO_WALLET)?, None, out)?;
    let proof_path = package_dir.join("proof.json");
    proof.save(&proof_path)?;
    let (claim, verify_time) = out.step("Verifying natively", || verify_file(&dir, &proof))?;
    let Some(claim) = claim else {
        bail!("the quickstart proof did not verify — please report this");
    };
    let evm = crate::cmd::evm::evm_check(&dir, &proof, out)?;
    let (gas_used, verifier_bytes) = (evm.gas_used, evm.verifier.total_size());
    if evm.claim.as_ref() != Some(&claim) {
        bail!("the quickstart proof did not verify in the EVM — please report this");
    }
    let attested = attested_path(&dir, &file("features.json"), &package_dir, &evm.verifier, out)?;
    let value = json!({
        "attested": attested,
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
    let text = |key: &str| attested[key].as_str().map_or_else(|| attested[key].to_string(), String::from);
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
            String::new(),
            "Attested path (issuer → owner → contract, in revm with the real EAS contracts):".into(),
            format!("  issuer       {} signed {}", text("issuer"), text("credential")),
            format!("  schema id    {}", text("schema_id")),
            format!("  owner proof  {} (commits to the issuer's commitment)", text("proof")),
            format!(
                "  consumer     AttestedAttributes recorded outputs {} for {}: {} gas (verification, EAS checks, storage, EAS record)",
                text("outputs"),
                text("wallet"),
                text("submit_gas")
            ),
        ]
    })
}

/// The attested path on the demo wallet: issue, prove from the credential, submit in revm.
fn attested_path(
    dir: &Package,
    features: &Path,
    package_dir: &Path,
    verifier: &loopx_verifier_contract::CompiledVerifier,
    out: Reporter,
) -> anyhow::Result<serde_json::Value> {
    use loopx_credentials::{issue, now_unix, parse_private_key, Address, IssueRequest, DEFAULT_CHAIN_ID};
    use loopx_verifier_contract::eas::{EmbeddedAttestation, Evidence};
    use rand::RngCore;

    let Some(schema) = &dir.package.schema else { bail!("the bundled model has no schema") };
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let issuer = parse_private_key(&hex::encode(key))?;
    let values = loopx_models::load_input_row(features, Some(schema), schema.len())?;
    let wallet = Address::from(parse_wallet(DEMO_WALLET)?);
    let now = now_unix();
    let request = IssueRequest {
        schema,
        values: &values,
        wallet,
        issued_at: now,
        expires_at: now + 86_400,
        chain_id: DEFAULT_CHAIN_ID,
    };
    let (credential, _) = out.step("Issuing a credential (demo issuer)", || issue(&request, &issuer))?;
    let credential_path = package_dir.join("credential.json");
    credential.save(&credential_path)?;
    let issuer_text = issuer.address().to_string();
    let proof = prove_credential(dir, &credential_path, Some(wallet.0 .0), Some(&issuer_text), out)?;
    let proof_path = package_dir.join("attested-proof.json");
    proof.save(&proof_path)?;
    let model_id = dir.package.model_id.parse()?;
    let (submission, _) = out.step("Submitting to AttestedAttributes over EAS in revm", || {
        let mut chain = EmbeddedAttestation::deploy(now)?;
        chain.register_model(verifier, model_id, credential.schema_id.0.into(), issuer.address())?;
        chain.submit(
            wallet,
            model_id,
            &proof.proof_bytes()?,
            &proof.instance_values()?,
            &Evidence::from_credential(&credential),
        )
    })?;
    let outputs: Vec<String> = submission.attribute.outputs.iter().map(|o| o.to_string()).collect();
    let proven: Vec<String> = proof.raw_outputs.iter().map(|o| o.to_string()).collect();
    if !submission.attribute.proven || outputs != proven {
        bail!("the consumer recorded {outputs:?}, not the proof's {proven:?} — please report this");
    }
    Ok(json!({
        "issuer": issuer_text,
        "credential": credential_path,
        "schema_id": credential.schema_id,
        "wallet": wallet,
        "proof": proof_path,
        "outputs": outputs,
        "submit_gas": submission.gas_used,
    }))
}
