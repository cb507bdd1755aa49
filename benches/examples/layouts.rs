//! Every layout the layouter weighs for one workload, measured: k, columns, predicted and real
//! verifier gas (revm; split over several contracts where over EIP-170) and size, and proving
//! time (median of `--reps`, three by default). The data the layout policy's cost models
//! (`loopx_circuits::plan`) are fitted to, and the check that the prediction holds.
//!
//! `cargo run --release -p loopx-benches --example layouts -- risk_mlp [--widths 3,8,16]
//! [--outputs 1,2,4] [--layouts 12x1,8x2] [--reps N] [--plans | --sizes | --interleaved]`
//! - `--plans`: the layouts and predictions only, nothing proven;
//! - `--sizes`: each layout's keys and real verifier runtime size against the predicted one,
//!   nothing proven (the data `SIZE_MODEL` is fitted to);
//! - `--widths`: exactly those widths, in or out of the layouter's candidates; `--outputs`: the
//!   dense outputs per row `T` to show (by default every one the layouter weighs); `--layouts`:
//!   exactly these width and `T` pairs;
//! - `--interleaved`: proving times only, the layouts taking turns proof by proof, so that a
//!   machine shared with other work slows them alike.
//!
//! The workload may also be a path `DIR/NAME.onnx`, compiled from `DIR/NAME.calibration.json`
//! and proven on `DIR/NAME.input.json`, as `loopx compile` and `loopx prove` would.

use std::path::Path;
use std::time::Instant;

use loopx_benches::{all_names, workload, Workload};
use loopx_circuits::params::has_tables;
use loopx_circuits::plan::{candidates, choose_layout, sized_with_outputs, CircuitPlan, DENSE_OUTPUTS};
use loopx_models::LayoutGoal;
use loopx_prover::prove;
use loopx_srs::Srs;
use loopx_verifier_contract::generate_verifier;

/// The comma-separated list after `flag`, if given.
fn list(args: &[String], flag: &str) -> Result<Option<Vec<usize>>, std::num::ParseIntError> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(|list| list.split(',').map(str::parse).collect())
        .transpose()
}

/// The model `STEM.onnx` compiled from `STEM.calibration.json` (output `Auto`, no schema, as
/// `loopx compile` does), with the rows of `STEM.input.json` to prove.
fn onnx_workload(stem: &Path) -> Result<Workload, Box<dyn std::error::Error>> {
    let (dir, name) = (stem.parent().unwrap_or(Path::new(".")), stem.file_name().ok_or("no model name")?);
    let name = name.to_string_lossy().into_owned();
    let (package, _) = loopx_models::compile_named(dir, &name)?;
    let rows = loopx_models::load_rows(dir.join(format!("{name}.input.json")), None, package.features())?;
    let plan = loopx_circuits::choose_shape(&package.quantized);
    Ok(Workload { name, package, plan, rows })
}

