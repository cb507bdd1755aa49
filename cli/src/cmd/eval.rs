//! `loopx eval`: the quantized, circuit-exact model against the float ONNX model on many rows,
//! without proving — how users check fidelity on their own held-out data before they prove.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use loopx_batch::FeatureLayout;
use loopx_batch::{BatchInput, Shard};
use loopx_models::{agreement_on_rows, load_onnx, load_rows, GraphSummary, ModelError};
use loopx_prover::package::SOURCE_ONNX_FILE;
use loopx_prover::Package;
use serde_json::json;

use crate::report::Reporter;

/// Refusal reasons listed in the report (the rest are counted).
const REASONS_SHOWN: usize = 10;

/// Arguments of `loopx eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The package directory.
    pub package: PathBuf,
    /// The rows: `{"input_data": [[…], …]}` / `[[…], …]` (JSON), or JSON Lines / CSV as `loopx
    /// batch` reads them (the wallet column is ignored).
    #[arg(long)]
    pub inputs: PathBuf,
    /// The float ONNX model [default: the copy `loopx compile` keeps in the package].
    #[arg(long)]
    pub model: Option<PathBuf>,
}

/// Runs `loopx eval`.
pub fn run(args: EvalArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let dir = Package::open(&args.package)?;
    let package = &dir.package;
    let onnx_path = args.model.clone().unwrap_or_else(|| args.package.join(SOURCE_ONNX_FILE));
    if !onnx_path.exists() {
        bail!(
            "{} not found: give the float model with --model MODEL.onnx (packages compiled before `eval` \
             existed keep no copy)",
            onnx_path.display()
        );
    }
    let onnx = load_onnx(&onnx_path).with_context(|| format!("reading {}", onnx_path.display()))?;
    let summary = GraphSummary::of(&onnx.graph, onnx.producer.clone(), Some(onnx.opset));
    if summary != package.source {
        bail!("{} is not the model this package was compiled from (its graph differs)", onnx_path.display());
    }
    let (rows, took) = out.step("Reading the rows", || read_rows(&args.inputs, &dir))?;
    let mut accepted = Vec::with_capacity(rows.len());
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        match package.quantize_row(row) {
            Ok(_) => accepted.push(row.clone()),
            Err(e) => *refused.entry(reason(&e)).or_default() += 1,
        }
    }
    if accepted.is_empty() {
        bail!("every one of the {} rows was refused: {refused:?}", rows.len());
    }
    let (agreement, _) = out.step("Running the quantized and the float model", || {
        agreement_on_rows(&onnx.graph, &package.quantized, &accepted)
    })?;
    let refused_total: usize = refused.values().sum();
    let reasons: Vec<_> = refused
        .iter()
        .take(REASONS_SHOWN)
        .map(|(reason, rows)| json!({ "reason": reason, "rows": rows }))
        .collect();
    let value = json!({
        "model_id": package.model_id,
        "rows": rows.len(),
        "evaluated": accepted.len(),
        "refused": refused_total,
        "refusals": reasons,
        "argmax_agreement": agreement.argmax_agreement,
        "decision_agreement": agreement.decision_agreement,
        "max_abs_error": agreement.max_abs_error,
        "mean_abs_error": agreement.mean_abs_error,
        "read_seconds": took.as_secs_f64(),
    });
    out.finish(&value, || {
        let mut lines = vec![format!(
            "{} rows: {} evaluated, {refused_total} refused ({})",
            rows.len(),
            accepted.len(),
            package.model_id
        )];
        if let Some(a) = agreement.argmax_agreement {
            lines.push(format!("argmax agreement    {:.2}%", a * 100.0));
        }
        if let Some(d) = agreement.decision_agreement {
            lines.push(format!("decision agreement  {:.2}%", d * 100.0));
        }
        lines.push(format!(
            "score error         max {:.6}, mean {:.6} (float ONNX vs the circuit's integers, dequantized)",
            agreement.max_abs_error, agreement.mean_abs_error
        ));
        for (reason, n) in refused.iter().take(REASONS_SHOWN) {
            lines.push(format!("refused ×{n}: {reason}"));
        }
        lines
    })
}

/// Every row of the file, in the package's feature order.
fn read_rows(path: &Path, dir: &Package) -> anyhow::Result<Vec<Vec<f64>>> {
    let package = &dir.package;
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        return Ok(load_rows(path, package.schema.as_ref(), package.features())?);
    }
    let mut rows = Vec::new();
    for row in BatchInput::new(path).rows(FeatureLayout::from(package), Shard::ALL)? {
        match row? {
            Ok(row) => rows.push(row.values),
            Err(failed) => bail!("row {} of {}: {}", failed.row, path.display(), failed.reason),
        }
    }
    Ok(rows)
}

/// A refusal without the row's value, so rows refused for the same feature group together.
fn reason(e: &ModelError) -> String {
    match e {
        ModelError::FeatureOutOfRange { name, min, max, .. } => {
            format!("feature `{name}` outside its allowed range [{min}, {max}]")
        }
        other => other.to_string(),
    }
}
