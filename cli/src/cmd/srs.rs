//! `loopx srs`: dev SRS generation, import of a powers-of-tau ceremony file, and inspection.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use loopx_srs::file_sha256;
use loopx_srs::ptau::PtauFile;
use loopx_srs::{import_ptau, Srs, SrsSource};

use serde_json::json;

use crate::report::Reporter;

/// `loopx srs …`
#[derive(Debug, Subcommand)]
pub enum SrsCommand {
    /// Generate an INSECURE dev SRS (its toxic waste is public): for tests only.
    New(NewArgs),
    /// Import a snarkjs powers-of-tau ceremony file (`.ptau`, bn128) as an SRS for `loopx setup`.
    ImportPtau(ImportPtauArgs),
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

/// Arguments of `loopx srs import-ptau`.
#[derive(Debug, Args)]
pub struct ImportPtauArgs {
    /// The `.ptau` file (e.g. a Hermez/Polygon `powersOfTau28_hez_final_NN.ptau`, or `snarkjs
    /// powersoftau` output, with or without `prepare phase2`).
    pub ptau: PathBuf,
    /// Output SRS file.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// log2 of the number of points to keep (default: all the file holds).
    #[arg(long)]
    pub k: Option<u32>,
}

/// From this k on, computing the Lagrange basis of an unprepared `.ptau` file takes minutes.
const SLOW_LAGRANGE_K: u32 = 14;

/// Runs the command.
pub fn run(command: SrsCommand, out: Reporter) -> anyhow::Result<ExitCode> {
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
        SrsCommand::ImportPtau(args) => {
            let ptau = PtauFile::open(&args.ptau)?;
            let k = args.k.unwrap_or(ptau.power);
            if !ptau.prepared && k >= SLOW_LAGRANGE_K {
                out.warn(&format!(
                    "{} has no Lagrange sections, so they are computed now, which takes long at k = {k} \
                     (hours at k = 20); `snarkjs powersoftau prepare phase2` adds them",
                    args.ptau.display()
                ));
            }
            let (import, took) =
                out.step(&format!("Importing {}", args.ptau.display()), || import_ptau(&args.ptau, args.k))?;
            import.srs.save(&args.out)?;
            let ceremony = &import.ceremony;
            let value = json!({
                "k": import.srs.k(),
                "dev_srs": false,
                "source": import.srs.source(),
                "ceremony": ceremony,
                "file": args.out,
                "sha256": file_sha256(&args.out)?,
                "import_seconds": took.as_secs_f64(),
            });
            out.finish(&value, || {
                vec![
                    format!("SRS (k = {}) written to {}", import.srs.k(), args.out.display()),
                    format!(
                        "from {} (power {}), sha256 {}",
                        ceremony.file_name, ceremony.power, ceremony.sha256
                    ),
                    "compare that hash with the one the ceremony published".to_string(),
                ]
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
