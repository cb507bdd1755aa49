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
//! leaf the comparisons lead to. It is pruned per target ([`MuxTree::pruned`]): a subtree whose
//! leaves are all equal — every padded one — is that constant and takes no record, so a tree
//! costs about one record per real split, and a tree that is constant for a target adds its
//! constant to that output's bias. The sums `base + Σ leaves` are dense rows with unit weights.

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::Error;
use loopx_models::{QuantizedInput, QuantizedSplit, QuantizedTrees};

use super::dense::DenseConfig;
use super::mux::{MuxConfig, MuxJob};
use super::mux_tree::{MuxInput, MuxTree, MuxWitness};
use super::range::{bits_for, RangeStrip};
use crate::sheet::Sheet;
use crate::wire::{fr_from_i64, Wire};

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

/// Feature `f`'s thermometer bounds `[D_lo, D_hi]` (see the module comment) for the thermometer
/// cells `cells` over its thresholds `list`: what the two dense rows give.
pub fn thermometer_bounds(list: &[i64], input: &QuantizedInput, x: i64, cells: &[u64]) -> [i64; 2] {
    let t = |i: usize| cells[i] as i64;
    let mut d_lo = x - input.min;
    let mut previous = input.min - 1;
    for (i, theta) in list.iter().enumerate() {
        d_lo += t(i) * (previous - theta);
        previous = *theta;
    }
    let mut d_hi = list[0] - x;
    for i in 0..list.len() {
        let next = list.get(i + 1).copied().unwrap_or(input.max);
        d_hi += t(i) * (next - list[i]);
    }
    [d_lo, d_hi]
}

/// The values a tree ensemble's records hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreesWitness {
    /// Per feature, its thermometer's cells `t_i`: one for each threshold below the
    /// feature (all zero for none); empty for a feature no split reads.
    pub cells: Vec<Vec<u64>>,
    /// Per feature, the thermometer bounds `[D_lo, D_hi]` (zero for a feature no split reads).
    pub bounds: Vec<[i64; 2]>,
    /// Per tree, per target, the nodes of the pruned multiplexer tree over its leaves
    /// ([`leaf_trees`]).
    pub leaves: Vec<Vec<MuxWitness>>,
    /// Per output, the base score plus every leaf that adds to it.
    pub sums: Vec<i64>,
}

impl TreesWitness {
    /// The records of `trees` on features `q` when feature `f`'s thermometer counts `ones[f]`
    /// thresholds below it (honestly, [`ones`] of the feature).
    pub fn new(trees: &QuantizedTrees, inputs: &[QuantizedInput], q: &[i64], ones: &[usize]) -> Self {
        let lists = thresholds(trees, inputs);
        let cells: Vec<Vec<u64>> = lists
            .iter()
            .zip(ones)
            .map(|(list, k)| (0..list.len()).map(|i| u64::from(i < *k)).collect())
            .collect();
        Self::from_cells(trees, inputs, q, cells)
    }

    /// The records that follow from thermometer cells `cells`: bounds, leaves and sums.
    pub fn from_cells(
        trees: &QuantizedTrees,
        inputs: &[QuantizedInput],
        q: &[i64],
        cells: Vec<Vec<u64>>,
    ) -> Self {
        let lists = thresholds(trees, inputs);
        let bounds =
            lists
                .iter()
                .enumerate()
                .map(|(f, list)| {
                    if list.is_empty() {
                        [0, 0]
                    } else {
                        thermometer_bounds(list, &inputs[f], q[f], &cells[f])
                    }
                })
                .collect();
        let right = |split: &QuantizedSplit| {
            let at = position(&lists, inputs, split);
            cells[split.feature][at] != 0
        };
        let leaves: Vec<Vec<MuxWitness>> = trees
            .trees
            .iter()
            .zip(leaf_trees(trees))
            .map(|(tree, muxes)| {
                muxes
                    .iter()
                    .map(|mux| {
                        MuxWitness::of(mux, |level, j| right(&tree.splits[leaf_node(trees.depth, level, j)]))
                    })
                    .collect()
            })
            .collect();
        let mut witness = TreesWitness { cells, bounds, leaves, sums: Vec::new() };
        witness.sum_leaves(trees);
        witness
    }

    /// Recomputes every output's sum from the leaves' outputs.
    pub fn sum_leaves(&mut self, trees: &QuantizedTrees) {
        self.sums = trees_by_output(trees)
            .iter()
            .enumerate()
            .map(|(o, terms)| {
                trees.base[o] + terms.iter().map(|(t, k)| self.leaves[*t][*k].output()).sum::<i64>()
            })
            .collect();
    }
}

/// The heap node (split) that drives pair `j` of level `level` (0 at the leaves) of a depth-`depth`
/// tree's multiplexers.
pub fn leaf_node(depth: u32, level: u32, j: usize) -> usize {
    (1usize << (depth - 1 - level)) - 1 + j
}

/// Per tree, per target, the pruned multiplexer tree over its leaves.
pub fn leaf_trees(trees: &QuantizedTrees) -> Vec<Vec<MuxTree>> {
    trees
        .trees
        .iter()
        .map(|tree| {
            (0..tree.targets.len())
                .map(|k| {
                    let table: Vec<i64> = tree.leaves.iter().map(|v| v[k]).collect();
                    MuxTree::pruned(&table, trees.depth)
                })
                .collect()
        })
        .collect()
}

