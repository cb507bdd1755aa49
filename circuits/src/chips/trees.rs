//! Tree ensembles without lookups: every split's comparison is a cell of a per-feature
//! thermometer, and each tree's leaf is read through a multiplexer tree over those cells.
//!
//! For feature `f` in `[lo, hi]` (range-checked as a model input), the distinct thresholds its
//! splits use, clamped to `[lo − 1, hi]` (which changes no comparison) and sorted, are
//! `theta_1 < … < theta_m`. Its thermometer `t_1 ≥ … ≥ t_m` is boolean and monotone (see
//! [`RangeStrip::thermometer`]); with `k` ones, two dense rows compute
//!
//! ```text
//! D_lo = x − L,  L = lo + Σ t_i·(theta_i − theta_{i−1})      with theta_0 = lo − 1:   L = theta_k + 1
//! D_hi = U − x,  U = theta_1 + Σ t_i·(theta_{i+1} − theta_i)     with theta_{m+1} = hi:   U = theta_{k+1}
//! ```
//!
//! and both are range-checked to the feature's width, so `theta_k < x ≤ theta_{k+1}`: `k` is the number
//! of thresholds below `x` and `t_i = [x > theta_i]` exactly, the split's direction (right iff
//! `x > theta`). Per feature that is two range checks instead of one per split.
//!
//! A tree padded to depth `D` (heap order, node `n`'s children `2n + 1` and `2n + 2`) has `2^D`
//! leaves; a multiplexer tree over them whose node `n` is driven by split `n`'s cell yields the
//! leaf the comparisons lead to. The sums `base + Σ leaves` are dense rows with unit weights.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;
use loopx_models::{QuantizedInput, QuantizedSplit, QuantizedTrees};

use super::dense::{rows_per_output, DenseConfig};
use super::mux::{tree_rows, MuxConfig};
use super::range::{rows_for_bits, thermometer_rows, RangeStrip};
use crate::plan::bits_for;
use crate::wire::Wire;

/// The sorted, distinct, clamped thresholds of each feature's splits (empty if unused).
pub fn thresholds(trees: &QuantizedTrees, inputs: &[QuantizedInput]) -> Vec<Vec<i64>> {
    let mut per_feature = vec![Vec::new(); inputs.len()];
    for split in trees.trees.iter().flat_map(|t| &t.splits) {
        if let Some(list) = per_feature.get_mut(split.feature) {
            list.push(clamped(split.threshold, &inputs[split.feature]));
        }
    }
    for list in &mut per_feature {
        list.sort_unstable();
        list.dedup();
    }
    per_feature
}

fn clamped(threshold: i64, input: &QuantizedInput) -> i64 {
    threshold.clamp(input.min - 1, input.max)
}

/// Bits of feature `input`'s two thermometer checks.
pub fn check_bits(input: &QuantizedInput) -> u32 {
    bits_for(input.max as i128 - input.min as i128)
}

/// Index of `split`'s threshold in its feature's list of [`thresholds`]: the split goes right
/// iff the feature's thermometer has more ones than this.
pub fn position(lists: &[Vec<i64>], inputs: &[QuantizedInput], split: &QuantizedSplit) -> usize {
    ones(&lists[split.feature], clamped(split.threshold, &inputs[split.feature]))
}

/// Number of thresholds below `x`: the thermometer's ones.
pub fn ones(thresholds: &[i64], x: i64) -> usize {
    thresholds.partition_point(|theta| *theta < x)
}

/// The leaf values tree `t` reaches when split `n` goes right iff `right(n)`.
pub fn leaf_values(trees: &QuantizedTrees, t: usize, right: impl Fn(usize) -> bool) -> Vec<i64> {
    let tree = &trees.trees[t];
    let mut n = 0;
    for _ in 0..trees.depth {
        n = 2 * n + 1 + usize::from(right(n));
    }
    tree.leaves[n + 1 - trees.leaves_per_tree()].clone()
}

/// Rows the trees take: `(pool rows, strip rows)` in a pool `width` columns wide.
pub fn rows(trees: &QuantizedTrees, inputs: &[QuantizedInput], width: usize) -> (usize, usize) {
    let mut pool = 0;
    let mut strip = 0;
    for (f, list) in thresholds(trees, inputs).iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        pool += 2 * rows_per_output(list.len() + 1, width);
        strip += thermometer_rows(list.len()) + 2 * rows_for_bits(check_bits(&inputs[f]), width);
    }
    for tree in &trees.trees {
        strip += tree.targets.len() * tree_rows(trees.depth, width);
    }
    (pool, strip)
}

