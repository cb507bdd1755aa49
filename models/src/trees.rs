//! Tree ensembles (gradient boosting, random forests): the float form imported from ONNX-ML, and
//! the quantized form the circuit proves.
//!
//! The float ensemble keeps the converter's node lists as trees of splits and leaves. Its score
//! vector is `base + Σ_trees leaf(tree, x)`, where a leaf may add to several outputs (a forest's
//! class votes) or to one (a boosted tree per class).
//!
//! Quantization pads every tree to one depth `D` in heap order (children of node `n` at `2n + 1`
//! and `2n + 2`), so a path is exactly `D` steps and its next node is arithmetic on the direction
//! bit — which is what lets the circuit read each tree's leaf through a multiplexer tree driven by
//! one comparison per node (every split is evaluated, as a cell of its feature's thermometer).
//! A leaf above depth `D` becomes a chain of splits that always go left (`x_0 > max(x_0)` never
//! holds) ending in copies of the leaf. Every split becomes "go right iff `q_f > threshold`"
//! over the quantized feature `q_f`, with the threshold rounded at the feature's scale (a row at
//! or on the `yes` side of the float threshold stays there; integer thresholds of integer
//! features are exact), and clamped to the feature's range so an honest comparison always fits
//! the circuit's range check.

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::quantized::{Bounds, QuantizedInput};

/// Deepest tree accepted: the padded tree has `2^D` leaves, so this bounds the circuit's table.
pub const MAX_TREE_DEPTH: u32 = 10;
/// Most fractional bits of a leaf value.
pub const MAX_LEAF_SCALE_BITS: u32 = 16;
/// Worst-case scores stay within `±2^SCORE_MAGNITUDE_BITS` after quantization.
pub const SCORE_MAGNITUDE_BITS: u32 = 40;

/// When a split sends a row to its `yes` child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SplitRule {
    /// `x <= threshold` (scikit-learn).
    Leq,
    /// `x < threshold` (XGBoost, LightGBM).
    Lt,
    /// `x >= threshold`.
    Gte,
    /// `x > threshold`.
    Gt,
}

impl SplitRule {
    /// Whether `x` takes the `yes` branch. Like onnxruntime, the comparison is made in single
    /// precision (ONNX-ML trees read float tensors and store float thresholds): converters put
    /// thresholds on training values rounded to `f32`, so rows equal to a threshold are common.
    pub fn holds(self, x: f64, threshold: f64) -> bool {
        let (x, threshold) = (f64::from(x as f32), f64::from(threshold as f32));
        match self {
            SplitRule::Leq => x <= threshold,
            SplitRule::Lt => x < threshold,
            SplitRule::Gte => x >= threshold,
            SplitRule::Gt => x > threshold,
        }
    }
}

/// One node of a float tree.
#[derive(Clone, Debug, PartialEq)]
pub enum TreeNode {
    /// A comparison of one feature with a threshold.
    Split {
        /// Feature index.
        feature: usize,
        /// Threshold in feature units.
        threshold: f64,
        /// The comparison.
        rule: SplitRule,
        /// Node taken when the rule holds.
        yes: usize,
        /// Node taken otherwise.
        no: usize,
    },
    /// A leaf: `(output, value)` pairs added to the scores.
    Leaf {
        /// Contributions to the score vector.
        weights: Vec<(usize, f64)>,
    },
}

/// One float tree; node 0 is the root.
#[derive(Clone, Debug, PartialEq)]
pub struct Tree {
    /// The nodes, referenced by index.
    pub nodes: Vec<TreeNode>,
}

/// A float tree ensemble over a feature row.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeEnsemble {
    /// Number of input features.
    pub inputs: usize,
    /// Width of the score vector.
    pub outputs: usize,
    /// Base value of every score.
    pub base: Vec<f64>,
    /// The trees, summed.
    pub trees: Vec<Tree>,
}

