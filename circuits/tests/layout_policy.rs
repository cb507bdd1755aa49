//! The layout policy's budgets: `--optimize speed` may take a verifier split over a few
//! contracts when that proves faster, `gas` and `balanced` keep it within one contract.

use loopx_circuits::plan::{
    candidates, choose_layout, CircuitPlan, SPEED_MARGIN_PERCENT, SPLIT_VERIFIER_BUDGET, VERIFIER_SIZE_BUDGET,
};
use loopx_models::quantized::pre_activation_bounds;
use loopx_models::{Activation, Bounds, DenseLayer, LayoutGoal, OutputSpec, QuantizedInput, QuantizedModel};

/// Deterministic pseudo-random integers in `[-span, span]`.
fn pseudo(seed: &mut u64, span: i64) -> i64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    (*seed % (2 * span as u64 + 1)) as i64 - span
}

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
        let weights: Vec<Vec<i64>> =
            (0..*outputs).map(|_| (0..bounds.len()).map(|_| pseudo(&mut seed, 300)).collect()).collect();
        let bias: Vec<i64> = (0..*outputs).map(|_| pseudo(&mut seed, 5000)).collect();
        let shift = 8;
        let pre_bounds = pre_activation_bounds(&weights, &bias, shift, &bounds);
        let mut layer = DenseLayer {
            weights,
            bias,
            shift,
            pre_scale_bits: 6,
            activation,
            lead: None,
            pre_bounds,
            out_bounds: Vec::new(),
        };
        layer.out_bounds = layer.activation_bounds(&layer.pre_bounds);
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
