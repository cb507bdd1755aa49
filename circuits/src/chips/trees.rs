//! Tree-ensemble paths: each tree's path is witnessed and checked against the tree's structure,
//! `D` steps per tree instead of all `2^D − 1` splits.
//!
//! Trees are padded to depth `D` in heap order (see `loopx_models::trees`), so a node's key is
//! `off_t + n` with `off_t = t · (2^(D+1) − 1)` and the next node is arithmetic on the direction
//! bit. The tagged lookup table holds, per split, `(NODE_FEATURE, key, feature + 1)` and
//! `(NODE_THRESHOLD, key, threshold)`; per leaf and output `c`, `(LEAF + c, key, value)`; and —
//! as the only *dynamic* entries, whose third element comes from advice cells copied from the
//! range-checked features — `(FEATURE, f + 1, x_f)`.
//!
//! One step is three consecutive lookup rows (`val | out | acc`):
//!
//! ```text
//! r     NODE_FEATURE    key      fid      b
//! r+1   NODE_THRESHOLD  key'     θ        diff
//! r+2   FEATURE         fid'     x        ·
//! r+3   (next step's or the leaf's row: key_next)
//!
//! key' = key, fid' = fid, b boolean, key_next = 2·key + 1 + b − off_t, root: key = off_t
//! diff = b·(x − θ − 1) + (1 − b)·(θ − x),  diff ∈ [0, 2^n)
//! ```
//!
//! Soundness: the root gate and the transition pin every key to `off_t + n` of the node the bits
//! lead to; the two node lookups then give that node's feature and threshold, the feature lookup
//! the feature's actual value (copied from its range-checked input cell), and the range check on
//! `diff` leaves exactly one admissible `b` (`x ≤ θ` or `x > θ`, no wrap-around: all values are
//! far below the field size). The leaf row's lookup gives the leaf's value for that key; the
//! sums `base + Σ leaves` are dense rows with unit weights.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use loopx_models::QuantizedTrees;

use super::lookup::{LookupConfig, LookupStrip, ADVICE_WIDTH};
use super::pool::{boolean, one, ColumnPool, PoolQuery};
use crate::wire::{fr_from_i64, Wire};

/// Tag of `(key, feature + 1)` entries.
pub const NODE_FEATURE_TAG: u64 = 256;
/// Tag of `(key, threshold)` entries.
pub const NODE_THRESHOLD_TAG: u64 = 257;
/// Tag of the dynamic `(feature + 1, value)` entries.
pub const FEATURE_TAG: u64 = 258;
/// Tag of output `c`'s `(key, leaf value)` entries is `LEAF_TAG_BASE + c`.
pub const LEAF_TAG_BASE: u64 = 512;

const VAL: usize = 0;
const OUT: usize = 1;
const ACC: usize = 2;
/// Lookup rows of one path step.
pub const STEP_ROWS: usize = 3;

/// The path gates over the lookup rows of the pool.
#[derive(Clone, Debug)]
pub struct TreeConfig {
    q_step: Selector,
    q_root: Selector,
    pool: ColumnPool,
}

/// The key offset of tree `t` in an ensemble of depth `depth`.
pub fn tree_offset(t: usize, depth: u32) -> u64 {
    t as u64 * ((2u64 << depth) - 1)
}

/// One witnessed step of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepWitness {
    /// Heap index of the split.
    pub node: usize,
    /// Feature index the split reads.
    pub feature: usize,
    /// The split's threshold.
    pub threshold: i64,
    /// The feature's value.
    pub x: i64,
    /// Whether the path goes right.
    pub right: bool,
}

/// A tree's witnessed path and the leaf values it reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathWitness {
    /// One step per level.
    pub steps: Vec<StepWitness>,
    /// Leaf index (`0..2^D`).
    pub leaf: usize,
    /// The leaf's value for each of the tree's targets.
    pub values: Vec<i64>,
}

