//! Aggregating a whole directory of app proofs (`loopx batch --for-aggregation -o DIR`) in
//! chunks of N: the proofs are ordered by input row (then file name), chunk `i` covers proofs
//! `i·N .. (i+1)·N` and is written to `aggregate-{i:05}.json`; the last chunk is filled up by
//! repeating its last proof (marked `padding`; recording a wallet twice in one transaction is
//! idempotent). A rerun skips every chunk whose file exists and covers the same proofs, so a
//! killed run resumes where it stopped, and derives the proving key only when a chunk is left to
//! prove; `manifest.jsonl` lists every covered proof.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use loopx_batch::{ManifestEntry, ProofStore};
use loopx_prover::{ProofFile, TranscriptKind};
use serde::Serialize;

use crate::error::{AggregateError, Result};
use crate::file::{AggregateFile, CoveredProof, AGGREGATE_FORMAT_VERSION};
use crate::prove::AggregationProver;
use crate::verify::covered_claims;

/// Name of the run's manifest in the output directory.
pub const MANIFEST_FILE: &str = "manifest.jsonl";

/// One app proof of the directory, with the batch row that proved it when known.
#[derive(Clone, Debug)]
pub struct SourceProof {
    /// File name in the proofs directory.
    pub name: String,
    /// Input row (from the batch manifest), if known.
    pub row: Option<usize>,
    /// The proof file.
    pub file: ProofFile,
}

/// Reads every proof file of `dir` for `model_id`, in row order. Proofs of another model or in
/// the EVM transcript are refused by name: aggregating a directory silently in part would leave
/// wallets out.
pub fn read_proofs(dir: &Path, model_id: &str) -> Result<Vec<SourceProof>> {
    let store = ProofStore::open(dir).map_err(|e| AggregateError::InvalidInput(e.to_string()))?;
    let rows = batch_rows(dir);
    let mut proofs = Vec::new();
    for path in store.proof_files().map_err(|e| AggregateError::InvalidInput(e.to_string()))? {
        let path = path.map_err(|e| AggregateError::InvalidInput(e.to_string()))?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let refuse = |reason: String| AggregateError::AppProof { file: path.display().to_string(), reason };
        let file = ProofFile::load(&path).map_err(|e| refuse(e.to_string()))?;
        if file.model_id != model_id {
            return Err(refuse(format!("a proof of model {}, not {model_id}", file.model_id)));
        }
        if file.transcript != TranscriptKind::Poseidon {
            return Err(refuse(format!(
                "a proof in the {} transcript; prove with `loopx batch --for-aggregation`",
                file.transcript.name()
            )));
        }
        proofs.push(SourceProof { row: rows.get(&name).copied(), name, file });
    }
    proofs
        .sort_by(|a, b| (a.row.unwrap_or(usize::MAX), &a.name).cmp(&(b.row.unwrap_or(usize::MAX), &b.name)));
    Ok(proofs)
}

/// File name → input row, from the batch manifests (`manifest.jsonl`, `manifest-I-of-N.jsonl`)
/// of `dir`; unreadable lines are ignored (rows are only for people).
fn batch_rows(dir: &Path) -> HashMap<String, usize> {
    let Ok(entries) = std::fs::read_dir(dir) else { return HashMap::new() };
    entries
        .flatten()
        .filter(|e| {
            e.file_name().to_str().is_some_and(|n| n.starts_with("manifest") && n.ends_with(".jsonl"))
        })
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|line| serde_json::from_str::<ManifestEntry>(line).ok())
                .collect::<Vec<_>>()
        })
        .map(|entry| (entry.file, entry.row))
        .collect()
}

/// What happened to one chunk.
#[derive(Clone, Debug, Serialize)]
pub struct ChunkOutcome {
    /// Chunk index.
    pub index: usize,
    /// The aggregate file.
    pub file: PathBuf,
    /// Whether it was already there (a resumed run).
    pub skipped: bool,
    /// Real (non-padding) proofs it covers.
    pub covered: usize,
    /// Seconds spent aggregating it (0 when skipped).
    pub seconds: f64,
}

/// What a run did.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    /// App proofs in the directory.
    pub proofs: usize,
    /// Proofs per aggregate.
    pub per_aggregate: usize,
    /// Aggregates written by this run.
    pub aggregated: usize,
    /// Aggregates already there.
    pub skipped: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The manifest.
    pub manifest: PathBuf,
}

/// One line of `manifest.jsonl`: a covered proof and the aggregate that covers it.
#[derive(Clone, Debug, Serialize)]
struct ManifestLine<'a> {
    aggregate: String,
    slot: usize,
    #[serde(flatten)]
    covered: &'a CoveredProof,
}

/// Name of chunk `index`'s aggregate file.
pub fn chunk_file_name(index: usize) -> String {
    format!("aggregate-{index:05}.json")
}

/// One chunk of a run, decided before anything is proven.
struct Planned<'a> {
    index: usize,
    path: PathBuf,
    /// The chunk's proofs, the last repeated up to N.
    slots: Vec<&'a SourceProof>,
    covered: Vec<CoveredProof>,
    /// Real (non-padding) proofs.
    real: usize,
    /// Its aggregate file is already there and covers the same proofs.
    done: bool,
}