/// What the tree layout needs from the rest of the circuit.
pub struct TreeChips<'a> {
    /// The multiply-accumulate chip (thermometer bounds, sums).
    pub dense: &'a DenseConfig,
    /// The multiplexers (leaves).
    pub mux: &'a MuxConfig,
}

/// Tampers the tree layout applies (soundness tests).
#[derive(Clone, Copy, Debug, Default)]
pub struct TreeTampers {
    /// Add a second step to this feature's thermometer (at its last cell).
    pub thermometer: Option<usize>,
    /// Add one to this tree's first leaf value.
    pub leaf: Option<usize>,
}

impl TreeChips<'_> {
    /// Lays out the thermometers (bounds at pool rows from `row` on, cells in the strip) and every
    /// tree's multiplexers; returns, per tree, the wires of its leaf values (one per target).
    /// `lists` are the features' [`thresholds`]; `ones` is each feature's thermometer count (the
    /// honest one unless a test tampers).
    #[allow(clippy::too_many_arguments)]
    pub fn lay_out(
        &self,
        region: &mut Region<'_, Fr>,
        strip: &mut RangeStrip<'_>,
        row: &mut usize,
        trees: &QuantizedTrees,
        inputs: &[QuantizedInput],
        lists: &[Vec<i64>],
        features: &[Wire],
        ones: Value<&[usize]>,
        tampers: TreeTampers,
    ) -> Result<Vec<Vec<Wire>>, Error> {
        let mut cells: Vec<Vec<Wire>> = Vec::with_capacity(lists.len());
        for (f, list) in lists.iter().enumerate() {
            if list.is_empty() {
                cells.push(Vec::new());
                continue;
            }
            let input = &inputs[f];
            let extra = (tampers.thermometer == Some(f)).then_some(list.len() - 1);
            let t = strip.thermometer(region, list.len(), ones.map(|o| o[f]), extra)?;
            let mut wires = vec![features[f]];
            wires.extend(t.iter().copied());
            // D_lo = x − lo − Σ t_i·(theta_i − theta_{i−1}),  theta_0 = lo − 1.
            let mut low = vec![1];
            let mut previous = input.min - 1;
            for theta in list {
                low.push(previous - theta);
                previous = *theta;
            }
            let (d_lo, used) = self.dense.assign_output(region, *row, &wires, &low, -input.min, None)?;
            *row += used;
            // D_hi = theta_1 − x + Σ t_i·(theta_{i+1} − theta_i),  theta_{m+1} = hi.
            let mut high = vec![-1];
            high.extend(list.windows(2).map(|w| w[1] - w[0]));
            high.push(input.max - list[list.len() - 1]);
            let (d_hi, used) = self.dense.assign_output(region, *row, &wires, &high, list[0], None)?;
            *row += used;
            let bits = check_bits(input);
            strip.range_check(region, &d_lo, bits)?;
            strip.range_check(region, &d_hi, bits)?;
            cells.push(t);
        }
        let bit_of = |split: &QuantizedSplit| -> Result<&Wire, Error> {
            let feature = cells.get(split.feature).ok_or(Error::Synthesis)?;
            feature.get(position(lists, inputs, split)).ok_or(Error::Synthesis)
        };
        let mut leaves = Vec::with_capacity(trees.trees.len());
        for (t, tree) in trees.trees.iter().enumerate() {
            let bits: Vec<&Wire> = tree.splits.iter().map(bit_of).collect::<Result<_, _>>()?;
            let mut wires = Vec::with_capacity(tree.targets.len());
            for k in 0..tree.targets.len() {
                let table: Vec<i64> = tree.leaves.iter().map(|v| v[k]).collect();
                // Level `l` (0 at the leaves) pair `j` is driven by heap node `2^(D−1−l) − 1 + j`.
                let node = |level: u32, j: usize| bits[(1usize << (trees.depth - 1 - level)) - 1 + j];
                let tamper = (tampers.leaf == Some(t) && k == 0).then_some(trees.depth - 1);
                wires.push(self.mux.table(region, strip, &table, trees.depth, node, tamper)?);
            }
            leaves.push(wires);
        }
        Ok(leaves)
    }
}
