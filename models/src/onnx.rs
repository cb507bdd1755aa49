//! ONNX import: a standard `.onnx` file (opset 9–21, as exported by `onnx.helper`, PyTorch or
//! converters) mapped onto the chain [`Graph`].
//!
//! The protobuf is decoded by `tract-onnx`; the mapping is ours, so that every unsupported
//! construct is named precisely (node, operator, why) instead of surfacing as a generic
//! inference-engine failure. The graph must be one chain: a single float input (a symbolic batch
//! dimension is fixed to 1), each node consuming the previous node's output and constants
//! (initializers or `Constant` nodes), and the last node's output as the only graph output.
//! Nothing read from the file is indexed or unwrapped unchecked.

use std::collections::HashMap;
use std::path::Path;

use ndarray::Array1;
use tract_onnx::pb::{self, tensor_shape_proto::dimension::Value as Dim, type_proto::Value as TypeValue};
use tract_onnx::prelude::Framework;

use crate::error::ModelError;
use crate::graph::{Graph, Node, Op};
pub(crate) use crate::onnx_constant::{constant_node, decode_tensor, Constant};

/// The ONNX operators the importer maps (ONNX-ML ones prefixed with their domain).
pub const SUPPORTED_OPS: &[&str] = &[
    "Gemm",
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "BatchNormalization",
    "Relu",
    "Sigmoid",
    "Clip",
    "Flatten",
    "Reshape",
    "Identity",
    "Squeeze",
    "Unsqueeze",
    "Dropout",
    "Cast",
    "Softmax",
    "ArgMax",
    "Constant",
    "Tanh",
    "HardSigmoid",
    "LeakyRelu",
    "Softplus",
    "ai.onnx.ml.TreeEnsembleClassifier",
    "ai.onnx.ml.TreeEnsembleRegressor",
    "ai.onnx.ml.ZipMap",
    "ai.onnx.ml.Scaler",
    "ai.onnx.ml.LinearClassifier",
    "ai.onnx.ml.LinearRegressor",
    "ai.onnx.ml.Normalizer",
    "ai.onnx.ml.Binarizer",
];

/// Ops the importer reads only as parts of a spelled-out softmax (`onnx_outputs`).
const SOFTMAX_PARTS: &[&str] = &["Exp", "ReduceMax", "ReduceSum"];

/// Elementwise activations, which read exactly the chain's tensor.
const UNARY_OPS: &[&str] = &["Relu", "Sigmoid", "Tanh", "HardSigmoid", "LeakyRelu", "Softplus"];

/// Classifiers whose outputs are `(label, scores)`: the chain follows the scores.
const CLASSIFIERS: &[&str] = &["ai.onnx.ml.TreeEnsembleClassifier", "ai.onnx.ml.LinearClassifier"];

/// An imported ONNX model: the chain and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct OnnxModel {
    /// The float graph.
    pub graph: Graph,
    /// `producer_name producer_version` of the file.
    pub producer: String,
    /// Opset of the default domain.
    pub opset: i64,
}

/// Reads and imports an ONNX file.
pub fn load_onnx(path: impl AsRef<Path>) -> Result<OnnxModel, ModelError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| ModelError::io(path, e))?;
    import_onnx_bytes(&bytes, &path.display().to_string())
}

/// Imports an ONNX model from its bytes; `what` names it in errors.
pub fn import_onnx_bytes(bytes: &[u8], what: &str) -> Result<OnnxModel, ModelError> {
    let proto = tract_onnx::onnx()
        .proto_model_for_read(&mut &bytes[..])
        .map_err(|e| ModelError::OnnxDecode { path: what.into(), message: format!("{e:#}") })?;
    import_onnx_proto(&proto)
}

