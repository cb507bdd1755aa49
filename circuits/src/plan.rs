//! The layouter's choice: every candidate layout of a model measured by running the circuit's own
//! layout on the row counter, its verifier gas, size and proving time predicted, and the one that
//! best meets the package's goal picked.

use halo2_proofs::plonk::ConstraintSystem;
use halo2curves::bn256::Fr;
use loopx_models::{LayoutGoal, QuantizedModel};
use serde::{Deserialize, Serialize};

use crate::config::ModelConfig;
use crate::layout::lay_out;
use crate::params::{has_tables, table_set};
use crate::shape::{shape_for, shape_with_outputs, CircuitShape};
use crate::sheet::RowCount;

/// Row and column counts of a model laid out with a given shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitPlan {
    /// The chosen shape.
    pub shape: CircuitShape,
    /// Pool rows used by the chips (the strip rows follow them).
    pub pool_rows: usize,
    /// Rows of the strip: range checks by bits, multiplexers, thermometers.
    pub strip_rows: usize,
    /// Advice columns in total.
    pub advice_columns: usize,
    /// Fixed columns in total (after selector compression).
    pub fixed_columns: usize,
    /// Public instance values.
    pub instances: usize,
    /// Rows of the lookup table columns (0 without lookups).
    #[serde(default)]
    pub table_rows: usize,
}

impl CircuitPlan {
    /// Rows that must be usable.
    pub fn rows_needed(&self) -> usize {
        // One spare row: the dense, Poseidon and range gates look one record past their own.
        (self.pool_rows + self.strip_rows + 1).max(self.table_rows)
    }
}

impl CircuitPlan {
    /// Permutation products: the permutation argument commits one per `degree − 2 = 3` columns
    /// with equality (every advice column).
    fn permutation_products(&self) -> u64 {
        self.advice_columns.div_ceil(3) as u64
    }

    /// The cost model's terms for this plan: advice columns, fixed columns, permutation
    /// products, lookups, public instances.
    fn cost(&self, m: &CostModel) -> u64 {
        m.base
            + m.per_advice * self.advice_columns as u64
            + m.per_fixed * self.fixed_columns as u64
            + m.per_permutation_product * self.permutation_products()
            + m.per_instance * self.instances as u64
            + if self.shape.lookup { m.lookup } else { 0 }
    }

    /// Predicted gas of one `verifyProof` transaction, calldata included (within ~2% of the
    /// bundled models' verifiers at every width; see [`GAS_MODEL`]).
    pub fn predicted_gas(&self) -> u64 {
        self.cost(&GAS_MODEL)
    }

    /// Predicted runtime size of the generated verifier, in bytes (see [`SIZE_MODEL`] and
    /// [`SIZE_PER_ROTATION`]).
    pub fn predicted_verifier_bytes(&self) -> u64 {
        self.cost(&SIZE_MODEL) + SIZE_PER_ROTATION * query_rotations(self.shape) as u64
    }

    /// Predicted proving work, in committed-column rows (see [`WORK_MODEL`]): what grows with
    /// the layout. The witness and synthesis, the same for every layout of a model, are left out.
    pub fn proving_work(&self) -> u64 {
        (self.cost(&WORK_MODEL) << self.shape.k) / 100
    }

    /// [`CircuitPlan::proving_work`] in seconds on the 2-core reference machine.
    pub fn predicted_seconds(&self) -> f64 {
        self.proving_work() as f64 / WORK_PER_SECOND as f64
    }
}

/// Coefficients of a linear cost model over a plan's columns and arguments.
#[derive(Debug)]
pub struct CostModel {
    base: u64,
    per_advice: u64,
    per_fixed: u64,
    per_permutation_product: u64,
    per_instance: u64,
    lookup: u64,
}

/// Gas per `verifyProof` transaction, fitted to the verifiers of `sybil_lr`, `risk_mlp` and
/// `mlp_64_256_256_8` at every pool width, with and without the lookup (`cargo run --release -p
/// loopx-benches --example layouts -- NAME` prints both): each commitment is an elliptic-curve
/// multiplication (~6k gas) plus its evaluations in calldata and arithmetic.
pub const GAS_MODEL: CostModel = CostModel {
    base: 178_750,
    per_advice: 15_000,
    per_fixed: 6_700,
    per_permutation_product: 15_500,
    per_instance: 1_000,
    lookup: 37_000,
};

/// Verifier runtime bytes, with [`SIZE_PER_ROTATION`], fitted by least squares to the real
/// verifiers of `credit_mlp`, `risk_mlp`, `sybil_lr` and `sybil_gbt` at every pool width and
/// outputs per dense row, with and without the lookup (`cargo run --release -p loopx-benches
/// --example layouts -- NAME --sizes`), and checked on `mlp_64_256_256_8` and `forest_60x8`:
/// within −4.1 % … +7.4 % of every one of them (over on the narrowest pool, under on widths 4–5),
/// so a verifier predicted within [`VERIFIER_SIZE_BUDGET`] is within EIP-170. A fixed column
/// that holds only zeros (the weights of outputs a one-output model leaves empty) commits to
/// the identity, which the verifier folds away: such layouts are over-predicted, never under.
pub const SIZE_MODEL: CostModel = CostModel {
    base: 1_500,
    per_advice: 670,
    per_fixed: 280,
    per_permutation_product: 440,
    per_instance: 30,
    lookup: 1_200,
};