impl Tree {
    /// Index of the leaf `row` reaches.
    fn leaf_of(&self, row: &[f64]) -> usize {
        let mut n = 0;
        while let TreeNode::Split { feature, threshold, rule, yes, no } = &self.nodes[n] {
            n = if rule.holds(row[*feature], *threshold) { *yes } else { *no };
        }
        n
    }

    /// Depth of the deepest leaf (a lone leaf has depth 0). Assumes a validated tree.
    pub fn depth(&self) -> u32 {
        fn walk(nodes: &[TreeNode], n: usize) -> u32 {
            match &nodes[n] {
                TreeNode::Leaf { .. } => 0,
                TreeNode::Split { yes, no, .. } => 1 + walk(nodes, *yes).max(walk(nodes, *no)),
            }
        }
        walk(&self.nodes, 0)
    }

    /// Checks the tree is a tree (every node reached exactly once from the root, no cycle), no
    /// deeper than [`MAX_TREE_DEPTH`], with features, outputs and values in range.
    fn validate(&self, inputs: usize, outputs: usize) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("the tree has no nodes".into());
        }
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![(0usize, 0u32)];
        while let Some((n, depth)) = stack.pop() {
            let node = self.nodes.get(n).ok_or_else(|| format!("child {n} does not exist"))?;
            if std::mem::replace(&mut seen[n], true) {
                return Err(format!("node {n} is reached twice (not a tree)"));
            }
            match node {
                TreeNode::Split { feature, threshold, yes, no, .. } => {
                    if *feature >= inputs {
                        return Err(format!("node {n} splits on feature {feature} of {inputs}"));
                    }
                    if !threshold.is_finite() {
                        return Err(format!("node {n} has a non-finite threshold"));
                    }
                    if depth >= MAX_TREE_DEPTH {
                        return Err(format!("the tree is deeper than {MAX_TREE_DEPTH}"));
                    }
                    stack.push((*yes, depth + 1));
                    stack.push((*no, depth + 1));
                }
                TreeNode::Leaf { weights } => {
                    if let Some((o, v)) = weights.iter().find(|(o, v)| *o >= outputs || !v.is_finite()) {
                        return Err(format!("leaf {n} adds {v} to output {o} of {outputs}"));
                    }
                }
            }
        }
        if let Some(n) = seen.iter().position(|s| !s) {
            return Err(format!("node {n} is unreachable from the root"));
        }
        Ok(())
    }
}

impl TreeEnsemble {
    /// Builds and validates an ensemble.
    pub fn new(inputs: usize, outputs: usize, base: Vec<f64>, trees: Vec<Tree>) -> Result<Self, ModelError> {
        let bad = |m: String| Err(ModelError::InvalidGraph(format!("tree ensemble: {m}")));
        if trees.is_empty() || outputs == 0 {
            return bad("it needs at least one tree and one output".into());
        }
        if base.len() != outputs || base.iter().any(|b| !b.is_finite()) {
            return bad(format!("{} base values for {outputs} outputs", base.len()));
        }
        for (t, tree) in trees.iter().enumerate() {
            if let Err(m) = tree.validate(inputs, outputs) {
                return bad(format!("tree {t}: {m}"));
            }
        }
        Ok(TreeEnsemble { inputs, outputs, base, trees })
    }

    /// The depth every tree is padded to (at least 1).
    pub fn depth(&self) -> u32 {
        self.trees.iter().map(Tree::depth).max().unwrap_or(0).max(1)
    }

    /// Internal nodes over all trees.
    pub fn splits(&self) -> usize {
        self.trees.iter().flat_map(|t| &t.nodes).filter(|n| matches!(n, TreeNode::Split { .. })).count()
    }

    /// The score vector of one row.
    pub fn scores(&self, row: &[f64]) -> Vec<f64> {
        let mut scores = self.base.clone();
        for tree in &self.trees {
            if let TreeNode::Leaf { weights } = &tree.nodes[tree.leaf_of(row)] {
                for (o, v) in weights {
                    scores[*o] += v;
                }
            }
        }
        scores
    }
}

