//! ONNX-ML operators as skl2onnx and onnxmltools write them: tree ensembles
//! (`TreeEnsembleClassifier`, `TreeEnsembleRegressor`) mapped onto a [`TreeEnsemble`] and the
//! post-transform ops after it, and the linear family (`Scaler`, `LinearClassifier`,
//! `LinearRegressor`, a no-op `Normalizer`) mapped onto affine ops.
//!
//! The attributes are parallel lists: one entry per node (`nodes_*`) and one per leaf weight
//! (`class_*` / `target_*`), trees and nodes named by ids. Semantics follow the ONNX-ML spec and
//! onnxruntime: scores are `base_values + Σ weights` of the leaves reached (`AVERAGE` divides the
//! sum by the number of trees first); a classifier with two labels but weights for one class only
//! is the binary case, whose single score is the second class's (its probability is
//! `sigmoid(score)` under `LOGISTIC`). Missing-value tracking is irrelevant here: features are
//! never NaN (inputs are checked finite).

use std::collections::HashMap;

use ndarray::{Array1, Array2};
use tract_onnx::pb;

use crate::graph::{Node, Op};
use crate::trees::{SplitRule, Tree, TreeEnsemble, TreeNode};

/// Most scores (classes or targets) an ensemble may have; a corrupt count must not make us
/// allocate without bound.
const MAX_OUTPUTS: usize = 1 << 12;