/// Verifier runtime bytes per rotation at which some column is queried: each is a point of
/// the multi-opening, with its own evaluation sets in the verifier's code. Pools narrower than
/// six columns spread a record over more rows and query one more rotation (~1.3 kB more).
pub const SIZE_PER_ROTATION: u64 = 1_260;

/// Distinct rotations at which the columns of `shape` are queried.
fn query_rotations(shape: CircuitShape) -> usize {
    let mut cs = ConstraintSystem::<Fr>::default();
    ModelConfig::configure(&mut cs, shape);
    let mut rotations: Vec<i32> = cs
        .advice_queries()
        .iter()
        .map(|(_, at)| at.0)
        .chain(cs.fixed_queries().iter().map(|(_, at)| at.0))
        .collect();
    rotations.sort_unstable();
    rotations.dedup();
    rotations.len()
}

/// Proving work per row, in hundredths of a committed column, fitted to the proving times of
/// `credit_mlp`, `sybil_lr` and `mlp_64_256_256_8` at widths 3–32: an advice column is committed
/// and transformed, a fixed one only read on the extended domain, a permutation product is
/// committed like an advice column, a lookup commits three polynomials and sorts two; the base,
/// about five columns' worth, is every gate evaluated on the extended domain, the vanishing
/// argument and the opening.
pub const WORK_MODEL: CostModel = CostModel {
    base: 500,
    per_advice: 60,
    per_fixed: 10,
    per_permutation_product: 90,
    per_instance: 0,
    lookup: 270,
};

/// Proving work per second on the 2-core reference machine (fitted with the work model).
pub const WORK_PER_SECOND: u64 = 77_000;

/// Counts the rows and columns of `model` in a pool `pool_width` wide, its tables read by lookup
/// or not (k left at 0), by running the circuit's own layout on the row counter.
pub fn measure(model: &QuantizedModel, pool_width: usize, lookup: bool) -> CircuitPlan {
    measure_shape(model, shape_for(model, pool_width, lookup))
}

/// Counts the rows and columns of `model` laid out with `shape` (its `k` kept as given), by
/// running the circuit's own layout on the row counter.
pub fn measure_shape(model: &QuantizedModel, shape: CircuitShape) -> CircuitPlan {
    let mut cs = ConstraintSystem::<Fr>::default();
    let config = ModelConfig::configure(&mut cs, shape);
    let laid_out = lay_out(&config, model, None, &mut RowCount::default(), 0)
        .expect("the layout of a validated model is well formed");
    CircuitPlan {
        shape,
        pool_rows: laid_out.pool_rows,
        strip_rows: laid_out.strip_rows,
        advice_columns: cs.num_advice_columns(),
        fixed_columns: cs.num_fixed_columns() + cs.num_selectors(),
        instances: 2 + model.public_output_len(),
        table_rows: if shape.lookup { table_set(model).rows() } else { 0 },
    }
}

/// Rows halo2 keeps back for blinding at the end of the domain, for a shape.
pub fn unusable_rows(shape: CircuitShape) -> usize {
    let mut cs = ConstraintSystem::<Fr>::default();
    ModelConfig::configure(&mut cs, shape);
    cs.blinding_factors() + 1
}

/// Pool widths the layouter considers.
pub const POOL_WIDTHS: [usize; 9] = [3, 4, 5, 6, 8, 12, 16, 24, 32];

/// The plan of `model` in a pool `pool_width` wide, its tables read by lookup or not, with the
/// smallest `k` that holds it.
pub fn sized(model: &QuantizedModel, pool_width: usize, lookup: bool) -> CircuitPlan {
    sized_with_outputs(model, pool_width, lookup, 1)
}

/// [`sized`] with `dense_outputs` outputs per multiply-accumulate row.
pub fn sized_with_outputs(
    model: &QuantizedModel,
    pool_width: usize,
    lookup: bool,
    dense_outputs: usize,
) -> CircuitPlan {
    let mut plan = measure_shape(model, shape_with_outputs(model, pool_width, lookup, dense_outputs));
    let total = plan.rows_needed() + unusable_rows(plan.shape);
    plan.shape.k = total.next_power_of_two().trailing_zeros().max(4);
    plan
}

/// Outputs per multiply-accumulate row the layouter considers. More outputs per row copy each
/// input once for several neurons (fewer rows: a wide layer may cross to a smaller `k`) at the
/// price of `T·(width − T + 1)` fixed columns for the weights.
pub const DENSE_OUTPUTS: [usize; 3] = [1, 2, 4];

