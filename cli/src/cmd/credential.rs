//! `loopx credential issue|check|publish|revoke`: the data issuer's side.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use loopx_batch::{BatchInput, Shard};
use loopx_batch::{FailedRow, FeatureLayout};
use loopx_credentials::{
    issue, now_unix, parse_private_key, Address, Credential, IssueRequest, PrivateKeySigner,
    DEFAULT_CHAIN_ID, DEFAULT_VALIDITY_DAYS,
};
use loopx_models::{load_input_row, Schema};
use loopx_prover::parse_wallet;
use loopx_verifier_contract::{block_on, eas};
use serde_json::json;

use super::batch::Progress;
use crate::report::Reporter;

/// `loopx credential …`.
#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Issue signed credentials over wallets' features (one wallet, or a JSONL/CSV file of them).
    Issue(IssueArgs),
    /// Check a credential: commitment, signature, issuer, validity (and its schema, if given).
    Check(CheckArgs),
    /// Attest a credential's commitment in EAS (as its issuer); prints the attestation uid.
    Publish(PublishArgs),
    /// Revoke a credential: its EAS attestation, or the off-chain credential itself.
    Revoke(RevokeArgs),
}

/// Arguments of `loopx credential issue`.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The feature schema (TOML or JSON) with a canonical encoding (`scale_bits` per feature).
    #[arg(long)]
    pub schema: PathBuf,
    /// One wallet's features: `{"features": {"name": value}}` or `{"input_data": [[…]]}`.
    #[arg(long, conflicts_with = "inputs", required_unless_present = "inputs")]
    pub input: Option<PathBuf>,
    /// Many wallets: JSON Lines or CSV rows as `loopx batch` reads them; `-o` is then a directory.
    #[arg(long)]
    pub inputs: Option<PathBuf>,
    /// The wallet the features describe (with `--input`).
    #[arg(long, requires = "input")]
    pub wallet: Option<String>,
    /// The issuer's secp256k1 private key, hex (or set LOOPX_ISSUER_KEY).
    #[arg(long, env = "LOOPX_ISSUER_KEY", hide_env_values = true)]
    pub issuer_key: String,
    /// Days until the credential expires.
    #[arg(long, default_value_t = DEFAULT_VALIDITY_DAYS)]
    pub expires_in_days: u64,
    /// Chain id of the EIP-712 domain: the chain whose contracts will accept the credential.
    #[arg(long, default_value_t = DEFAULT_CHAIN_ID)]
    pub chain_id: u64,
    /// The credential file (`--input`) or directory (`--inputs`; created if missing, and
    /// wallets whose credential is there already are skipped, so a rerun resumes).
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
}

/// Arguments of `loopx credential check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The credential file.
    pub credential: PathBuf,
    /// Require this issuer.
    #[arg(long)]
    pub issuer: Option<String>,
    /// Also check the features against this schema (names, ranges, encoding).
    #[arg(long)]
    pub schema: Option<PathBuf>,
}

/// Arguments of `loopx credential publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The credential file.
    pub credential: PathBuf,
    #[command(flatten)]
    pub chain: IssuerChain,
}

/// Where and as whom an issuer acts in EAS.
#[derive(Debug, Args)]
pub struct IssuerChain {
    /// Address of the EAS contract.
    #[arg(long)]
    pub eas: String,
    /// JSON-RPC endpoint of the chain.
    #[arg(long)]
    pub rpc_url: String,
    /// The issuer's private key (or set LOOPX_ISSUER_KEY): attestations and revocations are the issuer's.
    #[arg(long, env = "LOOPX_ISSUER_KEY", hide_env_values = true)]
    pub private_key: String,
}

/// Arguments of `loopx credential revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The credential file (its uid is revoked off chain in EAS unless `--attestation` is given).
    #[arg(required_unless_present = "attestation")]
    pub credential: Option<PathBuf>,
    /// Revoke this EAS attestation (made by `credential publish`) instead.
    #[arg(long)]
    pub attestation: Option<String>,
    #[command(flatten)]
    pub chain: IssuerChain,
}

/// Runs `loopx credential …`.
pub fn run(command: CredentialCommand, out: Reporter) -> anyhow::Result<ExitCode> {
    match command {
        CredentialCommand::Issue(args) => run_issue(args, out),
        CredentialCommand::Check(args) => run_check(args, out),
        CredentialCommand::Publish(args) => run_publish(args, out),
        CredentialCommand::Revoke(args) => run_revoke(args, out),
    }
}