/// The ops replacing one tree-ensemble node: the ensemble, then its post-transform.
pub(crate) fn tree_ensemble_ops(node: &pb::NodeProto, width: usize) -> Result<Vec<Op>, String> {
    let classifier = node.op_type == "TreeEnsembleClassifier";
    let prefix = if classifier { "class" } else { "target" };
    let tree_ids = ints(node, "nodes_treeids")?;
    let node_ids = ints(node, "nodes_nodeids")?;
    let features = ints(node, "nodes_featureids")?;
    let thresholds = match floats(node, "nodes_values") {
        Ok(v) => v,
        Err(_) => tensor_values(node, "nodes_values_as_tensor")?,
    };
    let modes = strings(node, "nodes_modes")?;
    let yes_ids = ints(node, "nodes_truenodeids")?;
    let no_ids = ints(node, "nodes_falsenodeids")?;
    let n = tree_ids.len();
    for (name, len) in [
        ("nodes_nodeids", node_ids.len()),
        ("nodes_featureids", features.len()),
        ("nodes_values", thresholds.len()),
        ("nodes_modes", modes.len()),
        ("nodes_truenodeids", yes_ids.len()),
        ("nodes_falsenodeids", no_ids.len()),
    ] {
        if len != n {
            return Err(format!("`{name}` has {len} entries but `nodes_treeids` has {n}"));
        }
    }
    let w_trees = ints(node, &format!("{prefix}_treeids"))?;
    let w_nodes = ints(node, &format!("{prefix}_nodeids"))?;
    let w_ids = ints(node, &format!("{prefix}_ids"))?;
    let w_values = match floats(node, &format!("{prefix}_weights")) {
        Ok(v) => v,
        Err(_) => tensor_values(node, &format!("{prefix}_weights_as_tensor"))?,
    };
    if [w_nodes.len(), w_ids.len(), w_values.len()].iter().any(|l| *l != w_trees.len()) {
        return Err(format!("the `{prefix}_*` weight lists differ in length"));
    }

    // Outputs: classes (labels) or regression targets.
    let (outputs, binary) = if classifier {
        let labels = match ints(node, "classlabels_int64s") {
            Ok(l) if !l.is_empty() => l.len(),
            _ => strings(node, "classlabels_strings").map(|l| l.len()).unwrap_or(0),
        };
        if labels == 0 || labels > MAX_OUTPUTS {
            return Err(format!(
                "the classifier declares {labels} class labels (1 to {MAX_OUTPUTS} supported)"
            ));
        }
        let binary = labels == 2 && w_ids.iter().all(|c| *c == w_ids.first().copied().unwrap_or(0));
        (if binary { 1 } else { labels }, binary)
    } else {
        let targets = attr(node, "n_targets").map_or(1, |a| a.i);
        let targets = usize::try_from(targets)
            .ok()
            .filter(|t| (1..=MAX_OUTPUTS).contains(t))
            .ok_or_else(|| format!("`n_targets` = {targets} is outside 1..={MAX_OUTPUTS}"))?;
        (targets, false)
    };
    let average = match attr(node, "aggregate_function").map(|a| a.s.as_slice()) {
        None | Some(b"SUM") => false,
        Some(b"AVERAGE") => true,
        Some(other) => {
            return Err(format!(
                "aggregate_function {} is not supported (SUM or AVERAGE)",
                String::from_utf8_lossy(other)
            ))
        }
    };

    // Node index per (tree, node id), trees in order of first appearance.
    let mut tree_order: Vec<i64> = Vec::new();
    let mut index: HashMap<(i64, i64), usize> = HashMap::new();
    let mut per_tree: HashMap<i64, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let list = per_tree.entry(tree_ids[i]).or_insert_with(|| {
            tree_order.push(tree_ids[i]);
            Vec::new()
        });
        if index.insert((tree_ids[i], node_ids[i]), list.len()).is_some() {
            return Err(format!("tree {} declares node {} twice", tree_ids[i], node_ids[i]));
        }
        list.push(i);
    }
    let mut leaf_weights: HashMap<(i64, i64), Vec<(usize, f64)>> = HashMap::new();
    for w in 0..w_trees.len() {
        let output = if binary { 0 } else { w_ids[w] };
        let output = usize::try_from(output)
            .ok()
            .filter(|o| *o < outputs)
            .ok_or_else(|| format!("a leaf weight targets output {} of {outputs}", w_ids[w]))?;
        leaf_weights.entry((w_trees[w], w_nodes[w])).or_default().push((output, w_values[w]));
    }
    let scale = if average { 1.0 / tree_order.len().max(1) as f64 } else { 1.0 };

    let mut trees = Vec::with_capacity(tree_order.len());
    for t in &tree_order {
        let mut nodes = Vec::new();
        for &i in &per_tree[t] {
            let child = |id: i64| {
                index.get(&(*t, id)).copied().ok_or_else(|| format!("tree {t}: node {id} does not exist"))
            };
            let rule = match modes[i].as_slice() {
                b"LEAF" => None,
                b"BRANCH_LEQ" => Some(SplitRule::Leq),
                b"BRANCH_LT" => Some(SplitRule::Lt),
                b"BRANCH_GTE" => Some(SplitRule::Gte),
                b"BRANCH_GT" => Some(SplitRule::Gt),
                other => {
                    return Err(format!(
                        "tree {t}: node mode {} is not supported (LEQ, LT, GTE, GT)",
                        String::from_utf8_lossy(other)
                    ))
                }
            };
            nodes.push(match rule {
                None => {
                    let weights = leaf_weights.remove(&(*t, node_ids[i])).unwrap_or_default();
                    TreeNode::Leaf { weights: weights.into_iter().map(|(o, v)| (o, v * scale)).collect() }
                }
                Some(rule) => TreeNode::Split {
                    feature: usize::try_from(features[i])
                        .map_err(|_| format!("tree {t}: negative feature id {}", features[i]))?,
                    threshold: thresholds[i],
                    rule,
                    yes: child(yes_ids[i])?,
                    no: child(no_ids[i])?,
                },
            });
        }
        // The root is the node with id 0 if the tree has one, else its first node.
        if let Some(root) = index.get(&(*t, 0)).copied().filter(|r| *r != 0) {
            nodes.swap(0, root);
            for node in &mut nodes {
                if let TreeNode::Split { yes, no, .. } = node {
                    for c in [yes, no] {
                        *c = if *c == 0 {
                            root
                        } else if *c == root {
                            0
                        } else {
                            *c
                        };
                    }
                }
            }
        }
        trees.push(Tree { nodes });
    }
    if let Some(((t, id), _)) = leaf_weights.iter().next() {
        return Err(format!("a weight is attached to tree {t} node {id}, which is not a leaf"));
    }
    let base = match floats(node, "base_values") {
        Ok(b) if !b.is_empty() => b,
        _ => tensor_values(node, "base_values_as_tensor").unwrap_or_else(|_| vec![0.0; outputs]),
    };
    let base = match (base.len(), binary) {
        (l, _) if l == outputs => base,
        (2, true) => vec![base[1] - base[0]],
        (l, _) => return Err(format!("{l} base values for {outputs} outputs")),
    };
    let ensemble = TreeEnsemble::new(width, outputs, base, trees).map_err(|e| e.to_string())?;
    let mut ops = vec![Op::TreeEnsemble(Box::new(ensemble))];
    match attr(node, "post_transform").map(|a| a.s.as_slice()) {
        None | Some(b"NONE") => {}
        Some(b"LOGISTIC") => ops.push(Op::Sigmoid),
        Some(b"SOFTMAX") if !binary => ops.push(Op::Softmax),
        Some(other) => {
            return Err(format!(
                "post_transform {} is not supported (NONE, LOGISTIC, SOFTMAX)",
                String::from_utf8_lossy(other)
            ))
        }
    }
    Ok(ops)
}