/// Proving times only, on a shared machine: every layout's keys first, then `reps` rounds that
/// prove once with each layout in turn, so that a change in the machine's load falls on all of
/// them alike; prints each layout's median and every time.
fn interleaved(
    w: &Workload,
    plans: &[CircuitPlan],
    features: &[i64],
    reps: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let model = &w.package.quantized;
    let mut set_up = Vec::new();
    for plan in plans {
        let srs = Srs::dev(plan.shape.k)?;
        let keys = loopx_prover::setup(model, &w.package.model_id, plan, &srs)?;
        set_up.push((srs, keys, Vec::new()));
    }
    for _ in 0..reps {
        for (srs, keys, times) in &mut set_up {
            let start = Instant::now();
            prove(model, keys, srs, &w.request(features))?;
            times.push(start.elapsed().as_secs_f64());
        }
    }
    for (plan, (_, _, times)) in plans.iter().zip(&mut set_up) {
        let listed: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
        times.sort_by(f64::total_cmp);
        println!(
            "{} {} prove median={:.3}s (predicted {:.2}s) runs=[{}]",
            w.name,
            describe(plan),
            times[reps / 2],
            plan.predicted_seconds(),
            listed.join(", ")
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().cloned().ok_or_else(|| format!("name a workload: {}", all_names().join(", ")))?;
    let widths = list(&args, "--widths")?;
    let outputs = list(&args, "--outputs")?.unwrap_or(DENSE_OUTPUTS.to_vec());
    let reps = list(&args, "--reps")?.and_then(|r| r.first().copied()).unwrap_or(3).max(1);
    let w = match name.strip_suffix(".onnx") {
        Some(stem) => onnx_workload(Path::new(stem))?,
        None => workload(&name).ok_or_else(|| format!("no workload `{name}`: {}", all_names().join(", ")))?,
    };
    let model = &w.package.quantized;
    // `--layouts 12x1,8x2`: exactly these (width, T) pairs, without the lookup.
    let pairs: Option<Vec<(usize, usize)>> = args
        .iter()
        .position(|a| a == "--layouts")
        .and_then(|i| args.get(i + 1))
        .map(|list| {
            list.split(',')
                .map(|pair| {
                    let (width, t) = pair.split_once('x').ok_or("write a layout as WIDTHxT")?;
                    Ok::<_, Box<dyn std::error::Error>>((width.parse()?, t.parse()?))
                })
                .collect()
        })
        .transpose()?;
    let plans: Vec<CircuitPlan> = match &widths {
        _ if pairs.is_some() => {
            pairs.iter().flatten().map(|(width, t)| sized_with_outputs(model, *width, false, *t)).collect()
        }
        Some(widths) => {
            let lookups: &[bool] = if has_tables(model) { &[false, true] } else { &[false] };
            let mut plans = Vec::new();
            for lookup in lookups {
                for t in &outputs {
                    for width in widths.iter().filter(|w| **w > *t) {
                        plans.push(sized_with_outputs(model, *width, *lookup, *t));
                    }
                }
            }
            plans
        }
        None => candidates(model).into_iter().filter(|p| outputs.contains(&p.shape.dense_outputs)).collect(),
    };
    let features = w.features(0);
    let plans_only = args.iter().any(|a| a == "--plans");
    let sizes_only = args.iter().any(|a| a == "--sizes");
    if args.iter().any(|a| a == "--interleaved") {
        return interleaved(&w, &plans, &features, reps);
    }
    for plan in plans {
        if plans_only {
            println!(
                "{name} {} rows={}+{} predicted gas={} size={} work={} ({:.2} s)",
                describe(&plan),
                plan.pool_rows,
                plan.strip_rows,
                plan.predicted_gas(),
                plan.predicted_verifier_bytes(),
                plan.proving_work(),
                plan.predicted_seconds()
            );
            continue;
        }
        let srs = Srs::dev(plan.shape.k)?;
        let keys = loopx_prover::setup(model, &w.package.model_id, &plan, &srs)?;
        if sizes_only {
            let generated = generate_verifier(srs.params(), keys.vk(), plan.instances)?;
            let compiled = loopx_verifier_contract::compile_solidity(
                &[("V.sol", &generated.solidity)],
                "LoopXVerifier",
            )?;
            let (size, predicted) = (compiled.deployed_size(), plan.predicted_verifier_bytes());
            println!(
                "{name} {} size={size} predicted={predicted} ({:+.1} %)",
                describe(&plan),
                (predicted as f64 / size as f64 - 1.0) * 100.0
            );
            continue;
        }
        let mut times = Vec::new();
        let mut proof = None;
        for _ in 0..reps {
            let start = Instant::now();
            proof = Some(prove(model, &keys, &srs, &w.request(&features))?);
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let proof = proof.expect("at least one proof");
        let generated = generate_verifier(srs.params(), keys.vk(), plan.instances)?;
        // Over EIP-170 the verifier is deployed split over several contracts: measured so.
        let compiled = generated.compile_deployable()?;
        let size = compiled.total_size();
        let verdict = compiled.verify_in_evm(&proof.bytes, &proof.instances.to_vec())?;
        let mut gas = verdict.gas_used.to_string();
        if !compiled.parts.is_empty() {
            gas += &format!(" (split, contracts {:?})", compiled.deployed_sizes());
        }
        if !verdict.valid {
            gas += " INVALID";
        }
        println!(
            "{name} {} gas={gas} (predicted {}) size={size} (predicted {}) prove={:.3}s work={}",
            describe(&plan),
            plan.predicted_gas(),
            plan.predicted_verifier_bytes(),
            times[reps / 2],
            plan.proving_work(),
        );
    }
    for goal in LayoutGoal::ALL {
        let p = choose_layout(model, goal);
        println!(
            "{name} --optimize {}: width {} T {} lookup {} k {} (predicted {} gas, {:.2} s)",
            goal.name(),
            p.shape.pool_width,
            p.shape.dense_outputs,
            p.shape.lookup,
            p.shape.k,
            p.predicted_gas(),
            p.predicted_seconds()
        );
    }
    Ok(())
}

/// A plan's shape and columns, as the lines of this example print them.
fn describe(plan: &CircuitPlan) -> String {
    format!(
        "width={:<2} T={} lookup={:<5} k={:<2} advice={:<2} fixed={:<3} instances={}",
        plan.shape.pool_width,
        plan.shape.dense_outputs,
        plan.shape.lookup,
        plan.shape.k,
        plan.advice_columns,
        plan.fixed_columns,
        plan.instances
    )
}
