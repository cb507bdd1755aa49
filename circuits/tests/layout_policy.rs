//! The layout policy's budgets: `--optimize speed` may take a verifier split over a few
//! contracts when that proves faster, `gas` and `balanced` keep it within one contract.

use loopx_circuits::plan::{
    candidates, choose_layout, CircuitPlan, SPEED_MARGIN_PERCENT, SPLIT_VERIFIER_BUDGET, VERIFIER_SIZE_BUDGET,
};
use loopx_models::{Activation, Bounds, LayoutGoal, OutputSpec, QuantizedInput, QuantizedModel};
use loopx_test_support::synthetic::dense_layer;

/// A dense model with `dims` = inputs, hidden ReLU layers…, outputs (identity), read by argmax.
fn mlp(dims: &[usize]) -> QuantizedModel {
    let mut seed = 0x9e3779b97f4a7c15;
    let inputs: Vec<QuantizedInput> = (0..dims[0])
        .map(|i| QuantizedInput { name: format!("x{i}"), scale_bits: 6, min: -200, max: 1000 })
        .collect();
    let mut bounds: Vec<Bounds> = inputs.iter().map(|i| Bounds { min: i.min, max: i.max }).collect();
    let mut layers = Vec::new();
    for (l, outputs) in dims.iter().enumerate().skip(1) {
        let activation = if l + 1 == dims.len() { Activation::Identity } else { Activation::Relu };
        let layer = dense_layer(&bounds, *outputs, activation, None, 8, 0, &mut seed);
        bounds = layer.out_bounds.clone();
        layers.push(layer);
    }
    QuantizedModel { inputs, trees: None, layers, output: OutputSpec::ArgMax }
}

fn describe(plan: &CircuitPlan) -> String {
    format!(
        "width {} T {} lookup {} k {}: {} bytes, work {}",
        plan.shape.pool_width,
        plan.shape.dense_outputs,
        plan.shape.lookup,
        plan.shape.k,
        plan.predicted_verifier_bytes(),
        plan.proving_work()
    )
}

#[test]
fn speed_splits_the_wide_mlp_verifier_when_that_proves_faster() {
    let model = mlp(&[64, 256, 256, 8]);
    let speed = choose_layout(&model, LayoutGoal::Speed);
    let bytes = speed.predicted_verifier_bytes();
    assert!(
        bytes > VERIFIER_SIZE_BUDGET && bytes <= SPLIT_VERIFIER_BUDGET,
        "speed: {} (one contract ≤ {VERIFIER_SIZE_BUDGET}, split ≤ {SPLIT_VERIFIER_BUDGET})",
        describe(&speed)
    );
    let one_contract = candidates(&model)
        .into_iter()
        .filter(|p| p.predicted_verifier_bytes() <= VERIFIER_SIZE_BUDGET)
        .map(|p| p.proving_work())
        .min()
        .unwrap();
    assert!(
        speed.proving_work() * (100 + SPEED_MARGIN_PERCENT) < one_contract * 100,
        "speed: {} against {one_contract} within one contract",
        describe(&speed)
    );
}

#[test]
fn gas_and_balanced_keep_the_verifier_within_one_contract() {
    for dims in [&[64, 256, 256, 8][..], &[32, 64, 32, 4], &[12, 16, 8, 2]] {
        let model = mlp(dims);
        for goal in [LayoutGoal::Gas, LayoutGoal::Balanced] {
            let plan = choose_layout(&model, goal);
            assert!(
                plan.predicted_verifier_bytes() <= VERIFIER_SIZE_BUDGET,
                "{dims:?} {}: {}",
                goal.name(),
                describe(&plan)
            );
        }
    }
}

#[test]
fn speed_pays_more_gas_only_for_more_than_the_margin_of_proving_work() {
    for dims in [&[64, 256, 256, 8][..], &[32, 64, 32, 4], &[12, 16, 8, 2]] {
        let model = mlp(dims);
        let speed = choose_layout(&model, LayoutGoal::Speed);
        let pool: Vec<CircuitPlan> = candidates(&model)
            .into_iter()
            .filter(|p| p.predicted_verifier_bytes() <= SPLIT_VERIFIER_BUDGET)
            .collect();
        let least = pool.iter().map(|p| p.proving_work()).min().unwrap();
        assert!(
            speed.proving_work() * 100 <= least * (100 + SPEED_MARGIN_PERCENT),
            "{dims:?}: {}",
            describe(&speed)
        );
        for plan in &pool {
            // A cheaper verifier was passed over only for a layout predicted more than the
            // margin faster.
            if plan.predicted_gas() < speed.predicted_gas() {
                assert!(
                    plan.proving_work() * 100 > least * (100 + SPEED_MARGIN_PERCENT),
                    "{dims:?}: {} passed over for {}",
                    describe(plan),
                    describe(&speed)
                );
            }
        }
    }
}