/// Per output of a tree ensemble, the `(tree, target)` leaves that add to it.
pub fn trees_by_output(trees: &QuantizedTrees) -> Vec<Vec<(usize, usize)>> {
    let mut by_output = vec![Vec::new(); trees.outputs()];
    for (t, tree) in trees.trees.iter().enumerate() {
        for (k, o) in tree.targets.iter().enumerate() {
            by_output[*o].push((t, k));
        }
    }
    by_output
}

/// What the tree layout needs from the rest of the circuit.
pub struct TreeChips<'a> {
    /// The multiply-accumulate chip (thermometer bounds, sums).
    pub dense: &'a DenseConfig,
    /// The multiplexers (leaves).
    pub mux: &'a MuxConfig,
}

impl TreeChips<'_> {
    /// Lays out the thermometers (bounds at pool rows from `row` on, cells in the strip), every
    /// tree's multiplexers and the sums of leaves (pool rows); returns the sums' wires.
    #[allow(clippy::too_many_arguments)]
    pub fn lay_out(
        &self,
        sheet: &mut impl Sheet,
        strip: &mut RangeStrip<'_>,
        row: &mut usize,
        trees: &QuantizedTrees,
        inputs: &[QuantizedInput],
        features: &[Wire],
        witness: Option<&TreesWitness>,
    ) -> Result<Vec<Wire>, Error> {
        let lists = thresholds(trees, inputs);
        let known = |f: &dyn Fn(&TreesWitness) -> i64| {
            witness.map_or(Value::unknown(), |w| Value::known(fr_from_i64(f(w))))
        };
        let mut cells: Vec<Vec<Wire>> = Vec::with_capacity(lists.len());
        for (f, list) in lists.iter().enumerate() {
            if list.is_empty() {
                cells.push(Vec::new());
                continue;
            }
            let input = &inputs[f];
            let values = witness.map_or(Value::unknown(), |w| Value::known(w.cells[f].as_slice()));
            let t = strip.thermometer(sheet, list.len(), values)?;
            let mut wires = vec![features[f]];
            wires.extend(t.iter().copied());
            // D_lo = x − lo − Σ t_i·(theta_i − theta_{i−1}),  theta_0 = lo − 1.
            let mut low = vec![1];
            let mut previous = input.min - 1;
            for theta in list {
                low.push(previous - theta);
                previous = *theta;
            }
            let d_lo = known(&|w| w.bounds[f][0]);
            let (d_lo, used) = self.dense.assign_output(sheet, *row, &wires, &low, -input.min, d_lo)?;
            *row += used;
            // D_hi = theta_1 − x + Σ t_i·(theta_{i+1} − theta_i),  theta_{m+1} = hi.
            let mut high = vec![-1];
            high.extend(list.windows(2).map(|w| w[1] - w[0]));
            high.push(input.max - list[list.len() - 1]);
            let d_hi = known(&|w| w.bounds[f][1]);
            let (d_hi, used) = self.dense.assign_output(sheet, *row, &wires, &high, list[0], d_hi)?;
            *row += used;
            let bits = check_bits(input);
            strip.range_check(sheet, &d_lo, bits)?;
            strip.range_check(sheet, &d_hi, bits)?;
            cells.push(t);
        }
        let bit_of = |split: &QuantizedSplit| -> Result<&Wire, Error> {
            let feature = cells.get(split.feature).ok_or(Error::Synthesis)?;
            feature.get(position(&lists, inputs, split)).ok_or(Error::Synthesis)
        };
        let muxes = leaf_trees(trees);
        let mut jobs = Vec::new();
        for (t, tree) in trees.trees.iter().enumerate() {
            for (k, mux) in muxes[t].iter().enumerate() {
                let bits = mux
                    .nodes
                    .iter()
                    .map(|n| bit_of(&tree.splits[leaf_node(trees.depth, n.level, n.j)]))
                    .collect::<Result<_, _>>()?;
                let values = witness.map_or(Value::unknown(), |w| Value::known(&w.leaves[t][k]));
                jobs.push(MuxJob { tree: mux, bits, values });
            }
        }
        let mut outputs = self.mux.lay_out(sheet, strip, &jobs)?.into_iter();
        let mut leaves: Vec<Vec<Option<Wire>>> = Vec::with_capacity(trees.trees.len());
        for tree in &muxes {
            leaves.push(tree.iter().map(|_| outputs.next().flatten()).collect());
        }
        let mut sums = Vec::with_capacity(trees.outputs());
        for (o, terms) in trees_by_output(trees).iter().enumerate() {
            // A tree constant for this target adds its constant to the bias, not a term.
            let mut bias = trees.base[o];
            let mut inputs = Vec::with_capacity(terms.len());
            for (t, k) in terms {
                match (leaves[*t][*k], muxes[*t][*k].output) {
                    (Some(wire), MuxInput::Node(_)) => inputs.push(wire),
                    (None, MuxInput::Constant(c)) => bias += c,
                    _ => return Err(Error::Synthesis),
                }
            }
            let sum = known(&|w| w.sums[o]);
            let (acc, used) =
                self.dense.assign_output(sheet, *row, &inputs, &vec![1; inputs.len()], bias, sum)?;
            *row += used;
            sums.push(acc);
        }
        Ok(sums)
    }
}