/// One split of a padded, quantized tree: go right iff `q[feature] > threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantizedSplit {
    /// Feature index.
    pub feature: usize,
    /// Threshold at the feature's scale.
    pub threshold: i64,
}

/// A tree padded to the ensemble's depth, in heap order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantizedTree {
    /// `2^D − 1` splits; node `n`'s children are `2n + 1` (left) and `2n + 2` (right).
    pub splits: Vec<QuantizedSplit>,
    /// The outputs this tree adds to, ascending.
    pub targets: Vec<usize>,
    /// `leaves[leaf][k]` is added to output `targets[k]`; `2^D` leaves, left to right.
    pub leaves: Vec<Vec<i64>>,
}

/// The quantized ensemble: scores `base + Σ leaves` at `leaf_scale_bits` fractional bits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantizedTrees {
    /// Depth of every (padded) tree.
    pub depth: u32,
    /// Fractional bits of leaves, base and scores.
    pub leaf_scale_bits: u32,
    /// Base value of each score.
    pub base: Vec<i64>,
    /// The trees.
    pub trees: Vec<QuantizedTree>,
}

/// The path of one tree: its direction bits and the leaf reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreePath {
    /// Heap index of every split visited, root first.
    pub nodes: Vec<usize>,
    /// `true` where the path went right.
    pub right: Vec<bool>,
    /// Leaf index (`0..2^D`).
    pub leaf: usize,
}

/// Every intermediate of a quantized ensemble's evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreesTrace {
    /// One path per tree.
    pub paths: Vec<TreePath>,
    /// The score vector.
    pub scores: Vec<i64>,
}

impl QuantizedTrees {
    /// Width of the score vector.
    pub fn outputs(&self) -> usize {
        self.base.len()
    }

    /// Leaves per tree.
    pub fn leaves_per_tree(&self) -> usize {
        1 << self.depth
    }

    /// Exact integer evaluation (inputs already range-checked).
    pub fn forward(&self, q: &[i64]) -> TreesTrace {
        let mut scores = self.base.clone();
        let mut paths = Vec::with_capacity(self.trees.len());
        for tree in &self.trees {
            let (mut n, mut nodes, mut right) = (0usize, Vec::new(), Vec::new());
            for _ in 0..self.depth {
                let split = tree.splits[n];
                let go_right = q[split.feature] > split.threshold;
                nodes.push(n);
                right.push(go_right);
                n = 2 * n + 1 + usize::from(go_right);
            }
            let leaf = n + 1 - self.leaves_per_tree();
            for (k, o) in tree.targets.iter().enumerate() {
                scores[*o] += tree.leaves[leaf][k];
            }
            paths.push(TreePath { nodes, right, leaf });
        }
        TreesTrace { paths, scores }
    }

    /// Bounds of each score over all inputs: base plus every tree's extreme leaves.
    pub fn score_bounds(&self) -> Vec<Bounds> {
        let mut bounds: Vec<Bounds> = self.base.iter().map(|b| Bounds { min: *b, max: *b }).collect();
        for tree in &self.trees {
            for (k, o) in tree.targets.iter().enumerate() {
                let column = tree.leaves.iter().map(|l| l[k]);
                bounds[*o].min += column.clone().min().unwrap_or(0);
                bounds[*o].max += column.max().unwrap_or(0);
            }
        }
        bounds
    }

