//! The on-chain commands: `loopx solidity`, `loopx evm`, `loopx deploy`, `loopx verify-onchain`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use loopx_prover::{Claim, ClaimVerifier, InstanceClaim, Package, ProofFile, TranscriptKind};
use loopx_srs::SrsPolicy;
use loopx_verifier_contract::{
    verify_onchain_blocking, Address, CompiledVerifier, PackageSolidity, PackageVerifier, SolidityFiles,
};
use serde_json::json;

use crate::cmd::prove::claim_lines;
use crate::report::Reporter;

/// Arguments of `loopx solidity`.
#[derive(Debug, Args)]
pub struct SolidityArgs {
    /// The package directory (after `loopx setup`).
    pub package: PathBuf,
    /// Where to write the Solidity source (the ABI goes beside it as `*.abi.json`).
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// The verifier of the package's aggregates of N proofs (`loopx aggregate --max N` made
    /// its keys) instead of the single-proof verifier.
    #[arg(long, value_name = "N")]
    pub aggregate: Option<usize>,
}

/// Arguments of `loopx evm`.
#[derive(Debug, Args)]
pub struct EvmArgs {
    /// The package directory.
    pub package: PathBuf,
    /// The proof file, or an aggregate file (`loopx aggregate`).
    pub proof: PathBuf,
}

/// Arguments of `loopx deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The package directory.
    pub package: PathBuf,
    /// JSON-RPC endpoint of the chain (e.g. http://127.0.0.1:8545).
    #[arg(long)]
    pub rpc_url: String,
    /// Hex private key of the deploying account (or set LOOPX_PRIVATE_KEY).
    #[arg(long, env = "LOOPX_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: String,
    /// Deploy the verifier of the package's aggregates of N proofs instead (its parts first
    /// when it is split over several contracts).
    #[arg(long, value_name = "N")]
    pub aggregate: Option<usize>,
}

/// Arguments of `loopx verify-onchain`.
#[derive(Debug, Args)]
pub struct VerifyOnchainArgs {
    /// The proof file.
    pub proof: PathBuf,
    /// JSON-RPC endpoint of the chain.
    #[arg(long)]
    pub rpc_url: String,
    /// Address of the deployed verifier.
    #[arg(long)]
    pub address: String,
    /// The package the proof belongs to: decodes the outputs and checks the model id (without
    /// it, the wallet, commitment and raw outputs are read off the instances).
    #[arg(long)]
    pub package: Option<PathBuf>,
}

/// Generates (or reuses) and compiles the verifier of a package, with the bound keys it was
/// generated from. Keys from a dev SRS are accepted: every report of them says so.
pub fn verifier(dir: &Package, out: Reporter) -> anyhow::Result<(ClaimVerifier, PackageVerifier)> {
    Ok(out.step("Generating and compiling the Solidity verifier", || dir.verifier(SrsPolicy::AllowDev))?.0)
}

/// What `loopx deploy` and `loopx eas deploy` say before deploying a verifier of keys from a dev SRS.
pub const DEV_SRS_DEPLOY_WARNING: &str =
    "deploying a verifier for keys made from an INSECURE dev SRS: anyone can forge proofs it accepts";

/// The verifier's code size for a report: one contract, or how it is split.
pub fn contracts_line(compiled: &CompiledVerifier) -> String {
    let sizes = compiled.deployed_sizes();
    match sizes.as_slice() {
        [one] => format!("runtime code {one} bytes (EIP-170 limit 24576)"),
        _ => format!(
            "runtime code split over {} contracts of {sizes:?} bytes (one would be over EIP-170's 24576)",
            sizes.len()
        ),
    }
}

/// The verifier's contracts in deployment order, names and runtime sizes, for `--json`.
pub fn contracts_json(compiled: &CompiledVerifier) -> serde_json::Value {
    let contracts = compiled.parts.iter().chain([&compiled.entry]);
    json!(contracts
        .map(|c| json!({ "name": c.name, "deployed_bytes": c.deployed_size() }))
        .collect::<Vec<_>>())
}

