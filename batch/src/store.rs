//! The proofs directory of a batch: one proof file per proven row, named for the row's content
//! so a restarted batch recognises the rows it already proved; `errors.jsonl` (the rows that
//! failed in the last run) and `manifest.jsonl` (every proof the rows have, for a submission step).
//!
//! Crash safety: a proof file is written to a temporary file, synced, then linked into place
//! without replacing an existing file, so a proof file is either whole or absent, and two
//! workers (or two shards sharing the directory) proving the same row keep the first proof. The
//! manifest is built in a partial file and renamed into place at the end of a run.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{BatchError, Result};
use crate::Shard;
use loopx_prover::{format_wallet, ProofFile, ProverError};

/// Domain separator of the proof-name hash (bump it if the hashed encoding changes).
const PROOF_NAME_DOMAIN: &[u8] = b"loopx-batch-row-v1";

/// Hex digits of the row hash in a proof file name. Names only collide when the wallet is the
/// same too, so 64 bits leave n²/2^65 as the chance of a collision among n rows of one wallet.
const PROOF_NAME_HASH_HEX: usize = 16;

/// Prefix of the temporary files `tempfile` creates beside a file being written atomically.
const TEMP_PREFIX: &str = ".tmp";

/// One line of `manifest.jsonl`: a proof and the input row it proves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// 1-based data row of the input file.
    pub row: usize,
    /// The proof file's name, relative to the proofs directory.
    pub file: String,
    /// The wallet the proof is bound to.
    pub wallet: String,
    /// The public commitment to the wallet's features.
    pub commitment: String,
    /// The decoded public outputs.
    pub outputs: Vec<f64>,
}

impl ManifestEntry {
    /// The entry of `proof`, stored as `file`, for input row `row`.
    pub fn new(row: usize, file: &str, proof: &ProofFile) -> Self {
        ManifestEntry {
            row,
            file: file.to_string(),
            wallet: proof.wallet.clone(),
            commitment: proof.commitment.clone(),
            outputs: proof.outputs.clone(),
        }
    }
}

/// A batch's output directory.
#[derive(Clone, Debug)]
pub struct ProofStore {
    dir: PathBuf,
}

