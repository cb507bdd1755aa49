//! The output side converters add after a classifier's scores, read as the output forms the
//! circuit already proves (class index, probability vector, positive-class probability) rather
//! than as general DAG support:
//!
//! - the **label branch**: `ArgMax` of the probabilities, then `ArrayFeatureExtractor` (class
//!   labels), `Reshape`, `Cast`, ending in a graph output — dropped, since the circuit computes
//!   the argmax of the scores itself when the package asks for it;
//! - the **binary pair** `[1 − p, p]`: `Sub(1, p)` and `Concat(axis 1)` of the two — read as `p`,
//!   the positive class's probability (its complement carries no information);
//! - a **spelled-out softmax** `Exp(x) / ReduceSum(Exp(x))` over the row, optionally shifted
//!   first by `Sub(x, ReduceMax(x))` (which does not change it) — read as `Softmax`.

use std::collections::{HashMap, HashSet};

use tract_onnx::pb;

use crate::onnx::Constant;

/// Ops a label branch may consist of.
const LABEL_BRANCH_OPS: &[&str] =
    &["ArgMax", "ArrayFeatureExtractor", "Reshape", "Cast", "Identity", "Squeeze"];

/// What the importer skips or rewires.
#[derive(Debug, Default)]
pub(crate) struct OutputSide {
    /// Nodes not imported (label branches, the `Sub` of a binary pair).
    pub skipped: HashSet<usize>,
    /// Nodes whose output stands for one of their inputs: the `Concat` of a binary pair (→ `p`),
    /// the `Sub(x, ReduceMax(x))` before a spelled-out softmax (→ `x`).
    pub aliases: HashMap<usize, String>,
    /// The `Exp` of a spelled-out softmax → the softmax's output (its `Div`'s).
    pub softmax: HashMap<usize, String>,
    /// Nodes not imported because another node stands for their work (a spelled-out softmax's
    /// `ReduceMax`, `ReduceSum` and `Div`); unlike skipped ones, their outputs live on.
    pub absorbed: HashSet<usize>,
}

/// Whether a reduction node reduces the row (axis 1 or −1, kept), its axes given as an
/// attribute (before opset 13/18) or as a constant input.
fn reduces_row(node: &pb::NodeProto, constants: &HashMap<String, Constant>) -> bool {
    let keepdims = node.attribute.iter().find(|a| a.name == "keepdims").is_none_or(|a| a.i == 1);
    let axes: Vec<i64> = match node.input.get(1).filter(|i| !i.is_empty()) {
        Some(name) => match constants.get(name) {
            Some(c) => c.values.iter().map(|v| *v as i64).collect(),
            None => return false,
        },
        None => node.attribute.iter().find(|a| a.name == "axes").map_or_else(Vec::new, |a| a.ints.clone()),
    };
    keepdims && matches!(axes.as_slice(), [1] | [-1])
}

impl OutputSide {
    /// Finds the converters' output patterns in `graph`.
    pub(crate) fn recognise(graph: &pb::GraphProto, constants: &HashMap<String, Constant>) -> Self {
        let mut side = OutputSide::default();
        let graph_outputs: HashSet<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
        let producer: HashMap<&str, usize> = graph
            .node
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.output.iter().map(move |o| (o.as_str(), i)))
            .collect();
        let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, n) in graph.node.iter().enumerate() {
            for input in &n.input {
                let list = readers.entry(input.as_str()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        let consumers = |name: &str| -> Vec<usize> { readers.get(name).cloned().unwrap_or_default() };

        for (index, node) in graph.node.iter().enumerate() {
            // Binary pair: Concat(Sub(1, p), p).
            if node.op_type == "Concat" && node.domain.is_empty() {
                let axis = node.attribute.iter().find(|a| a.name == "axis").map_or(1, |a| a.i);
                if let ([first, p], true) = (node.input.as_slice(), axis == 1 || axis == -1) {
                    if let Some(&sub) = producer.get(first.as_str()) {
                        let s = &graph.node[sub];
                        let is_one = |name: &String| constants.get(name).is_some_and(|c| c.values == [1.0]);
                        if s.op_type == "Sub"
                            && s.input.len() == 2
                            && is_one(&s.input[0])
                            && &s.input[1] == p
                            && consumers(first).len() == 1
                        {
                            side.skipped.insert(sub);
                            side.aliases.insert(index, p.clone());
                        }
                    }
                }
            }
            // Spelled-out softmax: Div(e, ReduceSum(e)) with e = Exp(x), x maybe Sub(y, ReduceMax(y)).
            if node.op_type == "Exp" && node.domain.is_empty() && node.input.len() == 1 {
                let e = node.output.first().map_or("", String::as_str);
                let readers_of_e = consumers(e);
                let find = |op: &str| readers_of_e.iter().copied().find(|r| graph.node[*r].op_type == op);
                if let (2, Some(sum), Some(div)) = (readers_of_e.len(), find("ReduceSum"), find("Div")) {
                    let (s_node, d_node) = (&graph.node[sum], &graph.node[div]);
                    let total = s_node.output.first().map_or("", String::as_str);
                    if reduces_row(s_node, constants)
                        && d_node.input.len() == 2
                        && d_node.input[0] == e
                        && d_node.input[1] == total
                        && consumers(total) == [div]
                        && !graph_outputs.contains(e)
                        && !graph_outputs.contains(total)
                    {
                        side.absorbed.extend([sum, div]);
                        side.softmax.insert(index, d_node.output.first().cloned().unwrap_or_default());
                        if let Some(&sub) = producer.get(node.input[0].as_str()) {
                            let sub_node = &graph.node[sub];
                            let shifted = sub_node.output.first().map_or("", String::as_str);
                            if let (true, [y, m]) = (sub_node.op_type == "Sub", sub_node.input.as_slice()) {
                                if let Some(&max) = producer.get(m.as_str()) {
                                    let max_node = &graph.node[max];
                                    if max_node.op_type == "ReduceMax"
                                        && max_node.input.first() == Some(y)
                                        && reduces_row(max_node, constants)
                                        && consumers(m) == [sub]
                                        && consumers(shifted) == [index]
                                    {
                                        side.absorbed.insert(max);
                                        side.aliases.insert(sub, y.clone());
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // Label branch: an ArgMax of a tensor that also feeds something else, whose whole
            // downstream is label post-processing ending in graph outputs.
            if node.op_type == "ArgMax" && node.input.len() == 1 {
                let scores = node.input[0].as_str();
                if consumers(scores).len() + usize::from(graph_outputs.contains(scores)) < 2 {
                    continue;
                }
                let mut branch = vec![index];
                let mut frontier: Vec<&str> = node.output.iter().map(String::as_str).collect();
                let mut ok = true;
                while let Some(name) = frontier.pop() {
                    let next = consumers(name);
                    if next.is_empty() && !graph_outputs.contains(name) {
                        ok = false;
                    }
                    for n in next {
                        let op = graph.node[n].op_type.as_str();
                        if !LABEL_BRANCH_OPS.contains(&op) || graph.node[n].input.iter().any(|i| i == scores)
                        {
                            ok = false;
                        }
                        if !branch.contains(&n) {
                            branch.push(n);
                            frontier.extend(graph.node[n].output.iter().map(String::as_str));
                        }
                    }
                }
                if ok {
                    side.skipped.extend(branch);
                }
            }
        }
        side
    }
}
