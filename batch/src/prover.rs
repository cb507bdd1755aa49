//! [`BatchProver`]: one model's proving key and SRS, loaded once, proving rows across workers
//! into a [`ProofStore`], with what became of each row ([`RowOutcome`], [`FailedRow`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use loopx_models::ModelPackage;
use loopx_prover::{
    format_wallet, random_salt, ModelKeys, Package, PackageProver, ProofFile, ProofRequest, TranscriptKind,
};
use loopx_srs::{Srs, SrsPolicy};
use serde::{Deserialize, Serialize};

use crate::error::{BatchError, Result};
use crate::{BatchInput, BatchOptions, InputRow, ManifestEntry, Parallelism, ProofStore, WalletRow};

/// Rows queued per worker: enough that a worker never waits for the reader, few enough that
/// memory does not depend on the input's size.
const QUEUE_PER_JOB: usize = 4;

/// Temporary files older than this in the proofs directory are debris of a killed run. A live
/// one exists for milliseconds (write, sync, link), so this leaves another shard's alone.
const STALE_TEMP_AGE: Duration = Duration::from_secs(10 * 60);

/// Stack of the proving threads: as large as a main thread's, since with one thread per proof
/// the whole of halo2's synthesis and proving runs on it.
const PROVER_STACK_BYTES: usize = 8 << 20;

/// A row that could not be proven, as written to `errors.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRow {
    /// 1-based data row of the input file.
    pub row: usize,
    /// The row's wallet as written, when it could be read.
    pub wallet: Option<String>,
    /// Why the row was not proven.
    pub reason: String,
}

impl FailedRow {
    /// A failed row.
    pub fn new(row: usize, wallet: Option<String>, reason: impl Into<String>) -> Self {
        FailedRow { row, wallet, reason: reason.into() }
    }
}

/// What became of one row.
#[derive(Clone, Debug, PartialEq)]
pub enum RowOutcome {
    /// Proven in this run.
    Proved {
        /// The proof's manifest line.
        entry: ManifestEntry,
        /// Proving time.
        seconds: f64,
    },
    /// Its proof already existed (an earlier run, or an identical earlier row).
    Skipped(ManifestEntry),
    /// Not proven.
    Failed(FailedRow),
}

impl RowOutcome {
    /// The row's 1-based number.
    pub fn row(&self) -> usize {
        match self {
            RowOutcome::Proved { entry, .. } | RowOutcome::Skipped(entry) => entry.row,
            RowOutcome::Failed(failed) => failed.row,
        }
    }
}
/// The result of a batch run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchSummary {
    /// Rows proven in this run.
    pub proved: usize,
    /// Rows whose proof already existed.
    pub skipped: usize,
    /// Rows that failed (listed in the error log).
    pub failed: usize,
    /// Wall-clock time of the run.
    pub seconds: f64,
    /// `proved / seconds`.
    pub proofs_per_second: f64,
    /// Proofs in flight.
    pub jobs: usize,
    /// Threads per proof.
    pub threads_per_proof: usize,
    /// The slice proven, `I/N`.
    pub shard: String,
    /// The manifest of every proof the slice's rows have.
    pub manifest: PathBuf,
    /// The failed rows of this run.
    pub errors: PathBuf,
    /// Temporary files of killed runs that were cleaned up.
    pub stale_temp_files_removed: usize,
}

/// Proves many rows with one model; holds the proving key and the SRS.
#[derive(Debug)]
pub struct BatchProver {
    prover: PackageProver,
    transcript: TranscriptKind,
}

impl BatchProver {
    /// Loads the package's proving key and SRS (once, for every row), if `policy` admits the SRS.
    pub fn load(dir: &Package, policy: SrsPolicy) -> Result<Self> {
        Ok(BatchProver { prover: dir.prover(policy)?, transcript: TranscriptKind::Evm })
    }

