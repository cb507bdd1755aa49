//! `loopx srs`: dev SRS generation and inspection.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Subcommand};
use loopx_prover::srs::file_sha256;
use loopx_prover::{Srs, SrsSource};
use serde_json::json;

use crate::report::Reporter;

/// `loopx srs …`
#[derive(Debug, Subcommand)]
pub enum SrsCommand {
    /// Generate an INSECURE dev SRS (its toxic waste is public): for tests only.
    New(NewArgs),
    /// Show an SRS file's size, provenance and SHA-256.
    Info {
        /// The SRS file.
        file: PathBuf,
    },
}

/// Arguments of `loopx srs new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// log2 of the number of points.
    #[arg(long)]
    pub k: u32,
    /// Output file.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Acknowledge that the SRS is insecure (required).
    #[arg(long)]
    pub dev: bool,
}

/// Runs the command.
pub fn run(command: SrsCommand, out: Reporter) -> anyhow::Result<()> {
    match command {
        SrsCommand::New(args) => {
            if !args.dev {
                bail!("`loopx srs new` only makes insecure dev SRS files; pass --dev to confirm, or use `loopx srs import-ptau` for a real ceremony");
            }
            let (srs, _) =
                out.step(&format!("Generating a dev SRS with 2^{} points", args.k), || Srs::dev(args.k))?;
            srs.save(&args.out)?;
            let value =
                json!({ "k": srs.k(), "dev_srs": true, "file": args.out, "sha256": file_sha256(&args.out)? });
            out.finish(&value, || {
                vec![format!(
                    "dev SRS (k = {}) written to {} — INSECURE, testing only",
                    srs.k(),
                    args.out.display()
                )]
            })
        }
        SrsCommand::Info { file } => {
            let (srs, took) = out.step("Loading the SRS", || Srs::load(&file))?;
            let sha256 = file_sha256(&file)?;
            let value = json!({
                "k": srs.k(),
                "source": srs.source(),
                "dev_srs": srs.is_dev(),
                "sha256": sha256,
                "load_seconds": took.as_secs_f64(),
            });
            out.finish(&value, || {
                let source = match srs.source() {
                    SrsSource::Dev => "dev (INSECURE: toxic waste is public)".to_string(),
                    SrsSource::Ceremony { description } => format!("ceremony: {description}"),
                };
                vec![
                    format!("k        {}", srs.k()),
                    format!("source   {source}"),
                    format!("sha256   {sha256}"),
                ]
            })
        }
    }
}
