//! `loopx`: prove attributes of a wallet with a quantized model, without revealing the features.
//!
//! A thin front end: it parses arguments, calls the LoopX libraries and prints (prose, or one
//! JSON object with `--json`). Exit code 0 means success — for verification, a valid proof.

// Dependency lists stay honest; test builds see the dev-dependencies too, so they are exempt.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod cmd;
mod report;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use report::Reporter;

/// LoopX prover: zero-knowledge proofs of wallet-model attributes (Halo2, KZG on BN254).
#[derive(Debug, Parser)]
#[command(name = "loopx", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Print one machine-readable JSON object on stdout.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a bundled wallet model end to end: compile, dev SRS, setup, prove, verify (native and EVM).
    Quickstart(cmd::quickstart::QuickstartArgs),
    /// Import an ONNX model, quantize it with calibration rows and write a model package.
    Compile(cmd::compile::CompileArgs),
    /// Run the quantized (circuit-exact) model on many rows against the float ONNX model: agreement, error, refusals.
    Eval(cmd::eval::EvalArgs),
    /// Generate proving and verifying keys for a package.
    Setup(cmd::keys::SetupArgs),
    /// Prove the model's output on private features, bound to a wallet.
    Prove(cmd::prove::ProveArgs),
    /// Verify a proof natively (exit code 0 iff valid).
    Verify(cmd::prove::VerifyArgs),
    /// Prove many wallets from a JSONL or CSV file: resumable, shardable, bad rows reported.
    Batch(cmd::batch::BatchArgs),
    /// Verify every proof in a directory (exit code 0 iff all are valid).
    BatchVerify(cmd::batch::BatchVerifyArgs),
    /// Aggregate a directory of proofs (`batch --for-aggregation`) into EVM-verifiable aggregates of up to N.
    Aggregate(cmd::aggregate::AggregateArgs),
    /// Write the package's Solidity verifier (and its ABI).
    Solidity(cmd::evm::SolidityArgs),
    /// Verify a proof in an embedded EVM (revm); prints validity and gas.
    Evm(cmd::evm::EvmArgs),
    /// Deploy the package's verifier to a chain over JSON-RPC.
    Deploy(cmd::evm::DeployArgs),
    /// Verify a proof with a deployed verifier over JSON-RPC (exit code 0 iff valid).
    VerifyOnchain(cmd::evm::VerifyOnchainArgs),
    /// Issuer credentials over wallet features: issue, check, publish in EAS, revoke.
    #[command(subcommand)]
    Credential(cmd::credential::CredentialCommand),
    /// The Ethereum Attestation Service and the AttestedAttributes consumer.
    #[command(subcommand)]
    Eas(cmd::eas::EasCommand),
    /// Submit a proof with its issuer evidence to an AttestedAttributes consumer.
    Submit(cmd::eas::SubmitArgs),
    /// Read the attribute a consumer recorded for a wallet.
    Attribute(cmd::eas::AttributeArgs),
    /// Structured reference strings.
    #[command(subcommand)]
    Srs(cmd::srs::SrsCommand),
    /// Serve the browser prover page (window.loopx) and packages under /packages/<dir name>/.
    Serve(cmd::serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Reporter { json: cli.json };
    let result = loopx_prover::cpu::check().map_err(anyhow::Error::from).and_then(|()| match cli.command {
        Command::Quickstart(args) => cmd::quickstart::run(args, out),
        Command::Compile(args) => cmd::compile::run(args, out),
        Command::Eval(args) => cmd::eval::run(args, out),
        Command::Setup(args) => cmd::keys::run(args, out),
        Command::Prove(args) => cmd::prove::run_prove(args, out),
        Command::Verify(args) => cmd::prove::run_verify(args, out),
        Command::Batch(args) => cmd::batch::run_batch(args, out),
        Command::BatchVerify(args) => cmd::batch::run_batch_verify(args, out),
        Command::Aggregate(args) => cmd::aggregate::run_aggregate(args, out),
        Command::Solidity(args) => cmd::evm::run_solidity(args, out),
        Command::Evm(args) => cmd::evm::run_evm(args, out),
        Command::Deploy(args) => cmd::evm::run_deploy(args, out),
        Command::VerifyOnchain(args) => cmd::evm::run_verify_onchain(args, out),
        Command::Credential(command) => cmd::credential::run(command, out),
        Command::Eas(command) => cmd::eas::run(command, out),
        Command::Submit(args) => cmd::eas::run_submit(args, out),
        Command::Attribute(args) => cmd::eas::run_attribute(args, out),
        Command::Srs(command) => cmd::srs::run(command, out),
        Command::Serve(args) => cmd::serve::run(args, out),
    });
    result.unwrap_or_else(|error| {
        let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
        if cli.json {
            // Best effort: stdout may be what failed.
            let _ = writeln!(std::io::stdout(), "{}", serde_json::json!({ "error": chain.join(": ") }));
        }
        report::note(format_args!("error: {}", chain.join("\n  caused by: ")));
        ExitCode::from(report::ERROR)
    })
}
