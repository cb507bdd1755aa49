//! `loopx eas deploy`, `loopx submit` and `loopx attribute`: attested attributes on chain.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use loopx_credentials::{now_unix, Credential};
use loopx_prover::{Package, ProofFile};
use loopx_verifier_contract::eas::{self, Evidence};
use loopx_verifier_contract::{block_on, Address};
use serde_json::json;

use super::credential::parse_address;
use super::evm::{verifier, DEV_SRS_DEPLOY_WARNING};
use super::prove::verify_file;
use crate::report::Reporter;

/// `loopx eas …`.
#[derive(Debug, Subcommand)]
pub enum EasCommand {
    /// Deploy EAS (from the pinned npm package), register the LoopX schemas, and deploy an
    /// AttestedAttributes consumer trusting the given issuers and each package's verifier.
    Deploy(EasDeployArgs),
}

/// Arguments of `loopx eas deploy`.
#[derive(Debug, Args)]
pub struct EasDeployArgs {
    /// JSON-RPC endpoint of the chain (a local or test chain: this deploys a fresh EAS).
    #[arg(long)]
    pub rpc_url: String,
    /// Private key of the deployer, who owns the consumer (or set LOOPX_PRIVATE_KEY).
    #[arg(long, env = "LOOPX_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: String,
    /// An issuer the consumer trusts for the feature schema of every `--package` (repeatable).
    #[arg(long = "trust-issuer")]
    pub trust_issuer: Vec<String>,
    /// A package whose verifier is deployed and registered with its feature schema (repeatable).
    #[arg(long = "package")]
    pub packages: Vec<PathBuf>,
    /// Do not attest each recorded attribute in EAS (saves about 300k gas per submission; the
    /// attribute is then read from the consumer only).
    #[arg(long)]
    pub no_eas_record: bool,
}

/// Arguments of `loopx submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The package the proof belongs to.
    pub package: PathBuf,
    /// The proof file.
    pub proof: PathBuf,
    /// The issuer's EAS attestation of the proof's commitment.
    #[arg(long, conflicts_with = "credential", required_unless_present = "credential")]
    pub attestation: Option<String>,
    /// Or the off-chain credential the proof was made from (its signature goes on chain).
    #[arg(long)]
    pub credential: Option<PathBuf>,
    /// Address of the AttestedAttributes consumer.
    #[arg(long)]
    pub consumer: String,
    /// JSON-RPC endpoint of the chain.
    #[arg(long)]
    pub rpc_url: String,
    /// Private key of the sender: the proof's wallet or a submitter it allowed (or set LOOPX_PRIVATE_KEY).
    #[arg(long, env = "LOOPX_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: String,
}

/// Arguments of `loopx attribute`.
#[derive(Debug, Args)]
pub struct AttributeArgs {
    /// The wallet.
    pub wallet: String,
    /// The model id (`0x…`, as `loopx compile` prints it).
    #[arg(long)]
    pub model: String,
    /// Address of the AttestedAttributes consumer.
    #[arg(long)]
    pub consumer: String,
    /// JSON-RPC endpoint of the chain.
    #[arg(long)]
    pub rpc_url: String,
}

/// Runs `loopx eas …`.
pub fn run(command: EasCommand, out: Reporter) -> anyhow::Result<ExitCode> {
    match command {
        EasCommand::Deploy(args) => run_deploy(args, out),
    }
}

fn run_deploy(args: EasDeployArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let issuers: Vec<Address> = args
        .trust_issuer
        .iter()
        .map(|i| parse_address(i, "--trust-issuer"))
        .collect::<anyhow::Result<_>>()?;
    let (deployment, _) = out
        .step("Deploying EAS, its schemas and the AttestedAttributes consumer", || {
            block_on(eas::deploy_eas(&args.rpc_url, &args.private_key, !args.no_eas_record))
        })?;
    let mut models = Vec::new();
    for path in &args.packages {
        let dir = Package::open(path)?;
        let (claims, package_verifier) = verifier(&dir, out)?;
        if claims.dev_srs() {
            out.warn(&format!("{}: {DEV_SRS_DEPLOY_WARNING}", path.display()));
        }
        let (address, _) = out.step("Deploying the verifier", || {
            package_verifier.compiled.deploy_onchain_blocking(&args.rpc_url, &args.private_key)
        })?;
        let model_id =
            dir.package.model_id.parse().context("the package's model id is not 32 bytes of hex")?;
        let schema_id = dir.package.quantized.schema_id();
        block_on(eas::register_model(
            &args.rpc_url,
            &args.private_key,
            deployment.consumer,
            model_id,
            address,
            schema_id.0.into(),
        ))?;
        for issuer in &issuers {
            block_on(eas::set_issuer(
                &args.rpc_url,
                &args.private_key,
                deployment.consumer,
                schema_id.0.into(),
                *issuer,
                true,
            ))?;
        }
        models.push(json!({ "model_id": dir.package.model_id, "verifier": address, "schema_id": schema_id }));
    }
    let mut value = serde_json::to_value(&deployment)?;
    value["models"] = json!(models);
    value["trusted_issuers"] = json!(issuers);
    out.finish(&value, || {
        let mut lines = vec![
            format!("EAS             {}", deployment.eas),
            format!("schema registry {}", deployment.schema_registry),
            format!("consumer        {} (AttestedAttributes)", deployment.consumer),
            format!(
                "schemas         commitment {} · attribute {}",
                deployment.commitment_schema, deployment.attribute_schema
            ),
        ];
        for m in &models {
            lines.push(format!(
                "model {} verifier {} schema {}",
                m["model_id"], m["verifier"], m["schema_id"]
            ));
        }
        if models.is_empty() && !issuers.is_empty() {
            lines.push(
                "no --package given: issuers are trusted per feature schema, so none was registered".into(),
            );
        }
        lines
    })
}