/// Every layout the layouter weighs: each pool width and outputs per dense row (leaving at least
/// two inputs per row), with multiplexers and (for a model with activation tables) with the
/// lookup argument.
pub fn candidates(model: &QuantizedModel) -> Vec<CircuitPlan> {
    let lookups: &[bool] = if has_tables(model) { &[false, true] } else { &[false] };
    let mut plans = Vec::new();
    for lookup in lookups {
        for outputs in DENSE_OUTPUTS {
            // A model without dense layers has nothing to gain from several outputs per row.
            if outputs > 1 && model.layers.is_empty() {
                continue;
            }
            for width in POOL_WIDTHS.into_iter().filter(|w| *w >= outputs + 2) {
                plans.push(sized_with_outputs(model, width, *lookup, outputs));
            }
        }
    }
    plans
}

/// The layout for the default goal ([`LayoutGoal::Balanced`]); see [`choose_layout`].
pub fn choose_shape(model: &QuantizedModel) -> CircuitPlan {
    choose_layout(model, LayoutGoal::default())
}

/// Picks the circuit's layout for `goal` among the [`candidates`] whose verifier is predicted to
/// fit its goal's size budget:
///
/// - **gas**: within one contract ([`VERIFIER_SIZE_BUDGET`], EIP-170 less a margin), the least
///   predicted gas ([`CircuitPlan::predicted_gas`]: every committed column is an elliptic-curve
///   multiplication for the verifier, ~6–15k gas, while rows cost only proving time), then the
///   least proving work;
/// - **speed**: within [`SPLIT_VERIFIER_BUDGET`] (a verifier over EIP-170 is deployed split over
///   a few contracts, at ~5–7k gas a cut), the least predicted gas among the layouts whose
///   predicted proving work ([`CircuitPlan::proving_work`]) is within
///   [`SPEED_MARGIN_PERCENT`] of the least: more gas (and more contracts) must buy a
///   difference the work model can tell, not its noise;
/// - **balanced** (default): within one contract, the least total cost, predicted gas plus
///   [`GAS_PER_PROVING_SECOND`] per predicted second of proving. Small wallet models stay on the
///   narrowest layout (a tenth of a second is not worth a column), while a model that would take
///   seconds buys the columns or the lookup argument that cut them: 64 sigmoid neurons read by
///   multiplexers (~1,500 rows each) take the lookup.
///
/// Where no candidate fits the budget, every candidate is weighed.
pub fn choose_layout(model: &QuantizedModel, goal: LayoutGoal) -> CircuitPlan {
    let all = candidates(model);
    let budget = match goal {
        LayoutGoal::Speed => SPLIT_VERIFIER_BUDGET,
        LayoutGoal::Gas | LayoutGoal::Balanced => VERIFIER_SIZE_BUDGET,
    };
    let fitting: Vec<&CircuitPlan> = all.iter().filter(|p| p.predicted_verifier_bytes() <= budget).collect();
    let pool = if fitting.is_empty() { all.iter().collect() } else { fitting };
    let total =
        |p: &CircuitPlan| p.predicted_gas() + GAS_PER_PROVING_SECOND * p.proving_work() / WORK_PER_SECOND;
    let best = match goal {
        LayoutGoal::Gas => pool.into_iter().min_by_key(|p| (p.predicted_gas(), p.proving_work())),
        LayoutGoal::Speed => {
            let least = pool.iter().map(|p| p.proving_work()).min().unwrap_or(0);
            let within = least + least * SPEED_MARGIN_PERCENT / 100;
            pool.into_iter()
                .filter(|p| p.proving_work() <= within)
                .min_by_key(|p| (p.predicted_gas(), p.proving_work()))
        }
        LayoutGoal::Balanced => pool.into_iter().min_by_key(|p| (total(p), p.predicted_gas())),
    };
    best.cloned().expect("at least one candidate layout")
}

/// What a second of proving is worth in verification gas, for the balanced layout: about what
/// one more column costs the verifier (~6–15k gas) per fifth of a second saved.
pub const GAS_PER_PROVING_SECOND: u64 = 50_000;

/// The verifier's runtime size the gas and balanced layouts stay within: EIP-170's 24,576
/// bytes less a margin for the prediction's error (see [`SIZE_MODEL`]), so their verifier is
/// one contract.
pub const VERIFIER_SIZE_BUDGET: u64 = 23_000;

/// The verifier's runtime size the speed layout stays within: two contracts' worth, which the
/// split verifier (`loopx solidity`, `deploy`) deploys as two or three contracts, each within
/// EIP-170, at ~5–7k gas per cut.
pub const SPLIT_VERIFIER_BUDGET: u64 = 2 * VERIFIER_SIZE_BUDGET;

/// How much less predicted proving work a speed layout must promise, in percent of the least,
/// before one costing more verifier gas is taken: the work model's error between two layouts
/// is about this size (`credit_mlp`'s width 5 with two outputs per row, predicted 3 % faster
/// than width 6, proved in the same time).
pub const SPEED_MARGIN_PERCENT: u64 = 5;
