//! `loopx batch` (prove many wallets: resumable, shardable, bad rows reported) and
//! `loopx batch-verify` (check a directory of proofs).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use loopx_batch::{BatchInput, BatchOptions, BatchProver, BatchVerifier, Parallelism, ProofStore, Shard};
use loopx_batch::{ProofCheck, RowOutcome};
use loopx_prover::{Package, TranscriptKind};
use loopx_srs::SrsPolicy;
use serde_json::json;

use crate::report::Reporter;

/// Seconds between progress lines when stderr is not a terminal (logs of a Job, CI, a file).
const PROGRESS_LINE_INTERVAL: Duration = Duration::from_secs(10);

/// Failed rows echoed on stderr as they happen; the rest are only in the error log.
const FAILURES_SHOWN: usize = 10;

/// Arguments of `loopx batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The package directory (after `loopx setup`).
    pub package: PathBuf,
    /// The rows: JSON Lines `{"wallet": "0x…", "features": [...] | {"name": value}}`, or CSV
    /// (`.csv`) with a header `wallet,<feature names>`.
    #[arg(long, conflicts_with = "credentials", required_unless_present = "credentials")]
    pub inputs: Option<PathBuf>,
    /// Or a directory of issuer credentials (`loopx credential issue --inputs … -o DIR`): each
    /// is checked and its committed features proven with its salt.
    #[arg(long)]
    pub credentials: Option<PathBuf>,
    /// With `--credentials`: only credentials of this issuer are proven (others are failed rows).
    #[arg(long, requires = "credentials")]
    pub issuer: Option<String>,
    /// Directory for the proofs, `manifest.jsonl` and `errors.jsonl` (created if missing). Rows
    /// whose proof is already there are skipped, so rerunning resumes a stopped batch.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Proofs in flight; the cores are shared among them [default: one single-threaded proof
    /// per core].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Prove only slice I of N (0 ≤ I < N): the data rows whose 0-based index is I modulo N.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Make the proofs for `loopx aggregate`: in the Poseidon transcript the aggregation circuit
    /// verifies cheaply (verifiable natively by `loopx verify`, not by the single-proof Solidity
    /// verifier).
    #[arg(long)]
    pub for_aggregation: bool,
}

/// Runs `loopx batch`; exit status 1 when some rows failed.
pub fn run_batch(args: BatchArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    let input = match (&args.credentials, &args.inputs) {
        (Some(dir), _) => {
            let issuer = args
                .issuer
                .as_deref()
                .map(|i| super::credential::parse_address(i, "--issuer"))
                .transpose()?;
            BatchInput::credentials(dir, issuer)
        }
        (None, Some(file)) => BatchInput::new(file),
        (None, None) => bail!("give --inputs ROWS.jsonl|csv or --credentials DIR"),
    };
    let shard = args.shard.unwrap_or(Shard::ALL);
    let parallelism =
        args.jobs.map_or_else(Parallelism::default, |jobs| Parallelism::with_jobs(jobs as usize));
    let (rows, _) = out.step("Counting rows", || input.count_rows())?;
    let rows = shard.rows_of(rows);
    let (prover, _) = out.step("Loading the proving key", || BatchProver::load(&dir, SrsPolicy::AllowDev))?;
    let transcript = if args.for_aggregation { TranscriptKind::Poseidon } else { TranscriptKind::Evm };
    let prover = prover.with_transcript(transcript);
    let store = ProofStore::create(&args.out).with_context(|| format!("preparing {}", args.out.display()))?;
    let mut progress = Progress::new(rows as u64, "rows");
    let mut failures_shown = 0;
    let options = BatchOptions { parallelism, shard };
    let summary = prover
        .run(&input, &store, &options, |outcome| match outcome {
            RowOutcome::Proved { .. } => progress.advance("proved"),
            RowOutcome::Skipped(_) => progress.skip(),
            RowOutcome::Failed(failed) => {
                progress.advance("failed");
                failures_shown += 1;
                if failures_shown <= FAILURES_SHOWN {
                    progress.println(&format!("row {} failed: {}", failed.row, failed.reason));
                } else if failures_shown == FAILURES_SHOWN + 1 {
                    progress.println("more rows failed; see the error log");
                }
            }
        })
        .with_context(|| format!("proving the rows of {}", input.path().display()))?;
    progress.finish();
    let mut value = serde_json::to_value(&summary)?;
    value["rows"] = json!(summary.proved + summary.skipped + summary.failed);
    value["proofs_dir"] = json!(store.path());
    value["transcript"] = json!(transcript.name());
    out.answer(summary.failed == 0, &value, || {
        let mut lines = vec![
            format!(
                "{} rows{}: proved {}, skipped {} (already proven), failed {}",
                summary.proved + summary.skipped + summary.failed,
                if shard.is_all() { String::new() } else { format!(" of shard {shard}") },
                summary.proved,
                summary.skipped,
                summary.failed
            ),
            format!(
                "{:.1} s, {:.2} proofs/s ({} jobs × {} thread{})",
                summary.seconds,
                summary.proofs_per_second,
                summary.jobs,
                summary.threads_per_proof,
                if summary.threads_per_proof == 1 { "" } else { "s" }
            ),
            format!("proofs in {}, listed in {}", store.path().display(), summary.manifest.display()),
        ];
        if summary.failed > 0 {
            let rows = if summary.failed == 1 { "row" } else { "rows" };
            lines.push(format!("{} {rows} failed: see {}", summary.failed, summary.errors.display()));
        }
        lines
    })
}