/// How to deploy `compiled` (with `deploy`, the `loopx deploy` command that does it), for
/// `loopx solidity`.
pub fn deploy_order(compiled: &CompiledVerifier, deploy: &str) -> String {
    let names: Vec<&str> = compiled.parts.iter().map(|p| p.name.as_str()).collect();
    if names.is_empty() {
        format!("deploy it as is, or with `{deploy}`")
    } else {
        format!(
            "deploy {} first, then LoopXVerifier with their addresses in that order as constructor arguments \
             (it checks their code hashes), or all with `{deploy}`",
            names.join(", ")
        )
    }
}

/// Runs `loopx solidity`.
pub fn run_solidity(args: SolidityArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    if let Some(proofs) = args.aggregate {
        return super::aggregate::run_solidity(&dir, proofs, &args.out, out);
    }
    let (files, _) = out
        .step("Generating and compiling the Solidity verifier", || {
            dir.solidity(&args.out, SrsPolicy::AllowDev)
        })
        .with_context(|| format!("writing {}", args.out.display()))?;
    let SolidityFiles { verifier, abi, dev_srs } = files;
    let model_id = &dir.package.model_id;
    let value = json!({
        "solidity": args.out,
        "abi": abi,
        "model_id": model_id,
        "deployed_bytes": verifier.deployed_size(),
        "contracts": contracts_json(&verifier.compiled),
        "proof_bytes": verifier.generated.proof_len,
        "instances": verifier.generated.num_instances,
        "vk_digest": verifier.generated.vk_digest,
        "dev_srs": dev_srs,
    });
    out.finish(&value, || {
        vec![
            format!("verifier written to {} (ABI: {})", args.out.display(), abi.display()),
            format!("model {model_id} · vk digest {}", verifier.generated.vk_digest),
            contracts_line(&verifier.compiled),
            deploy_order(&verifier.compiled, "loopx deploy PKG"),
            "interface: verifyProof(bytes proof, uint256[] instances) view returns (bool)".into(),
        ]
    })
}

/// The embedded EVM's verdict on a proof file.
#[derive(Debug)]
pub struct EvmCheck {
    /// What the proof proves, if the EVM verifier accepted it.
    pub claim: Option<Claim>,
    /// Gas of the whole verification transaction.
    pub gas_used: u64,
    /// The compiled verifier (to deploy it elsewhere without generating it again).
    pub verifier: CompiledVerifier,
}

/// Verifies a proof file in the embedded EVM. The claim is decoded from the instances the EVM
/// checked and the package's bound keys; a file whose fields disagree with them is an error.
pub fn evm_check(dir: &Package, file: &ProofFile, out: Reporter) -> anyhow::Result<EvmCheck> {
    if file.transcript != TranscriptKind::Evm {
        anyhow::bail!(
            "the proof is in the {} transcript (made for `loopx aggregate`), which the single-proof verifier \
             does not read: verify it with `loopx verify`, or aggregate it and check the aggregate with `loopx evm`",
            file.transcript.name()
        );
    }
    let (claims, verifier) = verifier(dir, out)?;
    let claim = claims.claim_of(file)?;
    let (verdict, _) = out.step("Verifying in the embedded EVM", || -> anyhow::Result<_> {
        Ok(verifier.compiled.verify_in_evm(&file.proof_bytes()?, &file.instance_values()?)?)
    })?;
    Ok(EvmCheck {
        claim: verdict.valid.then_some(claim),
        gas_used: verdict.gas_used,
        verifier: verifier.compiled,
    })
}

