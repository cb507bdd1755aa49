//! The on-chain commands: `loopx solidity`, `loopx evm`, `loopx deploy`, `loopx verify-onchain`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use loopx_prover::{PackageDir, ProofFile};
use loopx_verifier_contract::{
    deploy_blocking, package_verifier, verify_in_evm, verify_onchain_blocking, Address, PackageVerifier,
};
use serde_json::json;

use crate::report::Reporter;

/// Arguments of `loopx solidity`.
#[derive(Debug, Args)]
pub struct SolidityArgs {
    /// The package directory (after `loopx setup`).
    pub package: PathBuf,
    /// Where to write the Solidity source (the ABI goes beside it as `*.abi.json`).
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
}

/// Arguments of `loopx evm`.
#[derive(Debug, Args)]
pub struct EvmArgs {
    /// The package directory.
    pub package: PathBuf,
    /// The proof file.
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
}

/// Generates (or reuses) and compiles the package's verifier.
pub fn verifier(dir: &PackageDir, out: Reporter) -> anyhow::Result<PackageVerifier> {
    Ok(out.step("Generating and compiling the Solidity verifier", || package_verifier(dir))?.0)
}

/// Runs `loopx solidity`.
pub fn run_solidity(args: SolidityArgs, out: Reporter) -> anyhow::Result<()> {
    let dir = PackageDir::open(&args.package)?;
    let dev_srs = dir.verifying_key()?.0.dev_srs;
    let verifier = verifier(&dir, out)?;
    let abi = verifier
        .write_solidity(&args.out, dev_srs)
        .with_context(|| format!("writing {}", args.out.display()))?;
    let value = json!({
        "solidity": args.out,
        "abi": abi,
        "deployed_bytes": verifier.deployed_size,
        "proof_bytes": verifier.generated.proof_len,
        "instances": verifier.generated.num_instances,
        "vk_digest": verifier.generated.vk_digest,
        "dev_srs": dev_srs,
    });
    out.finish(&value, || {
        vec![
            format!("verifier written to {} (ABI: {})", args.out.display(), abi.display()),
            format!("runtime code {} bytes (EIP-170 limit 24576)", verifier.deployed_size),
            "interface: verifyProof(bytes proof, uint256[] instances) view returns (bool)".into(),
        ]
    })
}

/// Verifies a proof file in the embedded EVM; returns `(valid, gas)`.
pub fn evm_check(dir: &PackageDir, file: &ProofFile, out: Reporter) -> anyhow::Result<(bool, u64, usize)> {
    let verifier = verifier(dir, out)?;
    let (verdict, _) = out.step("Verifying in the embedded EVM", || {
        verify_in_evm(&verifier.creation_code, &file.proof_bytes()?, &file.instance_values()?)
    })?;
    Ok((verdict.valid, verdict.gas_used, verifier.deployed_size))
}

/// Runs `loopx evm`; exits non-zero when the proof is invalid.
pub fn run_evm(args: EvmArgs, out: Reporter) -> anyhow::Result<()> {
    let dir = PackageDir::open(&args.package)?;
    let file = ProofFile::load(&args.proof)?;
    let (valid, gas_used, size) = evm_check(&dir, &file, out)?;
    let value =
        json!({ "valid": valid, "gas_used": gas_used, "deployed_bytes": size, "model_id": file.model_id });
    out.finish(&value, || {
        vec![format!(
            "{} in the embedded EVM, {gas_used} gas (verifier {size} bytes)",
            if valid { "VALID" } else { "INVALID" }
        )]
    })?;
    if !valid {
        std::process::exit(1);
    }
    Ok(())
}

/// Runs `loopx deploy`.
pub fn run_deploy(args: DeployArgs, out: Reporter) -> anyhow::Result<()> {
    let dir = PackageDir::open(&args.package)?;
    let dev_srs = dir.verifying_key()?.0.dev_srs;
    if dev_srs {
        out.warn(
            "deploying a verifier for keys made from an INSECURE dev SRS: anyone can forge proofs it accepts",
        );
    }
    let verifier = verifier(&dir, out)?;
    let (address, _) = out.step("Deploying the verifier", || {
        deploy_blocking(&args.rpc_url, &args.private_key, &verifier.creation_code)
    })?;
    let value = json!({
        "address": address.to_string(),
        "model_id": dir.package.model_id,
        "deployed_bytes": verifier.deployed_size,
        "dev_srs": dev_srs,
    });
    out.finish(&value, || vec![format!("verifier for {} deployed at {address}", dir.package.model_id)])
}

/// Runs `loopx verify-onchain`; exits non-zero when the proof is invalid.
pub fn run_verify_onchain(args: VerifyOnchainArgs, out: Reporter) -> anyhow::Result<()> {
    let file = ProofFile::load(&args.proof)?;
    let address: Address = args
        .address
        .parse()
        .with_context(|| format!("--address `{}` is not a 20-byte hex address", args.address))?;
    let (verdict, _) = out.step("Verifying on chain", || {
        verify_onchain_blocking(&args.rpc_url, address, &file.proof_bytes()?, &file.instance_values()?)
    })?;
    let value =
        json!({ "valid": verdict.valid, "gas_used": verdict.gas_used, "address": address.to_string() });
    out.finish(&value, || {
        vec![format!(
            "{} on chain at {address}, {} gas",
            if verdict.valid { "VALID" } else { "INVALID" },
            verdict.gas_used
        )]
    })?;
    if !verdict.valid {
        std::process::exit(1);
    }
    Ok(())
}