/// Arguments of `loopx batch-verify`.
#[derive(Debug, Args)]
pub struct BatchVerifyArgs {
    /// The package directory.
    pub package: PathBuf,
    /// The directory of proofs (`loopx batch -o`).
    pub proofs: PathBuf,
}

/// Runs `loopx batch-verify`; exit status 1 when a proof is invalid.
pub fn run_batch_verify(args: BatchVerifyArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    let store = ProofStore::open(&args.proofs)?;
    let files = store.proof_files()?.count();
    if files == 0 {
        bail!("{} holds no proof files (*.json)", args.proofs.display());
    }
    let (verifier, _) =
        out.step("Loading the verifying key", || BatchVerifier::load(&dir, SrsPolicy::AllowDev))?;
    let mut progress = Progress::new(files as u64, "proofs");
    let mut invalid: Vec<ProofCheck> = Vec::new();
    let summary = verifier.verify_dir(&store, |check| {
        if let Some(problem) = &check.problem {
            progress.advance("invalid");
            progress.println(&format!("INVALID {}: {problem}", check.file.display()));
            invalid.push(check.clone());
        } else {
            progress.advance("valid");
        }
    })?;
    progress.finish();
    let value = json!({
        "valid": summary.valid,
        "invalid": summary.invalid,
        "all_valid": summary.invalid == 0,
        "seconds": summary.seconds,
        "invalid_proofs": invalid,
    });
    out.answer(summary.invalid == 0, &value, || {
        vec![if summary.invalid == 0 {
            format!("VALID: all {} proofs verify ({:.1} s)", summary.valid, summary.seconds)
        } else {
            format!(
                "INVALID: {} of {} proofs do not verify",
                summary.invalid,
                summary.valid + summary.invalid
            )
        }]
    })
}

/// Progress of a long run on stderr: a bar with rate and ETA on a terminal, a plain line every
/// [`PROGRESS_LINE_INTERVAL`] otherwise.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    unit: &'static str,
    total: u64,
    done: u64,
    counts: Vec<(&'static str, u64)>,
    start: Instant,
    last_line: Instant,
}

impl Progress {
    pub(crate) fn new(total: u64, unit: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let template = format!(
                "{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit} · {{per_sec}} · ETA {{eta}} · {{msg}}"
            );
            bar.set_style(ProgressStyle::with_template(&template).expect("valid template").progress_chars("=> "));
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Progress { bar, unit, total, done: 0, counts: Vec::new(), start: now, last_line: now }
    }

    fn count(&mut self, what: &'static str) {
        match self.counts.iter_mut().find(|(name, _)| *name == what) {
            Some((_, n)) => *n += 1,
            None => self.counts.push((what, 1)),
        }
    }

    fn message(&self) -> String {
        self.counts.iter().map(|(what, n)| format!("{what} {n}")).collect::<Vec<_>>().join(", ")
    }

    /// One item done with work (it counts toward the rate).
    pub(crate) fn advance(&mut self, what: &'static str) {
        self.count(what);
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(self.message());
        }
        self.maybe_line();
    }

    /// One item done without work: it leaves the bar so rate and ETA describe the real work.
    pub(crate) fn skip(&mut self) {
        self.count("skipped");
        self.total = self.total.saturating_sub(1);
        if let Some(bar) = &self.bar {
            bar.set_length(self.total);
            bar.set_message(self.message());
        }
        self.maybe_line();
    }

    fn maybe_line(&mut self) {
        if self.bar.is_some() || self.last_line.elapsed() < PROGRESS_LINE_INTERVAL {
            return;
        }
        self.last_line = Instant::now();
        let seconds = self.start.elapsed().as_secs_f64();
        let rate = self.done as f64 / seconds.max(1e-9);
        let left = self.total.saturating_sub(self.done);
        let eta = if rate > 0.0 { format!("{:.0} s", left as f64 / rate) } else { "?".into() };
        crate::report::note(format_args!(
            "{}/{} {} ({}) · {rate:.2}/s · ETA {eta}",
            self.done,
            self.total,
            self.unit,
            self.message()
        ));
    }

    pub(crate) fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => crate::report::note(line),
        }
    }

    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