fn load_schema(path: &Path) -> anyhow::Result<Schema> {
    let schema = Schema::load(path).with_context(|| format!("reading the schema {}", path.display()))?;
    schema.id().with_context(|| format!("{} cannot back credentials", path.display()))?;
    Ok(schema)
}

/// Parses a `0x` address.
pub fn parse_address(text: &str, what: &str) -> anyhow::Result<Address> {
    text.trim().parse().with_context(|| format!("{what} `{text}` is not an address (0x + 40 hex digits)"))
}

fn signer(key: &str, what: &str) -> anyhow::Result<PrivateKeySigner> {
    parse_private_key(key).with_context(|| format!("reading {what}"))
}

fn run_issue(args: IssueArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let schema = load_schema(&args.schema)?;
    let signer = signer(&args.issuer_key, "--issuer-key")?;
    let issued_at = now_unix();
    let expires_at = issued_at + args.expires_in_days.max(1) * 86_400;
    let terms = Terms { issued_at, expires_at, chain_id: args.chain_id };
    if let Some(inputs) = &args.inputs {
        return issue_bulk(inputs, &args.out, &schema, &signer, terms, out);
    }
    let input = args.input.as_ref().expect("clap requires --input or --inputs");
    let Some(wallet) = &args.wallet else {
        bail!("--wallet is required with --input (the wallet the features describe)")
    };
    let wallet = Address::from(parse_wallet(wallet)?);
    let values = load_input_row(input, Some(&schema), schema.len())
        .with_context(|| format!("reading the features {}", input.display()))?;
    let (credential, took) =
        out.step("Issuing", || issue(&terms.request(&schema, &values, wallet), &signer))?;
    credential.save(&args.out).with_context(|| format!("writing {}", args.out.display()))?;
    let value = json!({
        "credential": args.out,
        "uid": credential.uid,
        "wallet": credential.wallet,
        "issuer": credential.issuer,
        "schema_id": credential.schema_id,
        "commitment": credential.commitment,
        "chain_id": credential.chain_id,
        "expires_at": credential.expires_at,
        "issue_seconds": took.as_secs_f64(),
    });
    out.finish(&value, || {
        vec![
            format!("credential written to {}", args.out.display()),
            format!("wallet      {}", credential.wallet),
            format!("issuer      {}", credential.issuer),
            format!("schema id   {}", credential.schema_id),
            format!("commitment  {}", credential.commitment),
            format!("uid         {}", credential.uid),
            "the file holds the features and the salt: hand it to the wallet's owner only".into(),
        ]
    })
}

/// What every credential of one run states besides the features.
#[derive(Clone, Copy, Debug)]
struct Terms {
    issued_at: u64,
    expires_at: u64,
    chain_id: u64,
}

impl Terms {
    fn request<'a>(&self, schema: &'a Schema, values: &'a [f64], wallet: Address) -> IssueRequest<'a> {
        IssueRequest {
            schema,
            values,
            wallet,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            chain_id: self.chain_id,
        }
    }
}

/// Issues one credential per row of `inputs` into `dir`: `<wallet>.json` each, bad rows in
/// `errors.jsonl`, wallets whose credential exists skipped.
fn issue_bulk(
    inputs: &Path,
    dir: &Path,
    schema: &Schema,
    signer: &PrivateKeySigner,
    terms: Terms,
    out: Reporter,
) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let input = BatchInput::new(inputs);
    let total = input.count_rows()?;
    let errors_path = dir.join("errors.jsonl");
    let mut errors =
        std::fs::File::create(&errors_path).with_context(|| format!("creating {}", errors_path.display()))?;
    let mut progress = Progress::new(total as u64, "wallets");
    let (mut issued, mut skipped, mut failed) = (0usize, 0usize, 0usize);
    let start = std::time::Instant::now();
    let rows = input.rows(FeatureLayout::from(schema), Shard::ALL)?;
    for row in rows {
        let outcome = row?.and_then(|row| {
            let wallet = Address::from(row.wallet);
            let path = dir.join(format!("{wallet:#x}.json"));
            if path.exists() {
                return Ok(None);
            }
            let fail = |reason: String| FailedRow::new(row.row, Some(wallet.to_string()), reason);
            let credential = issue(&terms.request(schema, &row.values, wallet), signer)
                .map_err(|e| fail(e.to_string()))?;
            credential.save(&path).map_err(|e| fail(e.to_string()))?;
            Ok(Some(path))
        });
        match outcome {
            Ok(Some(_)) => {
                issued += 1;
                progress.advance("issued");
            }
            Ok(None) => {
                skipped += 1;
                progress.skip();
            }
            Err(failed_row) => {
                failed += 1;
                progress.advance("failed");
                progress.println(&format!("row {} failed: {}", failed_row.row, failed_row.reason));
                writeln!(errors, "{}", serde_json::to_string(&failed_row)?)?;
            }
        }
    }
    progress.finish();
    let seconds = start.elapsed().as_secs_f64();
    let value = json!({
        "issued": issued, "skipped": skipped, "failed": failed, "dir": dir, "errors": errors_path,
        "seconds": seconds, "schema_id": schema.id()?,
    });
    out.answer(failed == 0, &value, || {
        vec![
            format!("{issued} credentials issued, {skipped} already there, {failed} failed ({seconds:.2} s) in {}", dir.display()),
            format!("failed rows: {}", errors_path.display()),
        ]
    })
}

