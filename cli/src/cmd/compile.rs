//! `loopx compile`: ONNX model + calibration rows → model package.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use loopx_models::{LayoutGoal, OutputRequest};
use loopx_prover::{CompileOptions, Package};
use serde_json::json;

use crate::report::Reporter;

/// Arguments of `loopx compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The ONNX model (opset 9–21; Gemm/MatMul, Add, Sub, Mul, Div, Relu, Sigmoid, Clip, …).
    pub model: PathBuf,
    /// Calibration rows: `[[…], …]`, `{"input_data": [[…], …]}` or a flat list.
    #[arg(long)]
    pub calibration: PathBuf,
    /// Feature schema (TOML or JSON): names, units and allowed ranges.
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// What the proof reveals: `auto`, `vector`, `argmax`, or `threshold:VALUE[:INDEX]`
    /// (publishes only whether output INDEX ≥ VALUE).
    #[arg(long, default_value = "auto")]
    pub output: OutputRequest,
    /// Model name stored in the package (defaults to the file name).
    #[arg(long)]
    pub name: Option<String>,
    /// What the circuit's layout optimises for. `gas`: the cheapest on-chain verification
    /// (fewest columns). `speed`: the fastest proving. `balanced`: the least predicted gas plus
    /// 50k gas per predicted second of proving. Every choice keeps the verifier within EIP-170.
    #[arg(long, value_enum, default_value = "balanced")]
    pub optimize: Optimize,
    /// Package directory to write.
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
}

/// `--optimize` values.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Optimize {
    /// Cheapest on-chain verification.
    Gas,
    /// Fastest proving.
    Speed,
    /// Least gas plus 50k gas per second of proving.
    Balanced,
}

impl From<Optimize> for LayoutGoal {
    fn from(goal: Optimize) -> Self {
        match goal {
            Optimize::Gas => LayoutGoal::Gas,
            Optimize::Speed => LayoutGoal::Speed,
            Optimize::Balanced => LayoutGoal::Balanced,
        }
    }
}

/// Runs the command.
pub fn run(args: CompileArgs, out: Reporter) -> anyhow::Result<ExitCode> {
    let name = args.name.clone().unwrap_or_else(|| {
        args.model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into())
    });
    let options = CompileOptions {
        schema: args.schema.clone(),
        output: args.output.clone(),
        name,
        layout: args.optimize.into(),
    };
    let ((dir, report), _) = out.step("Importing and quantizing the model", || {
        Package::compile(&args.model, &args.calibration, &options, &args.out)
            .with_context(|| format!("compiling {} into {}", args.model.display(), args.out.display()))
    })?;
    let (package, path) = (&dir.package, dir.model_file());
    let plan = dir.plan();
    let cal = &report.calibration;
    // What each input is allowed to be, in the feature's units: the contract every prover meets.
    let ranges: Vec<serde_json::Value> = package
        .quantized
        .inputs
        .iter()
        .map(|i| {
            let scale = 2f64.powi(i.scale_bits as i32);
            json!({ "name": i.name, "min": i.min as f64 / scale, "max": i.max as f64 / scale, "scale_bits": i.scale_bits })
        })
        .collect();
    if package.schema.is_none() {
        out.warn(
            "no --schema: each feature's allowed range is its calibration interval widened (two spans each \
             side, or 64× the largest value seen; never below 0 if calibration never was) — wallets \
             outside it are refused. Give a schema to set the ranges (and a canonical encoding) yourself.",
        );
    }
    let trees = package.quantized.trees.as_ref().map(|t| {
        json!({
            "trees": t.trees.len(),
            "depth": t.depth,
            "outputs": t.outputs(),
            "leaf_scale_bits": t.leaf_scale_bits,
        })
    });
    // Credentials back only a model whose inputs are a schema's canonical encoding.
    let canonical = package.schema.as_ref().is_some_and(|s| s.id().is_ok());
    let schema_id = package.quantized.schema_id();
    let value = json!({
        "model_id": package.model_id,
        "schema_id": schema_id,
        "canonical_encoding": canonical,
        "name": package.name,
        "package": path,
        "scales": {
            "inputs": report.input_scale_bits,
            "layers": report.layers,
            "output": report.output_scale_bits,
        },
        "argmax_agreement": cal.argmax_agreement,
        "decision_agreement": cal.decision_agreement,
        "max_abs_error": cal.max_abs_error,
        "mean_abs_error": cal.mean_abs_error,
        "calibration_rows": cal.rows,
        "output": package.quantized.output,
        "trees": trees,
        "circuit": plan,
        "optimize": package.layout.name(),
        "predicted": {
            "k": plan.shape.k,
            "rows": plan.rows_needed(),
            "advice_columns": plan.advice_columns,
            "fixed_columns": plan.fixed_columns,
            "gas": plan.predicted_gas(),
            "verifier_bytes": plan.predicted_verifier_bytes(),
            "proving_seconds": plan.predicted_seconds(),
        },
        "activation_tables": loopx_circuits::shape::table_reads(&package.quantized, plan.shape),
        "input_ranges": ranges,
    });
    out.finish(&value, || {
        let mut lines = vec![
            format!("model     {} ({})", package.name, package.model_id),
            format!("package   {}", path.display()),
            format!(
                "ranges    {}",
                ranges
                    .iter()
                    .map(|r| format!("{} [{}, {}]", r["name"].as_str().unwrap_or("?"), r["min"], r["max"]))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            if canonical {
                format!("schema    {schema_id}: credentials issued under the schema feed this model")
            } else {
                format!(
                    "schema    {schema_id} (the quantizer's own scales: add `scale_bits` to every schema \
                     feature for a canonical encoding that issuers' credentials can back)"
                )
            },
        ];
        if let Some(t) = &package.quantized.trees {
            lines.push(format!(
                "trees     {} trees, depth {} (padded), {} score(s) at 2^-{}; the circuit checks {} path steps",
                t.trees.len(),
                t.depth,
                t.outputs(),
                t.leaf_scale_bits,
                t.trees.len() * t.depth as usize
            ));
        }
        if !report.layers.is_empty() {
            lines.push(format!(
                "layers    {}",
                report
                    .layers
                    .iter()
                    .map(|l| format!("{}→{} {}", l.shape[0], l.shape[1], l.activation))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        lines.push(format!(
            "fidelity  on {} calibration rows: max |error| {:.5}, mean |error| {:.5}",
            cal.rows, cal.max_abs_error, cal.mean_abs_error
        ));
        if let Some(a) = cal.argmax_agreement {
            lines.push(format!("          argmax agreement {:.2}%", a * 100.0));
        }
        if let Some(a) = cal.decision_agreement {
            lines.push(format!("          threshold decision agreement {:.2}%", a * 100.0));
        }
        lines.push(crate::report::plan_summary(&plan));
        lines.push(format!(
            "layout    --optimize {}: predicted {} gas per verification, verifier ~{} bytes, ~{:.1} s to prove (2 cores)",
            package.layout.name(),
            plan.predicted_gas(),
            plan.predicted_verifier_bytes(),
            plan.predicted_seconds()
        ));
        if let Some(how) = loopx_circuits::shape::table_reads(&package.quantized, plan.shape) {
            let why = match how {
                "lookup" => "fewer rows than multiplexers, worth its ~40k gas for this --optimize",
                _ => "no extra verifier columns; the lookup's ~40k gas is not worth it for this --optimize",
            };
            lines.push(format!("tables    activation tables read by {how} ({why})"));
        }
        lines
    })
}