    /// Checks shapes, feature indices, thresholds within the features' ranges and score sizes.
    pub fn validate(&self, inputs: &[QuantizedInput]) -> Result<(), String> {
        if self.depth == 0 || self.depth > MAX_TREE_DEPTH {
            return Err(format!("tree depth {} is outside 1..={MAX_TREE_DEPTH}", self.depth));
        }
        if self.trees.is_empty() || self.base.is_empty() || self.leaf_scale_bits > MAX_LEAF_SCALE_BITS {
            return Err("an ensemble needs trees, outputs and a sane leaf scale".into());
        }
        let splits = self.leaves_per_tree() - 1;
        let limit = 1i64 << SCORE_MAGNITUDE_BITS;
        for (t, tree) in self.trees.iter().enumerate() {
            if tree.splits.len() != splits || tree.leaves.len() != splits + 1 {
                return Err(format!("tree {t} is not padded to depth {}", self.depth));
            }
            if tree.targets.is_empty()
                || tree.targets.windows(2).any(|w| w[0] >= w[1])
                || tree.targets.iter().any(|o| *o >= self.outputs())
            {
                return Err(format!("tree {t} has malformed targets"));
            }
            if tree.leaves.iter().flatten().any(|v| v.abs() >= limit)
                || tree.leaves.iter().any(|l| l.len() != tree.targets.len())
            {
                return Err(format!("tree {t} has malformed or oversized leaves"));
            }
            for s in &tree.splits {
                let input = inputs.get(s.feature).ok_or(format!("tree {t} splits on a missing feature"))?;
                if s.threshold < input.min - 1 || s.threshold > input.max {
                    return Err(format!("tree {t} has a threshold outside feature {}'s range", s.feature));
                }
            }
        }
        let bounds = self.score_bounds_checked().ok_or("scores can overflow")?;
        if bounds.iter().any(|b| b.min.abs() >= limit || b.max.abs() >= limit) {
            return Err(format!("scores can exceed 2^{SCORE_MAGNITUDE_BITS}"));
        }
        Ok(())
    }

    fn score_bounds_checked(&self) -> Option<Vec<Bounds>> {
        // Leaves and base are below 2^40 and trees are few enough (< 2^20) not to overflow i64,
        // but untrusted packages can hold anything: use i128 here.
        let mut lo: Vec<i128> = self.base.iter().map(|b| *b as i128).collect();
        let mut hi = lo.clone();
        for tree in &self.trees {
            for (k, o) in tree.targets.iter().enumerate() {
                lo[*o] += tree.leaves.iter().map(|l| l[k] as i128).min()?;
                hi[*o] += tree.leaves.iter().map(|l| l[k] as i128).max()?;
            }
        }
        lo.iter()
            .zip(&hi)
            .map(|(l, h)| Some(Bounds { min: i64::try_from(*l).ok()?, max: i64::try_from(*h).ok()? }))
            .collect()
    }
}

/// Quantizes `ensemble` over the quantized `inputs` (see the module docs).
pub fn quantize_trees(
    ensemble: &TreeEnsemble,
    inputs: &[QuantizedInput],
) -> Result<QuantizedTrees, ModelError> {
    let depth = ensemble.depth();
    // Worst-case float score magnitude, to pick the leaf scale.
    let mut magnitude: Vec<f64> = ensemble.base.iter().map(|b| b.abs()).collect();
    for tree in &ensemble.trees {
        let mut largest = vec![0.0f64; ensemble.outputs];
        for node in &tree.nodes {
            if let TreeNode::Leaf { weights } = node {
                for (o, v) in weights {
                    largest[*o] = largest[*o].max(v.abs());
                }
            }
        }
        magnitude.iter_mut().zip(largest).for_each(|(m, l)| *m += l);
    }
    let worst = magnitude.into_iter().fold(0.0, f64::max);
    let leaf_scale_bits = (0..=MAX_LEAF_SCALE_BITS)
        .rev()
        .find(|s| worst * 2f64.powi(*s as i32) < 2f64.powi(SCORE_MAGNITUDE_BITS as i32 - 2))
        .ok_or_else(|| ModelError::InvalidGraph("tree ensemble: leaf values are too large".into()))?;
    let fixed = |v: f64| (v * 2f64.powi(leaf_scale_bits as i32)).round() as i64;
    let trees = ensemble.trees.iter().map(|tree| pad_tree(tree, depth, inputs, &fixed)).collect();
    let trees = QuantizedTrees {
        depth,
        leaf_scale_bits,
        base: ensemble.base.iter().map(|b| fixed(*b)).collect(),
        trees,
    };
    trees.validate(inputs).map_err(|m| ModelError::InvalidModel(format!("tree ensemble: {m}")))?;
    Ok(trees)
}