fn attr<'n>(node: &'n pb::NodeProto, name: &str) -> Option<&'n pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn ints(node: &pb::NodeProto, name: &str) -> Result<Vec<i64>, String> {
    attr(node, name).map(|a| a.ints.clone()).ok_or_else(|| format!("attribute `{name}` is missing"))
}

fn floats(node: &pb::NodeProto, name: &str) -> Result<Vec<f64>, String> {
    attr(node, name)
        .map(|a| a.floats.iter().map(|v| f64::from(*v)).collect())
        .ok_or_else(|| format!("attribute `{name}` is missing"))
}

fn strings(node: &pb::NodeProto, name: &str) -> Result<Vec<Vec<u8>>, String> {
    attr(node, name).map(|a| a.strings.clone()).ok_or_else(|| format!("attribute `{name}` is missing"))
}

fn tensor_values(node: &pb::NodeProto, name: &str) -> Result<Vec<f64>, String> {
    let tensor = attr(node, name)
        .and_then(|a| a.t.as_ref())
        .ok_or_else(|| format!("attribute `{name}` is missing"))?;
    crate::onnx::decode_tensor(tensor).map(|c| c.values)
}

/// `Scaler`: `(x − offset) · scale`, per feature (or one value for all).
pub(crate) fn scaler_ops(node: &pb::NodeProto, width: usize) -> Result<Vec<Op>, String> {
    let per_feature = |name: &str| -> Result<Array1<f64>, String> {
        let v = floats(node, name)?;
        match v.len() {
            1 => Ok(Array1::from_elem(width, v[0])),
            n if n == width => Ok(Array1::from(v)),
            n => Err(format!("`{name}` has {n} values for {width} features")),
        }
    };
    Ok(vec![Op::Sub { c: per_feature("offset")?, reversed: false }, Op::Mul { c: per_feature("scale")? }])
}

/// The coefficient matrix `[in, out]` and intercepts of a linear model with `out` targets.
fn linear(node: &pb::NodeProto, width: usize, out: usize) -> Result<(Array2<f64>, Array1<f64>), String> {
    let coefficients = floats(node, "coefficients")?;
    if out == 0 || coefficients.len() != out * width {
        return Err(format!("{} coefficients for {out} outputs of {width} features", coefficients.len()));
    }
    let intercepts = attr(node, "intercepts")
        .map_or_else(|| vec![0.0; out], |a| a.floats.iter().map(|v| f64::from(*v)).collect());
    if intercepts.len() != out {
        return Err(format!("{} intercepts for {out} outputs", intercepts.len()));
    }
    // The attribute is row-major [out][in]; MatMul takes [in][out].
    let rows = Array2::from_shape_vec((out, width), coefficients).map_err(|e| e.to_string())?;
    Ok((rows.t().to_owned(), Array1::from(intercepts)))
}