/// Imports a decoded ONNX model.
pub fn import_onnx_proto(proto: &pb::ModelProto) -> Result<OnnxModel, ModelError> {
    let default_opset =
        proto.opset_import.iter().find(|o| o.domain.is_empty() || o.domain == "ai.onnx").map(|o| o.version);
    let only_ml = proto.opset_import.iter().any(|o| o.domain == "ai.onnx.ml")
        && proto.graph.iter().flat_map(|g| &g.node).all(|n| n.domain == "ai.onnx.ml");
    // A graph of ONNX-ML nodes alone (onnxmltools writes those for XGBoost) needs no default
    // opset; the default-domain semantics it would select are never used.
    let opset = match default_opset {
        Some(v) => v,
        None if only_ml => 21,
        None => return Err(graph_err("the model declares no opset for the default ONNX domain")),
    };
    if !(9..=21).contains(&opset) {
        return Err(graph_err(format!("opset {opset} is not supported (supported: 9 to 21)")));
    }
    let graph = proto.graph.as_ref().ok_or_else(|| graph_err("the file holds no graph"))?;
    let producer = format!("{} {}", proto.producer_name, proto.producer_version).trim().to_string();
    let graph = Importer::new(graph, opset)?.run()?;
    Ok(OnnxModel { graph, producer, opset })
}

fn graph_err(msg: impl Into<String>) -> ModelError {
    ModelError::UnsupportedGraph(msg.into())
}

fn supported_list() -> String {
    SUPPORTED_OPS.join(", ")
}

/// The walk over the node list.
struct Importer<'a> {
    graph: &'a pb::GraphProto,
    opset: i64,
    constants: HashMap<String, Constant>,
    uses: HashMap<&'a str, usize>,
}

/// Where a node's error is reported.
struct At<'a> {
    node: String,
    op: &'a str,
}

impl At<'_> {
    fn err(&self, reason: impl Into<String>) -> ModelError {
        ModelError::UnsupportedNode {
            node: self.node.clone(),
            op: self.op.to_string(),
            reason: reason.into(),
            supported: supported_list(),
        }
    }
}

impl<'a> Importer<'a> {
    fn new(graph: &'a pb::GraphProto, opset: i64) -> Result<Self, ModelError> {
        let mut constants = HashMap::new();
        for init in &graph.initializer {
            let c =
                decode_tensor(init).map_err(|e| graph_err(format!("initializer `{}`: {e}", init.name)))?;
            constants.insert(init.name.clone(), c);
        }
        let mut uses: HashMap<&str, usize> = HashMap::new();
        for name in graph.node.iter().flat_map(|n| &n.input).chain(graph.output.iter().map(|o| &o.name)) {
            *uses.entry(name.as_str()).or_default() += 1;
        }
        Ok(Importer { graph, opset, constants, uses })
    }

