//! `loopx prove` and `loopx verify`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use loopx_credentials::{now_unix, Address, Credential};
use loopx_prover::proof::fr_from_hex;
use loopx_prover::{parse_wallet, random_salt, Claim, Package, ProofFile, ProofRequest, ProverError};
use loopx_srs::SrsPolicy;
use serde_json::json;

use super::credential::parse_address;
use crate::report::Reporter;

/// Arguments of `loopx prove`.
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The package directory (after `loopx setup`).
    pub package: PathBuf,
    /// The private features: `{"input_data": [[…]]}` or `{"features": {"name": value}}`.
    #[arg(long, conflicts_with = "credential", required_unless_present = "credential")]
    pub input: Option<PathBuf>,
    /// Or an issuer's credential (`loopx credential issue`): proves its committed features with
    /// its salt, so the proof's commitment is the one the issuer signed.
    #[arg(long)]
    pub credential: Option<PathBuf>,
    /// With `--credential`: require this issuer.
    #[arg(long, requires = "credential")]
    pub issuer: Option<String>,
    /// The wallet the attribute is bound to (0x + 40 hex digits); with `--credential`, it must
    /// be the credential's wallet.
    #[arg(long)]
    pub wallet: Option<String>,
    /// Commitment salt (hex field element); drawn from the OS CSPRNG when omitted.
    #[arg(long, conflicts_with = "credential")]
    pub salt: Option<String>,
    /// Where to write the proof.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
}

/// Proves `input` for `wallet` with the package in `dir`; returns the proof file.
pub fn prove_file(
    dir: &Package,
    input: &Path,
    wallet: [u8; 20],
    salt: Option<&str>,
    out: Reporter,
) -> anyhow::Result<ProofFile> {
    let features =
        dir.package.load_input(input).with_context(|| format!("reading the input {}", input.display()))?;
    let salt = match salt {
        Some(text) => fr_from_hex(text)
            .with_context(|| format!("--salt `{text}` is not a hex field element below the BN254 modulus"))?,
        None => random_salt(),
    };
    prove_features(dir, &features, wallet, salt, out)
}

/// Proves a credential's committed features for its wallet; refuses a credential that does not
/// check (signature, issuer, validity, commitment), of another schema, or of another wallet.
pub fn prove_credential(
    dir: &Package,
    path: &Path,
    wallet: Option<[u8; 20]>,
    issuer: Option<&str>,
    out: Reporter,
) -> anyhow::Result<ProofFile> {
    let credential = Credential::load(path)?;
    let issuer = issuer.map(|i| parse_address(i, "--issuer")).transpose()?;
    let what = || format!("the credential {} cannot be proven", path.display());
    let opening = credential
        .opening_for(&dir.package, now_unix(), issuer, wallet.map(Address::from))
        .with_context(what)?;
    let file = prove_features(dir, &opening.features, opening.wallet, opening.salt, out)?;
    credential.confirm_proof_commitment(&file.commitment)?;
    Ok(file)
}

/// Proves quantized `features` for `wallet` under `salt`.
fn prove_features(
    dir: &Package,
    features: &[i64],
    wallet: [u8; 20],
    salt: loopx_circuits::Fr,
    out: Reporter,
) -> anyhow::Result<ProofFile> {
    // A dev SRS proves (the proof file says so); refusing it is for whoever relies on the proof.
    let (prover, _) = out.step("Loading the proving key", || dir.prover(SrsPolicy::AllowDev))?;
    let request = ProofRequest { features, wallet, salt };
    Ok(out.step("Proving", || prover.prove(&request))?.0)
}

/// Runs `loopx prove`.
pub fn run_prove(args: ProveArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    let wallet = args.wallet.as_deref().map(parse_wallet).transpose()?;
    let file = match (&args.credential, &args.input) {
        (Some(credential), _) => prove_credential(&dir, credential, wallet, args.issuer.as_deref(), out)?,
        (None, Some(input)) => {
            let wallet = wallet.unwrap_or_else(|| {
                out.warn("no --wallet given: binding the proof to the zero address");
                [0u8; 20]
            });
            prove_file(&dir, input, wallet, args.salt.as_deref(), out)?
        }
        (None, None) => bail!("give --input FEATURES.json or --credential CRED.json"),
    };
    file.save(&args.out).with_context(|| format!("writing {}", args.out.display()))?;
    let value = json!({
        "model_id": file.model_id,
        "wallet": file.wallet,
        "commitment": file.commitment,
        "outputs": file.outputs,
        "raw_outputs": file.raw_outputs,
        "k": file.k,
        "prove_seconds": file.prove_seconds,
        "dev_srs": file.dev_srs,
        "proof": args.out,
    });
    out.finish(&value, || {
        vec![
            format!("proof written to {}", args.out.display()),
            format!("wallet      {}", file.wallet),
            format!("outputs     {:?}", file.outputs),
            format!("commitment  {}", file.commitment),
            format!(
                "proved in {:.2} s (k = {}){}",
                file.prove_seconds,
                file.k,
                if file.dev_srs { ", dev SRS" } else { "" }
            ),
            "keep the proof file's salt private: it opens the commitment".into(),
        ]
    })
}

/// Arguments of `loopx verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The package directory.
    pub package: PathBuf,
    /// The proof file.
    pub proof: PathBuf,
}

/// Verifies a proof file natively against a package, accepting keys from a dev SRS (every report
/// of the claim says so). `Ok(None)`: the proof is invalid; an error: the package or the file
/// cannot be trusted (unbound keys, a file that disagrees with its proof).
pub fn verify_file(dir: &Package, file: &ProofFile) -> anyhow::Result<Option<Claim>> {
    match dir.verify(file, SrsPolicy::AllowDev) {
        Ok(claim) => Ok(Some(claim)),
        Err(ProverError::ProofRejected { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The human lines of a verified claim, `where_` saying which verifier accepted it.
pub fn claim_lines(claim: &Claim, where_: &str) -> Vec<String> {
    let mut lines = vec![
        format!("VALID {where_}: wallet {} has outputs {:?}", claim.proven.wallet, claim.outputs),
        format!("model       {}", claim.model_id),
        format!("vk digest   {}", claim.vk_digest),
        format!("commitment  {}", claim.proven.commitment),
    ];
    if claim.dev_srs {
        lines.push(
            "WARNING: the package's keys come from an INSECURE dev SRS: anyone can forge such proofs".into(),
        );
    }
    lines
}

/// Runs `loopx verify`; exit status 1 when the proof is invalid, 2 when the package or file is refused.
pub fn run_verify(args: VerifyArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    if super::aggregate::is_aggregate_file(&args.proof) {
        return super::aggregate::run_verify(&dir, &args.proof, out);
    }
    let file = ProofFile::load(&args.proof)?;
    let (claim, took) = out.step("Verifying", || verify_file(&dir, &file))?;
    let Some(claim) = claim else {
        return out.answer(false, &json!({ "valid": false, "model_id": dir.package.model_id }), || {
            vec!["INVALID: the proof does not verify against this package".to_string()]
        });
    };
    let mut value = serde_json::to_value(&claim)?;
    value["valid"] = json!(true);
    value["verify_seconds"] = json!(took.as_secs_f64());
    out.finish(&value, || claim_lines(&claim, "natively"))
}
