//! Every layout the layouter weighs for one workload, measured: k, columns, predicted and real
//! verifier gas and size (revm), and proving time (median of three). The data the layout policy's
//! cost models (`loopx_circuits::plan`) are fitted to, and the check that the prediction holds.
//! `cargo run --release -p loopx-benches --example layouts -- risk_mlp [--widths 3,8,16]
//! [--outputs 1,2,4] [--plans]` (`--plans`: the layouts and predictions only, nothing proven;
//! `--widths` measures exactly those widths, in or out of the layouter's candidates; `--outputs`:
//! the dense outputs per row `T` to show, by default every one the layouter weighs).

use std::time::Instant;

use loopx_benches::{all_names, workload};
use loopx_circuits::params::has_tables;
use loopx_circuits::plan::{candidates, choose_layout, sized_with_outputs, CircuitPlan, DENSE_OUTPUTS};
use loopx_models::LayoutGoal;
use loopx_prover::prove;
use loopx_srs::Srs;
use loopx_verifier_contract::{generate_verifier, verify_in_evm, EIP170_CODE_SIZE_LIMIT};

/// The comma-separated list after `flag`, if given.
fn list(args: &[String], flag: &str) -> Result<Option<Vec<usize>>, std::num::ParseIntError> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(|list| list.split(',').map(str::parse).collect())
        .transpose()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().cloned().ok_or_else(|| format!("name a workload: {}", all_names().join(", ")))?;
    let widths = list(&args, "--widths")?;
    let outputs = list(&args, "--outputs")?.unwrap_or(DENSE_OUTPUTS.to_vec());
    let w = workload(&name).ok_or_else(|| format!("no workload `{name}`: {}", all_names().join(", ")))?;
    let model = &w.package.quantized;
    let plans: Vec<CircuitPlan> = match &widths {
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
    for plan in plans {
        if plans_only {
            println!(
                "{name} width={:<2} T={} lookup={:<5} k={:<2} rows={}+{} advice={:<2} fixed={:<2} predicted gas={} size={} work={} ({:.2} s)",
                plan.shape.pool_width,
                plan.shape.dense_outputs,
                plan.shape.lookup,
                plan.shape.k,
                plan.pool_rows,
                plan.strip_rows,
                plan.advice_columns,
                plan.fixed_columns,
                plan.predicted_gas(),
                plan.predicted_verifier_bytes(),
                plan.proving_work(),
                plan.predicted_seconds()
            );
            continue;
        }
        let srs = Srs::dev(plan.shape.k)?;
        let keys = loopx_prover::setup(model, &w.package.model_id, &plan, &srs)?;
        let mut times = Vec::new();
        let mut proof = None;
        for _ in 0..3 {
            let start = Instant::now();
            proof = Some(prove(model, &keys, &srs, &w.request(&features))?);
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let proof = proof.expect("three proofs");
        let generated = generate_verifier(srs.params(), keys.vk(), plan.instances)?;
        let compiled =
            loopx_verifier_contract::compile_solidity(&[("V.sol", &generated.solidity)], "LoopXVerifier")?;
        let size = compiled.deployed_size();
        let gas = if size <= EIP170_CODE_SIZE_LIMIT {
            verify_in_evm(&compiled.bytecode, &proof.bytes, &proof.instances.to_vec())?.gas_used.to_string()
        } else {
            "over EIP-170".into()
        };
        println!(
            "{name} width={:<2} T={} lookup={:<5} k={:<2} advice={:<2} fixed={:<2} instances={} gas={gas} (predicted {}) size={size} (predicted {}) prove={:.3}s work={}",
            plan.shape.pool_width,
            plan.shape.dense_outputs,
            plan.shape.lookup,
            plan.shape.k,
            plan.advice_columns,
            plan.fixed_columns,
            plan.instances,
            plan.predicted_gas(),
            plan.predicted_verifier_bytes(),
            times[1],
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