/// Runs `loopx evm`; exit status 1 when the proof is invalid, 2 when the package or file is refused.
pub fn run_evm(args: EvmArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    if super::aggregate::is_aggregate_file(&args.proof) {
        return super::aggregate::run_evm(&dir, &args.proof, out);
    }
    let file = ProofFile::load(&args.proof)?;
    let check = evm_check(&dir, &file, out)?;
    let (gas_used, size) = (check.gas_used, check.verifier.total_size());
    let Some(claim) = check.claim else {
        let value = json!({ "valid": false, "gas_used": gas_used, "deployed_bytes": size });
        return out.answer(false, &value, || {
            vec![format!("INVALID in the embedded EVM, {gas_used} gas (verifier {size} bytes)")]
        });
    };
    let mut value = serde_json::to_value(&claim)?;
    value["valid"] = json!(true);
    value["gas_used"] = json!(gas_used);
    value["deployed_bytes"] = json!(size);
    out.finish(&value, || {
        let mut lines = claim_lines(&claim, "in the embedded EVM");
        lines.push(format!("gas         {gas_used} (verifier {size} bytes)"));
        lines
    })
}

/// Runs `loopx deploy`.
pub fn run_deploy(args: DeployArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    if let Some(proofs) = args.aggregate {
        return super::aggregate::run_deploy(&dir, proofs, &args.rpc_url, &args.private_key, out);
    }
    let (claims, verifier) = verifier(&dir, out)?;
    if claims.dev_srs() {
        out.warn(DEV_SRS_DEPLOY_WARNING);
    }
    let (address, _) = out.step("Deploying the verifier", || {
        verifier.compiled.deploy_onchain_blocking(&args.rpc_url, &args.private_key)
    })?;
    let value = json!({
        "address": address.to_string(),
        "model_id": dir.package.model_id,
        "vk_digest": claims.vk_digest(),
        "deployed_bytes": verifier.deployed_size(),
        "contracts": contracts_json(&verifier.compiled),
        "dev_srs": claims.dev_srs(),
    });
    out.finish(&value, || {
        vec![format!(
            "verifier for {} (vk digest {}) deployed at {address}",
            dir.package.model_id,
            claims.vk_digest()
        )]
    })
}

/// Runs `loopx verify-onchain`; exit status 1 when the proof is invalid, 2 when the file is refused.
pub fn run_verify_onchain(args: VerifyOnchainArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let file = ProofFile::load(&args.proof)?;
    let address: Address = args
        .address
        .parse()
        .with_context(|| format!("--address `{}` is not a 20-byte hex address", args.address))?;
    // With the package, the whole claim (outputs decoded, model id, vk digest); without it, what
    // the instance column itself says. Either way the file must agree with its instances.
    let values = file.instance_values()?;
    let proven = InstanceClaim::decode(&values)?;
    proven.check_file(&file)?;
    let claim = match &args.package {
        Some(package) => Some(Package::open(package)?.claim_verifier()?.claim_of(&file)?),
        None => None,
    };
    let (verdict, _) = out.step("Verifying on chain", || {
        verify_onchain_blocking(&args.rpc_url, address, &file.proof_bytes()?, &values)
    })?;
    let gas_used = verdict.gas_used;
    if !verdict.valid {
        let value = json!({ "valid": false, "gas_used": gas_used, "address": address.to_string() });
        return out.answer(false, &value, || vec![format!("INVALID on chain at {address}, {gas_used} gas")]);
    }
    let mut value = match &claim {
        Some(claim) => serde_json::to_value(claim)?,
        None => serde_json::to_value(&proven)?,
    };
    value["valid"] = json!(true);
    value["gas_used"] = json!(gas_used);
    value["address"] = json!(address.to_string());
    out.finish(&value, || {
        let mut lines = match &claim {
            Some(claim) => claim_lines(claim, &format!("on chain at {address}")),
            None => vec![
                format!(
                    "VALID on chain at {address}: wallet {} has raw outputs {:?}",
                    proven.wallet, proven.raw_outputs
                ),
                format!("commitment  {}", proven.commitment),
                "(pass --package PKG_DIR to decode the outputs and check the model)".into(),
            ],
        };
        lines.push(format!("gas         {gas_used}"));
        lines
    })
}