impl ProofStore {
    /// Opens `dir`, creating it if needed.
    pub fn create(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| BatchError::io("create the directory", &dir, e))?;
        Ok(ProofStore { dir })
    }

    /// Opens an existing directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        if !dir.is_dir() {
            let error = std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory");
            return Err(BatchError::io("open", &dir, error));
        }
        Ok(ProofStore { dir })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The file name of the proof of `features` (quantized) for `wallet` under `model_id`:
    /// `<wallet>-<16 hex digits of SHA-256(domain, model_id, wallet, features)>.json`. It
    /// depends on what is proven, not on how the row was written (CSV or JSON, number
    /// formatting) nor where it sits in the file, so reordered or merged inputs still resume.
    pub fn proof_name(model_id: &str, wallet: &[u8; 20], features: &[i64]) -> String {
        let mut hash = Sha256::new();
        hash.update(PROOF_NAME_DOMAIN);
        hash.update((model_id.len() as u64).to_le_bytes());
        hash.update(model_id.as_bytes());
        hash.update(wallet);
        hash.update((features.len() as u64).to_le_bytes());
        for v in features {
            hash.update(v.to_le_bytes());
        }
        let digest = hex::encode(hash.finalize());
        format!("{}-{}.json", format_wallet(wallet), &digest[..PROOF_NAME_HASH_HEX])
    }

    /// The path of a proof file named `name`.
    pub fn proof_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `proof` as `name` unless a file of that name exists; `Ok(false)` if it did (the
    /// existing proof is kept).
    pub fn save_new(&self, name: &str, proof: &ProofFile) -> Result<bool> {
        let path = self.proof_path(name);
        let text =
            serde_json::to_string_pretty(proof).map_err(|e| ProverError::InvalidProofFile(e.to_string()))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.dir)
            .map_err(|e| BatchError::io("create a file in", &self.dir, e))?;
        tmp.write_all(text.as_bytes()).map_err(|e| BatchError::io("write", &path, e))?;
        tmp.as_file().sync_all().map_err(|e| BatchError::io("sync", &path, e))?;
        match tmp.persist_noclobber(&path) {
            Ok(_) => Ok(true),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(BatchError::io("write", &path, e.error)),
        }
    }

    /// The proof files in the directory (`*.json`, not hidden), in no particular order, read
    /// lazily from the directory listing.
    pub fn proof_files(&self) -> Result<impl Iterator<Item = Result<PathBuf>> + '_> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| BatchError::io("list", &self.dir, e))?;
        Ok(entries.filter_map(move |entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => return Some(Err(BatchError::io("list", &self.dir, e))),
            };
            let name = entry.file_name();
            let name = name.to_str()?;
            let is_proof = !name.starts_with('.')
                && name.ends_with(".json")
                && entry.file_type().is_ok_and(|t| t.is_file());
            is_proof.then(|| Ok(entry.path()))
        }))
    }

    /// Removes temporary files left by a killed run that are older than `age` (younger ones may
    /// belong to another shard writing into the same directory right now); returns how many.
    pub fn remove_stale_temp_files(&self, age: Duration) -> Result<usize> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| BatchError::io("list", &self.dir, e))?;
        let now = SystemTime::now();
        let mut removed = 0;
        for entry in entries.flatten() {
            let is_temp = entry.file_name().to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX));
            let Ok(meta) = entry.metadata() else { continue };
            let old = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|elapsed| elapsed >= age);
            if is_temp && meta.is_file() && old && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Where a run over `shard` writes its manifest: `manifest.jsonl`, or
    /// `manifest-I-of-N.jsonl` for a slice, so shards sharing a directory do not overwrite
    /// each other's.
    pub fn manifest_path(&self, shard: Shard) -> PathBuf {
        self.dir.join(Self::per_shard("manifest", shard))
    }

    /// Where a run over `shard` writes its failed rows: `errors.jsonl` or `errors-I-of-N.jsonl`.
    pub fn errors_path(&self, shard: Shard) -> PathBuf {
        self.dir.join(Self::per_shard("errors", shard))
    }

    fn per_shard(stem: &str, shard: Shard) -> String {
        if shard.is_all() {
            format!("{stem}.jsonl")
        } else {
            format!("{stem}-{}-of-{}.jsonl", shard.index(), shard.count())
        }
    }

    /// Starts the manifest of a run over `shard`.
    pub(crate) fn manifest_writer(&self, shard: Shard) -> Result<JsonLinesWriter> {
        let path = self.manifest_path(shard);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("manifest.jsonl");
        let partial = self.dir.join(format!(".{name}.partial"));
        JsonLinesWriter::create(partial, Some(path))
    }

    /// Starts the error log of a run over `shard` (it replaces the previous run's: the rows
    /// that failed then are read again now).
    pub(crate) fn error_writer(&self, shard: Shard) -> Result<JsonLinesWriter> {
        JsonLinesWriter::create(self.errors_path(shard), None)
    }
}

/// A JSON Lines file being written: either in place, flushed line by line (the error log, so it
/// can be watched), or as a partial file renamed to its final name by
/// [`finish`](JsonLinesWriter::finish) (the manifest, so readers never see half of it).
#[derive(Debug)]
pub(crate) struct JsonLinesWriter {
    path: PathBuf,
    rename_to: Option<PathBuf>,
    out: BufWriter<File>,
}

impl JsonLinesWriter {
    fn create(path: PathBuf, rename_to: Option<PathBuf>) -> Result<Self> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| BatchError::io("create", &path, e))?;
        Ok(JsonLinesWriter { path, rename_to, out: BufWriter::new(file) })
    }

    /// Appends one record.
    pub(crate) fn append<T: Serialize>(&mut self, record: &T) -> Result<()> {
        let line =
            serde_json::to_string(record).map_err(|e| BatchError::io("encode", &self.path, e.into()))?;
        let io = |e| BatchError::io("write", &self.path, e);
        writeln!(self.out, "{line}").map_err(io)?;
        if self.rename_to.is_none() {
            self.out.flush().map_err(io)?;
        }
        Ok(())
    }

    /// Flushes, syncs and (for a partial file) moves the file to its final name.
    pub(crate) fn finish(self) -> Result<PathBuf> {
        let JsonLinesWriter { path, rename_to, out } = self;
        let file = out.into_inner().map_err(|e| BatchError::io("write", &path, e.into_error()))?;
        file.sync_all().map_err(|e| BatchError::io("sync", &path, e))?;
        match rename_to {
            Some(target) => {
                std::fs::rename(&path, &target).map_err(|e| BatchError::io("write", &target, e))?;
                Ok(target)
            }
            None => Ok(path),
        }
    }
}