fn run_check(args: CheckArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let credential = Credential::load(&args.credential)?;
    let trusted = args.issuer.as_deref().map(|i| parse_address(i, "--issuer")).transpose()?;
    let now = now_unix();
    let mut verdict = credential.check(now, trusted);
    if verdict.is_ok() {
        if let Some(path) = &args.schema {
            verdict = credential.check_schema(&load_schema(path)?);
        }
    }
    let valid = verdict.is_ok();
    let value = json!({
        "valid": valid,
        "error": verdict.as_ref().err().map(|e| e.to_string()),
        "wallet": credential.wallet,
        "issuer": credential.recover_signer().ok(),
        "schema_id": credential.schema_id,
        "commitment": credential.commitment,
        "uid": credential.uid,
        "chain_id": credential.chain_id,
        "issued_at": credential.issued_at,
        "expires_at": credential.expires_at,
    });
    out.answer(valid, &value, || match &verdict {
        Ok(()) => vec![
            format!("VALID credential for wallet {}", credential.wallet),
            format!("issuer      {} (signature checked)", credential.issuer),
            format!("schema id   {}", credential.schema_id),
            format!("commitment  {} (recomputed)", credential.commitment),
            format!("expires at  {} (unix)", credential.expires_at),
        ],
        Err(e) => vec![format!("INVALID: {e}")],
    })
}

fn run_publish(args: PublishArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let credential = Credential::load(&args.credential)?;
    credential.check(now_unix(), None).context("the credential does not check; it will not be published")?;
    let key = signer(&args.chain.private_key, "--private-key")?;
    if key.address() != credential.issuer {
        bail!(
            "--private-key is the account {}, but the credential's issuer is {}: only the issuer attests its credentials",
            key.address(),
            credential.issuer
        );
    }
    let eas_address = parse_address(&args.chain.eas, "--eas")?;
    let ((uid, receipt), _) = out.step("Attesting the commitment in EAS", || {
        block_on(eas::attest_commitment(
            &args.chain.rpc_url,
            &args.chain.private_key,
            eas_address,
            credential.wallet,
            credential.commitment,
            credential.schema_id.0.into(),
            credential.expires_at,
        ))
    })?;
    let value = json!({ "uid": uid, "tx_hash": receipt.tx_hash, "gas_used": receipt.gas_used });
    out.finish(&value, || {
        vec![
            format!("attestation {uid}"),
            format!("recipient {} · commitment {}", credential.wallet, credential.commitment),
            format!("tx {} ({} gas)", receipt.tx_hash, receipt.gas_used),
        ]
    })
}

fn run_revoke(args: RevokeArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let eas_address = parse_address(&args.chain.eas, "--eas")?;
    let (what, receipt) = match (&args.attestation, &args.credential) {
        (Some(uid), _) => {
            let uid =
                uid.parse().with_context(|| format!("--attestation `{uid}` is not a 32-byte hex uid"))?;
            let (receipt, _) = out.step("Revoking the attestation in EAS", || {
                block_on(eas::revoke_attestation(
                    &args.chain.rpc_url,
                    &args.chain.private_key,
                    eas_address,
                    uid,
                ))
            })?;
            (format!("attestation {uid}"), receipt)
        }
        (None, Some(path)) => {
            let credential = Credential::load(path)?;
            let (receipt, _) = out.step("Revoking the credential in EAS's off-chain registry", || {
                block_on(eas::revoke_offchain(
                    &args.chain.rpc_url,
                    &args.chain.private_key,
                    eas_address,
                    credential.uid,
                ))
            })?;
            (format!("credential {}", credential.uid), receipt)
        }
        (None, None) => bail!("give a credential file or --attestation UID"),
    };
    let value = json!({ "revoked": what, "tx_hash": receipt.tx_hash, "gas_used": receipt.gas_used });
    out.finish(&value, || vec![format!("revoked {what} (tx {})", receipt.tx_hash)])
}