impl PathWitness {
    /// The path the bits `right` take through tree `t` on features `q` (honest when the bits are
    /// the comparisons' outcomes).
    pub fn follow(trees: &QuantizedTrees, t: usize, q: &[i64], right: impl Fn(usize, bool) -> bool) -> Self {
        let tree = &trees.trees[t];
        let mut n = 0;
        let mut steps = Vec::with_capacity(trees.depth as usize);
        for level in 0..trees.depth as usize {
            let split = tree.splits[n];
            let x = q[split.feature];
            let go_right = right(level, x > split.threshold);
            steps.push(StepWitness {
                node: n,
                feature: split.feature,
                threshold: split.threshold,
                x,
                right: go_right,
            });
            n = 2 * n + 1 + usize::from(go_right);
        }
        let leaf = n + 1 - trees.leaves_per_tree();
        PathWitness { steps, leaf, values: tree.leaves[leaf].clone() }
    }
}

impl TreeConfig {
    /// Creates the path gates on the selectors `[step, root]`.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, selectors: [Selector; 2]) -> Self {
        assert!(pool.width() >= ADVICE_WIDTH, "a lookup record must fit one pool row");
        let [q_step, q_root] = selectors;
        let config = TreeConfig { q_step, q_root, pool: pool.clone() };
        meta.create_gate("tree path step", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q_step);
            let (key, fid, b) = (p.a(VAL), p.a(OUT), p.a(ACC));
            let (key2, theta, diff) = (p.a_shifted(VAL, 1), p.a_shifted(OUT, 1), p.a_shifted(ACC, 1));
            let (fid2, x) = (p.a_shifted(VAL, 2), p.a_shifted(OUT, 2));
            let next = p.a_shifted(VAL, STEP_ROWS as i32);
            let offset = p.f(1);
            let two = halo2_proofs::plonk::Expression::Constant(Fr::from(2));
            vec![
                q.clone() * boolean(b.clone()),
                q.clone() * (key2 - key.clone()),
                q.clone() * (fid2 - fid),
                q.clone()
                    * (diff
                        - b.clone() * (x.clone() - theta.clone() - one())
                        - (one() - b.clone()) * (theta - x)),
                q * (next - (two * key + one() + b - offset)),
            ]
        });
        meta.create_gate("tree path root", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q_root);
            vec![q * (p.a(VAL) - p.f(1))]
        });
        config
    }

    /// Lays tree `t`'s path out on consecutive lookup rows, then range-checks the comparisons;
    /// returns the wires of the leaf values (one per target).
    #[allow(clippy::too_many_arguments)]
    pub fn assign_path(
        &self,
        region: &mut Region<'_, Fr>,
        strip: &mut LookupStrip<'_>,
        trees: &QuantizedTrees,
        t: usize,
        path: Value<&PathWitness>,
        diff_bits: u32,
    ) -> Result<Vec<Wire>, Error> {
        let pool = &self.pool;
        let offset = tree_offset(t, trees.depth);
        let mut diffs = Vec::with_capacity(trees.depth as usize);
        for level in 0..trees.depth as usize {
            let step = path.map(|p| p.steps[level]);
            let key = step.map(|s| Fr::from(offset + s.node as u64));
            let fid = step.map(|s| Fr::from(s.feature as u64 + 1));
            let r = strip.open_row(region, Fr::from(NODE_FEATURE_TAG));
            self.q_step.enable(region, r)?;
            if level == 0 {
                self.q_root.enable(region, r)?;
            }
            pool.fix(region, r, 1, Fr::from(offset));
            pool.assign(region, r, VAL, key);
            pool.assign(region, r, OUT, fid);
            pool.assign(region, r, ACC, step.map(|s| Fr::from(u64::from(s.right))));
            let r = strip.open_row(region, Fr::from(NODE_THRESHOLD_TAG));
            pool.assign(region, r, VAL, key);
            pool.assign(region, r, OUT, step.map(|s| fr_from_i64(s.threshold)));
            let diff =
                step.map(|s| fr_from_i64(if s.right { s.x - s.threshold - 1 } else { s.threshold - s.x }));
            diffs.push(pool.assign(region, r, ACC, diff));
            let r = strip.open_row(region, Fr::from(FEATURE_TAG));
            pool.assign(region, r, VAL, fid);
            pool.assign(region, r, OUT, step.map(|s| fr_from_i64(s.x)));
            pool.assign(region, r, ACC, Value::known(Fr::ZERO));
        }
        let tree = &trees.trees[t];
        let leaf_key = path.map(|p| Fr::from(offset + (trees.leaves_per_tree() - 1 + p.leaf) as u64));
        let mut first_key: Option<Wire> = None;
        let mut leaves = Vec::with_capacity(tree.targets.len());
        for (k, target) in tree.targets.iter().enumerate() {
            let r = strip.open_row(region, Fr::from(LEAF_TAG_BASE + *target as u64));
            let key = match &first_key {
                Some(wire) => pool.copy(region, r, VAL, wire),
                None => pool.assign(region, r, VAL, leaf_key),
            };
            first_key.get_or_insert(key);
            leaves.push(pool.assign(region, r, OUT, path.map(|p| fr_from_i64(p.values[k]))));
            pool.assign(region, r, ACC, Value::known(Fr::ZERO));
        }
        for diff in &diffs {
            strip.range_check(region, diff, diff_bits)?;
        }
        Ok(leaves)
    }
}