fn post_transform(node: &pb::NodeProto) -> Result<Vec<u8>, String> {
    Ok(attr(node, "post_transform").map_or_else(|| b"NONE".to_vec(), |a| a.s.clone()))
}

/// `LinearClassifier`: scores `W·x + b`, then its post-transform. A binary model (one score, or
/// two that are each other's negation, as scikit-learn exports) keeps the positive class only:
/// with `LOGISTIC` its probability, what `[1 − p, p]` says.
pub(crate) fn linear_classifier_ops(node: &pb::NodeProto, width: usize) -> Result<Vec<Op>, String> {
    let coefficients = floats(node, "coefficients")?;
    if width == 0 || coefficients.is_empty() || !coefficients.len().is_multiple_of(width) {
        return Err(format!("{} coefficients do not fill rows of {width} features", coefficients.len()));
    }
    let out = coefficients.len() / width;
    let (mut b, mut c) = linear(node, width, out)?;
    let negated = out == 2
        && (0..width).all(|i| (b[[i, 0]] + b[[i, 1]]).abs() <= 1e-6 * b[[i, 1]].abs().max(1.0))
        && (c[0] + c[1]).abs() <= 1e-6 * c[1].abs().max(1.0);
    if negated {
        b = b.column(1).to_owned().insert_axis(ndarray::Axis(1));
        c = Array1::from(vec![c[1]]);
    }
    let binary = b.ncols() == 1;
    let mut ops = vec![Op::MatMul { b }, Op::Add { c }];
    match post_transform(node)?.as_slice() {
        b"NONE" => {}
        b"LOGISTIC" => ops.push(Op::Sigmoid),
        b"SOFTMAX" if !binary => ops.push(Op::Softmax),
        other => {
            return Err(format!(
                "post_transform {} is not supported (NONE, LOGISTIC, or SOFTMAX for more than two classes)",
                String::from_utf8_lossy(other)
            ))
        }
    }
    Ok(ops)
}

/// `LinearRegressor`: `W·x + b` for each target (no post-transform).
pub(crate) fn linear_regressor_ops(node: &pb::NodeProto, width: usize) -> Result<Vec<Op>, String> {
    let targets = attr(node, "targets").map_or(1, |a| a.i.max(1) as usize);
    if post_transform(node)? != b"NONE" {
        return Err("only post_transform NONE is supported for a regressor".into());
    }
    let (b, c) = linear(node, width, targets)?;
    Ok(vec![Op::MatMul { b }, Op::Add { c }])
}

/// `Normalizer`: only an L1 normalization of probabilities straight after a softmax, where it
/// changes nothing (they already sum to one). Any other is a division by a norm of the row,
/// which is not affine.
pub(crate) fn normalizer_ops(node: &pb::NodeProto, after_softmax: bool) -> Result<Vec<Op>, String> {
    let norm = attr(node, "norm").map_or_else(|| b"MAX".to_vec(), |a| a.s.clone());
    if norm == b"L1" && after_softmax {
        return Ok(vec![Op::Reshape { onnx_op: "Normalizer".into() }]);
    }
    Err(format!(
        "a {} normalizer divides the row by its norm, which is not affine; only an L1 normalizer of \
         softmax probabilities (a no-op) is supported — drop the Normalizer from the pipeline",
        String::from_utf8_lossy(&norm)
    ))
}