    /// A prover from parts; the keys must belong to the package and the SRS be large enough.
    pub fn new(package: ModelPackage, keys: ModelKeys, srs: Srs) -> Result<Self> {
        Ok(BatchProver { prover: PackageProver::new(package, keys, srs)?, transcript: TranscriptKind::Evm })
    }

    /// The model package.
    pub fn package(&self) -> &ModelPackage {
        self.prover.package()
    }

    /// Makes proofs in `transcript` ([`TranscriptKind::Poseidon`]: for `loopx aggregate`); an
    /// existing proof in another transcript is reported as a failed row, never skipped as done.
    pub fn with_transcript(mut self, transcript: TranscriptKind) -> Self {
        self.transcript = transcript;
        self
    }

    /// The transcript proofs are made in.
    pub fn transcript(&self) -> TranscriptKind {
        self.transcript
    }

    /// Proves one row into `store`, unless its proof is there already. `Err` only for a failure
    /// of the store (a full disk, say), which would fail every row; a bad row is
    /// `Ok(RowOutcome::Failed)`.
    pub fn prove_row(&self, row: &WalletRow, store: &ProofStore) -> Result<RowOutcome> {
        let wallet = format_wallet(&row.wallet);
        let fail =
            |reason: String| Ok(RowOutcome::Failed(FailedRow::new(row.row, Some(wallet.clone()), reason)));
        let features = match &row.opening {
            // A credential's integers are proven as committed (the model checks their ranges).
            Some(opening) => opening.features.clone(),
            None => match self.package().quantize_row(&row.values) {
                Ok(features) => features,
                Err(e) => return fail(e.to_string()),
            },
        };
        let name = ProofStore::proof_name(&self.package().model_id, &row.wallet, &features);
        if store.proof_path(&name).exists() {
            return Ok(self.existing(row.row, &name, store));
        }
        let salt = row.opening.as_ref().map_or_else(random_salt, |o| o.salt);
        let request = ProofRequest { features: &features, wallet: row.wallet, salt };
        // halo2 asserts on some internal inconsistencies instead of returning errors; one row
        // must not take the batch down with it.
        let file = match catch_unwind(AssertUnwindSafe(|| {
            self.prover.prove_with_transcript(&request, self.transcript)
        })) {
            Ok(Ok(file)) => file,
            Ok(Err(e)) => return fail(e.to_string()),
            Err(panic) => return fail(format!("the prover failed: {}", panic_message(&panic))),
        };
        let seconds = file.prove_seconds;
        if store.save_new(&name, &file)? {
            Ok(RowOutcome::Proved { entry: ManifestEntry::new(row.row, &name, &file), seconds })
        } else {
            // An identical row proven at the same time by another worker or shard got there first.
            Ok(self.existing(row.row, &name, store))
        }
    }

    /// The outcome of a row whose proof file `name` exists.
    fn existing(&self, row: usize, name: &str, store: &ProofStore) -> RowOutcome {
        let path = store.proof_path(name);
        match ProofFile::load(&path) {
            Ok(file) if file.model_id == self.package().model_id && file.transcript == self.transcript => {
                RowOutcome::Skipped(ManifestEntry::new(row, name, &file))
            }
            Ok(file) if file.model_id == self.package().model_id => RowOutcome::Failed(FailedRow::new(
                row,
                Some(file.wallet),
                format!(
                    "{name} holds a proof in the {} transcript, this run makes {} proofs; move it away to prove the row",
                    file.transcript.name(),
                    self.transcript.name()
                ),
            )),
            Ok(file) => RowOutcome::Failed(FailedRow::new(
                row,
                Some(file.wallet),
                format!(
                    "{name} holds a proof for model {}, not this one; move it away to prove the row",
                    file.model_id
                ),
            )),
            Err(e) => RowOutcome::Failed(FailedRow::new(
                row,
                None,
                format!(
                    "the existing proof file {name} is unreadable ({e}); delete it to prove the row again"
                ),
            )),
        }
    }