/// Decides what to do with chunk `index`: done if its file exists and covers the same proofs,
/// refused if the file covers others (the proofs directory changed), to prove otherwise.
fn plan<'a>(
    prover: &AggregationProver,
    out: &Path,
    index: usize,
    chunk: &'a [SourceProof],
) -> Result<Planned<'a>> {
    let n = prover.proofs();
    let path = out.join(chunk_file_name(index));
    let mut slots: Vec<&SourceProof> = chunk.iter().collect();
    while slots.len() < n {
        slots.push(&chunk[chunk.len() - 1]);
    }
    let covered = describe(prover, &slots, chunk.len())?;
    let done = path.exists();
    if done {
        let existing = AggregateFile::load(&path)?;
        let same = existing.model_id == prover.claims.package().model_id
            && existing.covered.iter().map(|c| &c.source).eq(covered.iter().map(|c| &c.source));
        if !same {
            return Err(AggregateError::InvalidInput(format!(
                "{} covers other proofs than this run's chunk {index} (the proofs directory changed?); \
                 move it away or aggregate into a new directory",
                path.display()
            )));
        }
    }
    Ok(Planned { index, path, slots, covered, real: chunk.len(), done })
}

/// Aggregates `proofs` in chunks into `out`, calling `on_chunk` as each is done. Every chunk is
/// decided first (done, refused, or to prove), so a run refuses a changed directory before
/// proving anything, and derives the proving key only if some chunk is left to prove.
pub fn aggregate_all(
    prover: &AggregationProver,
    proofs: &[SourceProof],
    out: &Path,
    mut on_chunk: impl FnMut(&ChunkOutcome),
) -> Result<RunSummary> {
    let start = Instant::now();
    if proofs.is_empty() {
        return Err(AggregateError::InvalidInput("no proofs to aggregate".into()));
    }
    std::fs::create_dir_all(out).map_err(|e| AggregateError::io("create", out, e))?;
    let n = prover.proofs();
    let chunks = proofs
        .chunks(n)
        .enumerate()
        .map(|(index, chunk)| plan(prover, out, index, chunk))
        .collect::<Result<Vec<_>>>()?;
    let (mut aggregated, mut skipped) = (0, 0);
    let mut lines = String::new();
    for chunk in chunks {
        let Planned { index, path, slots, covered, real, done } = chunk;
        let outcome = if done {
            skipped += 1;
            ChunkOutcome { index, file: path, skipped: true, covered: real, seconds: 0.0 }
        } else {
            let chunk_start = Instant::now();
            let named: Vec<_> = slots.iter().map(|s| (s.name.clone(), s.file.clone())).collect();
            let proof = prover.aggregate(&named)?;
            let seconds = chunk_start.elapsed().as_secs_f64();
            let setup = &prover.keys.setup;
            let file = AggregateFile {
                format_version: AGGREGATE_FORMAT_VERSION,
                model_id: setup.model_id.clone(),
                proofs: n,
                covered: covered.clone(),
                instances: AggregateFile::hex_instances(&proof.instances),
                proof: format!("0x{}", hex::encode(&proof.bytes)),
                k: setup.config.degree,
                vk_digest: setup.vk_digest.clone(),
                dev_srs: prover.keys.srs.is_dev(),
                aggregate_seconds: seconds,
            };
            file.save(&path)?;
            aggregated += 1;
            ChunkOutcome { index, file: path, skipped: false, covered: real, seconds }
        };
        for (slot, c) in covered.iter().enumerate() {
            let line = ManifestLine { aggregate: chunk_file_name(index), slot, covered: c };
            lines.push_str(
                &serde_json::to_string(&line).map_err(|e| AggregateError::InvalidInput(e.to_string()))?,
            );
            lines.push('\n');
        }
        on_chunk(&outcome);
    }
    let manifest = out.join(MANIFEST_FILE);
    loopx_srs::artifact::write_atomically(&manifest, lines.as_bytes()).map_err(loopx_srs::SrsError::from)?;
    Ok(RunSummary {
        proofs: proofs.len(),
        per_aggregate: n,
        aggregated,
        skipped,
        seconds: start.elapsed().as_secs_f64(),
        manifest,
    })
}

/// The coverage entries of a chunk's slots (the first `real` are its own proofs, the rest
/// padding), decoded from the proofs' instances as the aggregate will publish them.
fn describe(prover: &AggregationProver, slots: &[&SourceProof], real: usize) -> Result<Vec<CoveredProof>> {
    let layout = &prover.keys.setup.layout;
    let mut words = vec![halo2curves::bn256::Fr::from(0); crate::ACCUMULATOR_LIMBS];
    for slot in slots {
        words.extend(layout.compress(&slot.file.instance_values()?)?);
    }
    let claims = covered_claims(layout, &words)?;
    Ok(slots
        .iter()
        .zip(claims)
        .enumerate()
        .map(|(i, (slot, claim))| CoveredProof {
            source: slot.name.clone(),
            row: slot.row,
            wallet: claim.wallet,
            commitment: claim.commitment,
            outputs: prover.claims.package().quantized.decode_public_outputs(&claim.raw_outputs),
            raw_outputs: claim.raw_outputs,
            padding: i >= real,
        })
        .collect())
}