/// Runs `loopx submit`.
pub fn run_submit(args: SubmitArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    let file = ProofFile::load(&args.proof)?;
    // Refuse early, with the native verifier's reasons, what the chain would refuse for gas.
    let (claim, _) = out.step("Verifying natively", || verify_file(&dir, &file))?;
    let Some(claim) = claim else {
        bail!("the proof does not verify against this package; the consumer would refuse it");
    };
    let evidence = match (&args.attestation, &args.credential) {
        (Some(uid), _) => Evidence::Attestation(
            uid.parse().with_context(|| format!("--attestation `{uid}` is not a 32-byte hex uid"))?,
        ),
        (None, Some(path)) => {
            let credential = Credential::load(path)?;
            credential.check(now_unix(), None).context("the credential does not check")?;
            Evidence::from_credential(&credential)
        }
        (None, None) => bail!("give --attestation UID or --credential CRED.json"),
    };
    let consumer = parse_address(&args.consumer, "--consumer")?;
    let model_id = dir.package.model_id.parse().context("the package's model id is not 32 bytes of hex")?;
    let instances = file.instance_values()?;
    let (receipt, _) = out.step("Submitting the proof to the consumer", || {
        block_on(eas::submit(
            &args.rpc_url,
            &args.private_key,
            consumer,
            model_id,
            &file.proof_bytes()?,
            &instances,
            &evidence,
        ))
    })?;
    let wallet = parse_address(&claim.proven.wallet, "the proven wallet")?;
    let attribute = block_on(eas::attribute_of(&args.rpc_url, consumer, wallet, model_id))?;
    let outputs: Vec<String> = attribute.outputs.iter().map(|o| o.to_string()).collect();
    let value = json!({
        "tx_hash": receipt.tx_hash,
        "gas_used": receipt.gas_used,
        "wallet": wallet,
        "model_id": dir.package.model_id,
        "outputs": outputs,
        "issuer": attribute.issuer,
        "source": attribute.source,
        "attribute_uid": attribute.attributeUid,
    });
    out.finish(&value, || {
        vec![
            format!("recorded for {wallet}: outputs {outputs:?} (model {})", dir.package.model_id),
            format!("issuer {} · evidence {}", attribute.issuer, attribute.source),
            format!("EAS attribute attestation {}", attribute.attributeUid),
            format!("tx {} ({} gas)", receipt.tx_hash, receipt.gas_used),
        ]
    })
}

/// Runs `loopx attribute`; exit status 1 when nothing is recorded.
pub fn run_attribute(args: AttributeArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let wallet = parse_address(&args.wallet, "the wallet")?;
    let consumer = parse_address(&args.consumer, "--consumer")?;
    let model_id = args
        .model
        .parse()
        .with_context(|| format!("--model `{}` is not a 32-byte hex model id", args.model))?;
    let attribute = block_on(eas::attribute_of(&args.rpc_url, consumer, wallet, model_id))?;
    let outputs: Vec<String> = attribute.outputs.iter().map(|o| o.to_string()).collect();
    let value = json!({
        "proven": attribute.proven,
        "wallet": wallet,
        "model_id": args.model,
        "outputs": outputs,
        "commitment": format!("{:#066x}", attribute.commitment),
        "issuer": attribute.issuer,
        "source": attribute.source,
        "attribute_uid": attribute.attributeUid,
        "proven_at": attribute.provenAt,
    });
    out.answer(attribute.proven, &value, || {
        if attribute.proven {
            vec![
                format!("{wallet}: outputs {outputs:?} under model {}", args.model),
                format!(
                    "vouched for by {} ({}) at {}",
                    attribute.issuer, attribute.source, attribute.provenAt
                ),
            ]
        } else {
            vec![format!("nothing recorded for {wallet} under model {}", args.model)]
        }
    })
}