    /// Proves the rows of `input` in `options.shard` into `store`, calling `on_row` (on this
    /// thread) as each row is done. Writes the error log as rows fail and the manifest at the
    /// end. `Err` if the input cannot be read or the store written; bad rows are not errors.
    pub fn run(
        &self,
        input: &BatchInput,
        store: &ProofStore,
        options: &BatchOptions,
        mut on_row: impl FnMut(&RowOutcome),
    ) -> Result<BatchSummary> {
        let start = Instant::now();
        let Parallelism { jobs, threads_per_proof } = options.parallelism;
        let jobs = jobs.max(1);
        let stale_temp_files_removed = store.remove_stale_temp_files(STALE_TEMP_AGE)?;
        let rows = input.rows(self.package(), options.shard)?;
        let pools = (0..jobs)
            .map(|job| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads_per_proof.max(1))
                    .stack_size(PROVER_STACK_BYTES)
                    .thread_name(move |i| format!("loopx-prove-{job}.{i}"))
                    .build()
                    .map_err(|e| BatchError::Threads(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut manifest = store.manifest_writer(options.shard)?;
        let mut errors = store.error_writer(options.shard)?;
        let (mut proved, mut skipped, mut failed) = (0, 0, 0);
        let mut fatal = None;

        let stop = AtomicBool::new(false);
        let (task_tx, task_rx) = mpsc::sync_channel::<InputRow>(jobs * QUEUE_PER_JOB);
        let task_rx = Mutex::new(task_rx);
        let (done_tx, done_rx) = mpsc::channel::<Result<RowOutcome>>();
        std::thread::scope(|scope| {
            let stop = &stop;
            let reader = scope.spawn(move || -> Result<()> {
                for row in rows {
                    if stop.load(Ordering::Relaxed) || task_tx.send(row?).is_err() {
                        break;
                    }
                }
                Ok(())
            });
            for pool in &pools {
                let (task_rx, done_tx) = (&task_rx, done_tx.clone());
                scope.spawn(move || loop {
                    let task = task_rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(task) = task else { break };
                    if stop.load(Ordering::Relaxed) {
                        continue; // drain the queue so the reader can see the stop
                    }
                    let outcome = match task {
                        Ok(row) => pool.install(|| self.prove_row(&row, store)),
                        Err(failed) => Ok(RowOutcome::Failed(failed)),
                    };
                    if done_tx.send(outcome).is_err() {
                        break;
                    }
                });
            }
            drop(done_tx);
            for outcome in done_rx {
                let recorded = outcome.and_then(|outcome| {
                    match &outcome {
                        RowOutcome::Proved { entry, .. } | RowOutcome::Skipped(entry) => {
                            manifest.append(entry)?
                        }
                        RowOutcome::Failed(row) => errors.append(row)?,
                    }
                    Ok(outcome)
                });
                match recorded {
                    Ok(outcome) => {
                        match &outcome {
                            RowOutcome::Proved { .. } => proved += 1,
                            RowOutcome::Skipped(_) => skipped += 1,
                            RowOutcome::Failed(_) => failed += 1,
                        }
                        on_row(&outcome);
                    }
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        fatal.get_or_insert(e);
                    }
                }
            }
            let read =
                reader.join().unwrap_or_else(|_| Err(BatchError::Threads("the input reader failed".into())));
            if let Err(e) = read {
                fatal.get_or_insert(e);
            }
        });
        if let Some(e) = fatal {
            return Err(e);
        }
        let manifest = manifest.finish()?;
        let errors = errors.finish()?;
        let seconds = start.elapsed().as_secs_f64();
        Ok(BatchSummary {
            proved,
            skipped,
            failed,
            seconds,
            proofs_per_second: if seconds > 0.0 { proved as f64 / seconds } else { 0.0 },
            jobs,
            threads_per_proof,
            shard: options.shard.to_string(),
            manifest,
            errors,
            stale_temp_files_removed,
        })
    }
}

/// The text of a panic payload.
fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unexpected internal error".into())
}