/// The quantized threshold `t` such that "go right iff `q > t`" matches the split, and whether
/// the split's `yes` child is the right one.
fn quantize_split(rule: SplitRule, threshold: f64, input: &QuantizedInput) -> (i64, bool) {
    let scaled = f64::from(threshold as f32) * 2f64.powi(input.scale_bits as i32);
    // Rounding is monotonic, so `x ≤ θ` implies `round(x·s) ≤ round(θ·s)`: a row *at* the
    // threshold (common, see `SplitRule::holds`) keeps its side; only rows above it by less than
    // half a step can cross. Likewise `x < θ` becomes `q ≤ round(θ·s) − 1`.
    let (t, yes_is_right) = match rule {
        SplitRule::Leq => (scaled.round(), false),
        SplitRule::Lt => (scaled.round() - 1.0, false),
        SplitRule::Gt => (scaled.round(), true),
        SplitRule::Gte => (scaled.round() - 1.0, true),
    };
    // Beyond the feature's range every row goes the same way; clamping keeps that and keeps the
    // circuit's comparison small.
    let t = t.clamp(input.min as f64 - 1.0, input.max as f64) as i64;
    (t, yes_is_right)
}

fn pad_tree(tree: &Tree, depth: u32, inputs: &[QuantizedInput], fixed: &dyn Fn(f64) -> i64) -> QuantizedTree {
    let mut targets: Vec<usize> = tree
        .nodes
        .iter()
        .filter_map(|n| match n {
            TreeNode::Leaf { weights } => Some(weights.iter().map(|(o, _)| *o)),
            TreeNode::Split { .. } => None,
        })
        .flatten()
        .collect();
    targets.sort_unstable();
    targets.dedup();
    if targets.is_empty() {
        targets.push(0); // a tree of empty leaves adds zero to output 0
    }
    let leaf_count = 1usize << depth;
    let mut splits = vec![QuantizedSplit { feature: 0, threshold: inputs[0].max }; leaf_count - 1];
    let mut leaves = vec![vec![0i64; targets.len()]; leaf_count];
    // (float node, heap index, depth of the heap index)
    let mut stack = vec![(0usize, 0usize, 0u32)];
    while let Some((n, h, d)) = stack.pop() {
        match &tree.nodes[n] {
            TreeNode::Split { feature, threshold, rule, yes, no } => {
                let (t, yes_is_right) = quantize_split(*rule, *threshold, &inputs[*feature]);
                splits[h] = QuantizedSplit { feature: *feature, threshold: t };
                let (left, right) = if yes_is_right { (*no, *yes) } else { (*yes, *no) };
                stack.push((left, 2 * h + 1, d + 1));
                stack.push((right, 2 * h + 2, d + 1));
            }
            TreeNode::Leaf { weights } => {
                let mut values = vec![0i64; targets.len()];
                for (o, v) in weights {
                    let k = targets.binary_search(o).expect("target collected above");
                    values[k] += fixed(*v);
                }
                // Every leaf under `h` at depth D gets the value; the always-left padding splits
                // (already in `splits`) only ever reach the leftmost one.
                let first = ((h + 1) << (depth - d)) - 1;
                let span = 1usize << (depth - d);
                for leaf in &mut leaves[first + 1 - leaf_count..first + 1 - leaf_count + span] {
                    leaf.clone_from(&values);
                }
            }
        }
    }
    QuantizedTree { splits, targets, leaves }
}