/// Bits of the comparison check: enough for every split of every tree over its feature's range.
pub fn diff_bits(model: &loopx_models::QuantizedModel) -> u32 {
    let Some(trees) = &model.trees else { return 0 };
    let spread = trees
        .trees
        .iter()
        .flat_map(|t| &t.splits)
        .map(|s| {
            let input = &model.inputs[s.feature];
            (input.max as i128 - s.threshold as i128 - 1).max(s.threshold as i128 - input.min as i128)
        })
        .max()
        .unwrap_or(0);
    crate::plan::bits_for(spread)
}

impl TreeConfig {
    /// Lookup rows one tree takes (path, leaves, comparison checks).
    pub fn lookup_rows(trees: &QuantizedTrees, t: usize, diff_limbs: usize) -> usize {
        trees.depth as usize * (STEP_ROWS + diff_limbs) + trees.trees[t].targets.len()
    }
}

/// Table entries of the ensemble: node features and thresholds, and leaf values.
pub fn table_entries(trees: &QuantizedTrees) -> Vec<[Fr; 3]> {
    let mut entries = Vec::new();
    for (t, tree) in trees.trees.iter().enumerate() {
        let offset = tree_offset(t, trees.depth);
        for (n, split) in tree.splits.iter().enumerate() {
            let key = Fr::from(offset + n as u64);
            entries.push([Fr::from(NODE_FEATURE_TAG), key, Fr::from(split.feature as u64 + 1)]);
            entries.push([Fr::from(NODE_THRESHOLD_TAG), key, fr_from_i64(split.threshold)]);
        }
        for (leaf, values) in tree.leaves.iter().enumerate() {
            let key = Fr::from(offset + (tree.splits.len() + leaf) as u64);
            for (target, value) in tree.targets.iter().zip(values) {
                entries.push([Fr::from(LEAF_TAG_BASE + *target as u64), key, fr_from_i64(*value)]);
            }
        }
    }
    entries
}

/// Makes `row` the dynamic table entry `(FEATURE, feature + 1, x)`, `x` copied from `wire`
/// (`tamper`: the entry holds `x + 1`, for soundness tests).
pub fn assign_feature_entry(
    region: &mut Region<'_, Fr>,
    lookup: &LookupConfig,
    pool: &ColumnPool,
    row: usize,
    feature: usize,
    wire: &Wire,
    tamper: bool,
) -> Result<(), Error> {
    let value = if tamper { wire.value.map(|v| v + Fr::ONE) } else { wire.value };
    lookup.dynamic_entry(region, row, [Fr::from(FEATURE_TAG), Fr::from(feature as u64 + 1)], value)?;
    pool.copy(region, row, 0, wire);
    Ok(())
}