/// Folds per-feature affine ops in front of a tree ensemble — a scaler earlier in a pipeline —
/// into its split thresholds, so the trees split on the raw features as the circuit requires:
/// with `x' = a·x + b`, `x' ≤ t` is `x ≤ (t − b)/a` when `a > 0` and `x ≥ (t − b)/a` when `a < 0`.
pub(crate) fn fold_affine_into_trees(nodes: Vec<Node>, width: usize) -> Result<Vec<Node>, String> {
    let Some(at) = nodes.iter().position(|n| matches!(n.op, Op::TreeEnsemble(_))) else { return Ok(nodes) };
    if nodes[..at].iter().all(|n| matches!(n.op, Op::Reshape { .. })) {
        return Ok(nodes);
    }
    let (mut a, mut b) = (vec![1.0f64; width], vec![0.0f64; width]);
    for node in &nodes[..at] {
        let per_feature = |c: &Array1<f64>| -> Result<Vec<f64>, String> {
            match c.len() {
                1 => Ok(vec![c[0]; width]),
                n if n == width => Ok(c.to_vec()),
                n => Err(format!("`{}` has {n} constants for {width} features", node.name)),
            }
        };
        match &node.op {
            Op::Reshape { .. } => {}
            Op::Add { c } => per_feature(c)?.iter().zip(&mut b).for_each(|(c, b)| *b += c),
            Op::Sub { c, reversed: false } => per_feature(c)?.iter().zip(&mut b).for_each(|(c, b)| *b -= c),
            Op::Sub { c, reversed: true } => {
                for ((c, a), b) in per_feature(c)?.iter().zip(&mut a).zip(&mut b) {
                    (*a, *b) = (-*a, c - *b);
                }
            }
            Op::Mul { c } => {
                for ((c, a), b) in per_feature(c)?.iter().zip(&mut a).zip(&mut b) {
                    (*a, *b) = (*a * c, *b * c);
                }
            }
            Op::Div { c } => {
                for ((c, a), b) in per_feature(c)?.iter().zip(&mut a).zip(&mut b) {
                    (*a, *b) = (*a / c, *b / c);
                }
            }
            other => {
                return Err(format!(
                    "`{}` ({}) before a tree ensemble: only per-feature scaling (Scaler, Add, Sub, Mul, Div) \
                     folds into the split thresholds",
                    node.name,
                    other.kind()
                ))
            }
        }
    }
    let mut rest: Vec<Node> = nodes[at..].to_vec();
    let Op::TreeEnsemble(ensemble) = &mut rest[0].op else { unreachable!("found above") };
    for tree in &mut ensemble.trees {
        for node in &mut tree.nodes {
            if let TreeNode::Split { feature, threshold, rule, .. } = node {
                let (scale, shift) = (a[*feature], b[*feature]);
                if scale == 0.0 || !scale.is_finite() || !shift.is_finite() {
                    return Err(format!("feature {feature} is scaled by {scale} before the trees"));
                }
                *threshold = (*threshold - shift) / scale;
                if scale < 0.0 {
                    *rule = match rule {
                        SplitRule::Leq => SplitRule::Gte,
                        SplitRule::Lt => SplitRule::Gt,
                        SplitRule::Gte => SplitRule::Leq,
                        SplitRule::Gt => SplitRule::Lt,
                    };
                }
            }
        }
    }
    Ok(rest)
}

/// `Binarizer`: `x > threshold ? 1 : 0` per feature — one decision stump per feature, so the
/// circuit proves it with the trees' comparisons (a thermometer cell per feature), and what
/// follows (a `LinearClassifier`, say) is a dense layer over the stumps' outputs.
pub(crate) fn binarizer_ops(node: &pb::NodeProto, width: usize) -> Result<Vec<Op>, String> {
    let threshold = attr(node, "threshold").map_or(0.0, |a| f64::from(a.f));
    if !threshold.is_finite() {
        return Err(format!("threshold {threshold} is not a finite number"));
    }
    let trees = (0..width)
        .map(|feature| Tree {
            nodes: vec![
                TreeNode::Split { feature, threshold, rule: SplitRule::Leq, yes: 1, no: 2 },
                TreeNode::Leaf { weights: vec![(feature, 0.0)] },
                TreeNode::Leaf { weights: vec![(feature, 1.0)] },
            ],
        })
        .collect();
    let ensemble = TreeEnsemble { inputs: width, outputs: width, base: vec![0.0; width], trees };
    Ok(vec![Op::TreeEnsemble(Box::new(ensemble))])
}