    /// The single data input and its feature count.
    fn data_input(&self) -> Result<(&'a str, usize), ModelError> {
        let inputs: Vec<&pb::ValueInfoProto> =
            self.graph.input.iter().filter(|i| !self.constants.contains_key(&i.name)).collect();
        let input = match inputs.as_slice() {
            [one] => *one,
            [] => return Err(graph_err("the graph has no input")),
            many => {
                let names: Vec<&str> = many.iter().map(|i| i.name.as_str()).collect();
                return Err(graph_err(format!(
                    "the graph has {} inputs ({}); one feature row is supported",
                    many.len(),
                    names.join(", ")
                )));
            }
        };
        let name = input.name.as_str();
        let Some(TypeValue::TensorType(tensor)) = input.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
            return Err(graph_err(format!("input `{name}` is not a tensor")));
        };
        use pb::tensor_proto::DataType as T;
        if ![T::Float as i32, T::Double as i32].contains(&tensor.elem_type) {
            return Err(graph_err(format!(
                "input `{name}` has element type {}; float is required",
                tensor.elem_type
            )));
        }
        let dims = tensor.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or_default();
        let dim_value = |d: &pb::tensor_shape_proto::Dimension| match &d.value {
            Some(Dim::DimValue(v)) if *v > 0 => usize::try_from(*v).ok(),
            _ => None,
        };
        let features = match dims {
            [] => return Err(graph_err(format!("input `{name}` has no declared shape"))),
            [only] => dim_value(only),
            [batch, rest @ ..] => {
                if let Some(b) = dim_value(batch).filter(|b| *b != 1) {
                    return Err(graph_err(format!(
                        "input `{name}` has a fixed batch of {b}; a batch of 1 (or symbolic) is required"
                    )));
                }
                rest.iter().try_fold(1usize, |acc, d| dim_value(d).and_then(|v| acc.checked_mul(v)))
            }
        };
        let features = features.ok_or_else(|| {
            graph_err(format!(
                "input `{name}` has a dynamic or invalid feature dimension; only the batch (first) dimension may be symbolic"
            ))
        })?;
        Ok((name, features))
    }

    fn run(mut self) -> Result<Graph, ModelError> {
        let (input_name, features) = self.data_input()?;
        let side = crate::onnx_outputs::OutputSide::recognise(self.graph, &self.constants);
        for &skipped in side.skipped.iter().chain(&side.absorbed) {
            for input in &self.graph.node[skipped].input {
                if let Some(n) = self.uses.get_mut(input.as_str()) {
                    *n = n.saturating_sub(1);
                }
            }
        }
        let mut current = input_name.to_string();
        let mut width = features;
        let mut nodes = Vec::new();
        let mut dropped: Vec<String> = Vec::new();
        for (index, node) in self.graph.node.iter().enumerate() {
            let name = if node.name.is_empty() { format!("#{index}") } else { node.name.clone() };
            let op_name = if node.domain.is_empty() || node.domain == "ai.onnx" {
                node.op_type.clone()
            } else {
                format!("{}.{}", node.domain, node.op_type)
            };
            let at = At { node: name.clone(), op: &op_name };
            if side.skipped.contains(&index) {
                dropped.extend(node.output.iter().cloned());
                continue;
            }
            if side.absorbed.contains(&index) {
                continue;
            }
            if let Some(p) = side.aliases.get(&index) {
                // [1 − p, p] is read as p, the positive class's probability; x − max(x) before a
                // softmax as x.
                if *p != current {
                    return Err(at.err(format!("reads `{p}`, not the chain's `{current}`")));
                }
                current = node.output.first().cloned().ok_or_else(|| at.err("the node has no output"))?;
                continue;
            }
            if let Some(output) = side.softmax.get(&index) {
                if node.input.first() != Some(&current) {
                    return Err(at.err(format!("the softmax does not read the chain's `{current}`")));
                }
                nodes.push(Node { name: name.clone(), op: Op::Softmax });
                current = output.clone();
                continue;
            }
            // Post-processing of a dropped label (e.g. a Cast) is dropped with it.
            if !node.input.is_empty() && node.input.iter().all(|i| i.is_empty() || dropped.contains(i)) {
                dropped.extend(node.output.iter().cloned());
                continue;
            }
            if !SUPPORTED_OPS.contains(&op_name.as_str()) {
                let mut supported = supported_list();
                if SOFTMAX_PARTS.contains(&op_name.as_str()) {
                    supported.push_str(
                        " (Exp, ReduceMax and ReduceSum only as a softmax spelled out: optionally \
                         x − ReduceMax(x) over axis 1, then Exp, ReduceSum over axis 1 with keepdims, Div)",
                    );
                }
                return Err(ModelError::UnsupportedOp { node: name, op: op_name, supported });
            }
            if UNARY_OPS.contains(&op_name.as_str()) && node.input.len() != 1 {
                return Err(at.err(format!("takes one input, got {}", node.input.len())));
            }
            // A classifier's outputs are (label, scores): the chain follows the scores, and the
            // label (the scores' argmax, which the circuit computes itself) is dropped.
            let classifier = CLASSIFIERS.contains(&op_name.as_str());
            let output = node
                .output
                .get(usize::from(classifier))
                .filter(|o| !o.is_empty())
                .ok_or_else(|| at.err("the node has no (scores) output"))?;
            if classifier {
                dropped.extend(node.output.first().cloned());
            }
            if op_name == "Constant" {
                let c = constant_node(node).map_err(|e| at.err(e))?;
                self.constants.insert(output.clone(), c);
                continue;
            }
            // The node must read the chain's tensor exactly once; every other input is a constant.
            let data_pos: Vec<usize> =
                node.input.iter().enumerate().filter(|(_, i)| **i == current).map(|(p, _)| p).collect();
            let pos = match data_pos.as_slice() {
                [p] => *p,
                [] => return Err(at.err(format!("does not read `{current}`, the output of the previous op; only a single chain of ops is supported"))),
                _ => return Err(at.err(format!("reads `{current}` twice; two tensor inputs are not supported (constants only)"))),
            };
            if let Some(other) = node
                .input
                .iter()
                .find(|i| !i.is_empty() && **i != current && !self.constants.contains_key(*i))
            {
                return Err(at.err(format!("input `{other}` is neither the chain's tensor nor a constant; two tensor inputs are not supported")));
            }
            if self.uses.get(current.as_str()).copied().unwrap_or(0) > 1 {
                let other = self
                    .graph
                    .node
                    .iter()
                    .enumerate()
                    .find(|(i, n)| *i != index && n.input.contains(&current));
                let also = other.map_or("a graph output".to_string(), |(i, n)| {
                    let name = if n.name.is_empty() { format!("#{i}") } else { n.name.clone() };
                    format!("node `{name}` ({}) too", n.op_type)
                });
                return Err(at.err(format!(
                    "`{current}` feeds {also}; two tensor inputs (branches, residuals) are not supported, only a single chain of ops"
                )));
            }
            if let Some(extra) = node
                .output
                .iter()
                .filter(|o| *o != output && !dropped.contains(o))
                .find(|o| self.uses.get(o.as_str()).copied().unwrap_or(0) > 0)
            {
                return Err(
                    at.err(format!("secondary output `{extra}` is used; only the first output may be"))
                );
            }
            let consts: Vec<Option<&Constant>> =
                node.input.iter().map(|i| if i.is_empty() { None } else { self.constants.get(i) }).collect();
            let after_softmax = matches!(nodes.last(), Some(Node { op: Op::Softmax, .. }));
            let ops = self.map_node(node, &at, pos, &consts, width, after_softmax)?;
            for op in ops {
                width = op.output_width(width).map_err(|e| at.err(e))?;
                nodes.push(Node { name: name.clone(), op });
            }
            current = output.clone();
        }
        // A dropped classifier label may be a graph output too (converters export it).
        let outputs: Vec<&pb::ValueInfoProto> =
            self.graph.output.iter().filter(|o| !dropped.contains(&o.name)).collect();
        match outputs.as_slice() {
            [out] if out.name == current => {}
            [out] => {
                return Err(graph_err(format!(
                    "graph output `{}` is not the end of the op chain (`{current}`)",
                    out.name
                )))
            }
            outs => {
                let names: Vec<&str> = outs.iter().map(|o| o.name.as_str()).collect();
                return Err(graph_err(format!(
                    "the graph has {} outputs ({}); exactly one is supported",
                    outs.len(),
                    names.join(", ")
                )));
            }
        }
        let nodes = crate::onnx_ml::fold_affine_into_trees(nodes, features).map_err(graph_err)?;
        Graph::new(input_name, features, nodes)
    }

    /// The IR ops for one chain node whose data input is at `pos`.
    fn map_node(
        &self,
        node: &pb::NodeProto,
        at: &At,
        pos: usize,
        consts: &[Option<&Constant>],
        width: usize,
        after_softmax: bool,
    ) -> Result<Vec<Op>, ModelError> {
        let other = |i: usize| {
            consts.get(i).copied().flatten().ok_or_else(|| at.err(format!("input {i} must be a constant")))
        };
        let second = || other(1 - pos.min(1));
        let row = |c: &Constant| c.row(width).map_err(|e| at.err(e));
        let reshape = || vec![Op::Reshape { onnx_op: node.op_type.clone() }];
        Ok(match node.op_type.as_str() {
            "TreeEnsembleClassifier" | "TreeEnsembleRegressor" => {
                crate::onnx_ml::tree_ensemble_ops(node, width).map_err(|e| at.err(e))?
            }
            // Converters append ZipMap to turn the scores into {label: probability} maps; the
            // scores themselves are what the model computes.
            "ZipMap" => reshape(),
            "Scaler" => crate::onnx_ml::scaler_ops(node, width).map_err(|e| at.err(e))?,
            "LinearClassifier" => {
                crate::onnx_ml::linear_classifier_ops(node, width).map_err(|e| at.err(e))?
            }
            "LinearRegressor" => crate::onnx_ml::linear_regressor_ops(node, width).map_err(|e| at.err(e))?,
            "Normalizer" => crate::onnx_ml::normalizer_ops(node, after_softmax).map_err(|e| at.err(e))?,
            "Binarizer" => crate::onnx_ml::binarizer_ops(node, width).map_err(|e| at.err(e))?,
            // tanh(x) = 2·sigmoid(2x) − 1: the sigmoid table, with the affine parts folded into
            // the layers around it.
            "Tanh" => vec![
                Op::Mul { c: Array1::from_elem(width, 2.0) },
                Op::Sigmoid,
                Op::Mul { c: Array1::from_elem(width, 2.0) },
                Op::Add { c: Array1::from_elem(width, -1.0) },
            ],
            "LeakyRelu" => {
                let alpha = attr_f(node, "alpha", 0.01);
                if !alpha.is_finite() {
                    return Err(at.err(format!("alpha = {alpha} is not a finite slope")));
                }
                vec![Op::LeakyRelu { alpha }]
            }
            "Softplus" => vec![Op::Softplus],
            "HardSigmoid" => vec![
                Op::Mul { c: Array1::from_elem(width, attr_f(node, "alpha", 0.2)) },
                Op::Add { c: Array1::from_elem(width, attr_f(node, "beta", 0.5)) },
                Op::Clip { min: 0.0, max: 1.0 },
            ],
            "Gemm" => {
                if pos != 0 {
                    return Err(at.err("the row must be input A; a constant A is not supported"));
                }
                if attr_i(node, "transA", 0) != 0 {
                    return Err(at.err("transA = 1 is not supported for a row-vector input"));
                }
                let b = other(1)?.matrix().map_err(|e| at.err(e))?;
                let trans_b = attr_i(node, "transB", 0) != 0;
                let out = if trans_b { b.nrows() } else { b.ncols() };
                let c = match consts.get(2).copied().flatten() {
                    Some(c) => Some(c.row(out).map_err(|e| at.err(format!("bias C: {e}")))?),
                    None if node.input.get(2).is_some_and(|i| !i.is_empty()) => {
                        return Err(at.err("bias C must be a constant"))
                    }
                    None => None,
                };
                let (alpha, beta) = (attr_f(node, "alpha", 1.0), attr_f(node, "beta", 1.0));
                vec![Op::Gemm { b, c, alpha, beta, trans_b }]
            }
            "MatMul" => {
                if pos != 0 {
                    return Err(
                        at.err("the row must be the left operand; a constant left operand is not supported")
                    );
                }
                vec![Op::MatMul { b: other(1)?.matrix().map_err(|e| at.err(e))? }]
            }
            "Add" => vec![Op::Add { c: row(second()?)? }],
            "Mul" => vec![Op::Mul { c: row(second()?)? }],
            "Sub" => vec![Op::Sub { c: row(second()?)?, reversed: pos == 1 }],
            "Div" => {
                if pos != 0 {
                    return Err(
                        at.err("dividing by the row is not affine; only division by a constant is supported")
                    );
                }
                let c = row(other(1)?)?;
                if c.iter().any(|v| *v == 0.0) {
                    return Err(at.err("division by zero"));
                }
                vec![Op::Div { c }]
            }
            "BatchNormalization" => {
                let [scale, bias, mean, var] = [1, 2, 3, 4].map(|i| other(i).and_then(&row));
                let (scale, bias, mean, var) = (scale?, bias?, mean?, var?);
                let eps = attr_f(node, "epsilon", 1e-5);
                let mul = &scale / &var.mapv(|v| (v + eps).sqrt());
                let add = &bias - &(&mean * &mul);
                vec![Op::Mul { c: mul }, Op::Add { c: add }]
            }
            "Relu" => vec![Op::Relu],
            "Sigmoid" => vec![Op::Sigmoid],
            "Clip" => {
                let bound = |attr: &str, input: usize, default: f64| -> Result<f64, ModelError> {
                    if self.opset < 11 {
                        return Ok(node
                            .attribute
                            .iter()
                            .find(|a| a.name == attr)
                            .map_or(default, |a| f64::from(a.f)));
                    }
                    match (
                        node.input.get(input).filter(|i| !i.is_empty()),
                        consts.get(input).copied().flatten(),
                    ) {
                        (None, _) => Ok(default),
                        (Some(_), Some(c)) => c.scalar().map_err(|e| at.err(e)),
                        (Some(_), None) => Err(at.err(format!("clip {attr} must be a constant"))),
                    }
                };
                vec![Op::Clip {
                    min: bound("min", 1, f64::NEG_INFINITY)?,
                    max: bound("max", 2, f64::INFINITY)?,
                }]
            }
            "Reshape" => {
                let shape = other(1)?;
                let known: f64 = shape.values.iter().filter(|v| **v > 0.0).product();
                let wildcard = shape.values.iter().any(|v| *v <= 0.0);
                if known.is_nan()
                    || (!wildcard && known as usize != width)
                    || (wildcard && (width as f64) % known != 0.0)
                {
                    return Err(at.err(format!(
                        "target shape {:?} does not hold the row's {width} values",
                        shape.values
                    )));
                }
                reshape()
            }
            "Cast" => match attr_i(node, "to", 0) {
                1 | 11 => reshape(),
                to => {
                    return Err(at.err(format!("cast to data type {to}; only casts to float are supported")))
                }
            },
            "Flatten" | "Identity" | "Squeeze" | "Unsqueeze" | "Dropout" => reshape(),
            "Softmax" => match attr_i(node, "axis", if self.opset >= 13 { -1 } else { 1 }) {
                -1 | 1 => vec![Op::Softmax],
                axis => {
                    return Err(at.err(format!(
                        "softmax over axis {axis}; only the feature axis (1 or -1) is supported"
                    )))
                }
            },
            "ArgMax" => {
                if attr_i(node, "select_last_index", 0) != 0 {
                    return Err(at.err("select_last_index = 1 is not supported (ties go to the first index)"));
                }
                match attr_i(node, "axis", 0) {
                    -1 | 1 => vec![Op::ArgMax],
                    axis => {
                        return Err(at.err(format!(
                            "argmax over axis {axis}; only the feature axis (1 or -1) is supported"
                        )))
                    }
                }
            }
            other => return Err(at.err(format!("operator `{other}` is not mapped"))),
        })
    }
}

fn attr_f(node: &pb::NodeProto, name: &str, default: f64) -> f64 {
    node.attribute.iter().find(|a| a.name == name).map_or(default, |a| f64::from(a.f))
}

fn attr_i(node: &pb::NodeProto, name: &str, default: i64) -> i64 {
    node.attribute.iter().find(|a| a.name == name).map_or(default, |a| a.i)
}
