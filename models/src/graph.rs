//! The float model IR: a chain of tensor ops over one feature row, and its reference inference.
//!
//! Wallet models are tabular: one row of `n` features flows through a chain of ops, each of which
//! reads the previous op's output and constants baked into the op. The IR is the ONNX subset such
//! models use; shapes are tracked as the row width only, since with a batch of one every supported
//! op sees a `[1, n]` row vector (`Flatten`, `Reshape`, `Squeeze`, … are therefore no-ops).
//!
//! Evaluation is in `f64` on `ndarray`, one row or many at once (`[rows, width]`).

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::error::ModelError;
use crate::trees::TreeEnsemble;

/// One tensor operation of the chain. Constants broadcast: a vector constant has length 1
/// (a scalar) or the width of the row it applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// ONNX `Gemm` with the row as `A`: `alpha · x · op(B) + beta · C`, `op(B) = Bᵀ` if `trans_b`.
    /// (`transA` is meaningless for a single row vector, whose transpose has the same elements.)
    Gemm {
        /// The `B` matrix as stored: `[in, out]`, or `[out, in]` with `trans_b`.
        b: Array2<f64>,
        /// Optional bias `C`, length 1 or `out`.
        c: Option<Array1<f64>>,
        /// Scale of the product.
        alpha: f64,
        /// Scale of the bias.
        beta: f64,
        /// Whether `B` is stored transposed.
        trans_b: bool,
    },
    /// `x · B` with `B` of shape `[in, out]`.
    MatMul {
        /// The constant right-hand matrix.
        b: Array2<f64>,
    },
    /// `x + c`.
    Add {
        /// The constant.
        c: Array1<f64>,
    },
    /// `x - c`, or `c - x` when `reversed`.
    Sub {
        /// The constant.
        c: Array1<f64>,
        /// Whether the row is the subtrahend.
        reversed: bool,
    },
    /// `x ⊙ c` (elementwise, or by a scalar).
    Mul {
        /// The constant.
        c: Array1<f64>,
    },
    /// `x / c` with a non-zero constant.
    Div {
        /// The constant.
        c: Array1<f64>,
    },
    /// `max(x, 0)`.
    Relu,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `x` where `x ≥ 0`, else `alpha·x`.
    LeakyRelu {
        /// The slope below zero.
        alpha: f64,
    },
    /// `ln(1 + e^x)`.
    Softplus,
    /// `min(max(x, min), max)`; absent ONNX bounds are infinite.
    Clip {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// A shape-only op (`Flatten`, `Reshape`, `Identity`, …) that leaves a row unchanged.
    Reshape {
        /// The ONNX operator it came from, kept for summaries.
        onnx_op: String,
    },
    /// Softmax over the row; only at the end of the chain (optionally followed by `ArgMax`).
    Softmax,
    /// Index of the first largest element, as a one-element row; only as the last op.
    ArgMax,
    /// A tree ensemble's score vector (ONNX-ML `TreeEnsembleClassifier`/`Regressor`); only as
    /// the first op, since trees split on the raw features.
    TreeEnsemble(Box<TreeEnsemble>),
}

impl Op {
    /// A short name for summaries and error messages.
    pub fn kind(&self) -> &str {
        match self {
            Op::Gemm { .. } => "Gemm",
            Op::MatMul { .. } => "MatMul",
            Op::Add { .. } => "Add",
            Op::Sub { .. } => "Sub",
            Op::Mul { .. } => "Mul",
            Op::Div { .. } => "Div",
            Op::Relu => "Relu",
            Op::Sigmoid => "Sigmoid",
            Op::LeakyRelu { .. } => "LeakyRelu",
            Op::Softplus => "Softplus",
            Op::Clip { .. } => "Clip",
            Op::Reshape { onnx_op } => onnx_op,
            Op::Softmax => "Softmax",
            Op::ArgMax => "ArgMax",
            Op::TreeEnsemble(_) => "TreeEnsemble",
        }
    }

    /// Whether the op belongs to the trailing classifier head (`Softmax`, `ArgMax`).
    pub fn is_classifier_head(&self) -> bool {
        matches!(self, Op::Softmax | Op::ArgMax)
    }

    /// Output width for an input of `width`, or why the op does not fit.
    pub(crate) fn output_width(&self, width: usize) -> Result<usize, String> {
        let broadcast = |c: &Array1<f64>| {
            if c.len() == 1 || c.len() == width {
                Ok(width)
            } else {
                Err(format!("constant of length {} does not broadcast to a row of width {width}", c.len()))
            }
        };
        match self {
            Op::Gemm { b, c, trans_b, .. } => {
                let (k, n) = if *trans_b { (b.ncols(), b.nrows()) } else { (b.nrows(), b.ncols()) };
                if k != width {
                    return Err(format!("B has inner dimension {k} but the row has width {width}"));
                }
                match c {
                    Some(c) if c.len() != 1 && c.len() != n => {
                        Err(format!("bias C of length {} does not broadcast to width {n}", c.len()))
                    }
                    _ => Ok(n),
                }
            }
            Op::MatMul { b } => {
                if b.nrows() != width {
                    return Err(format!("B has {} rows but the row has width {width}", b.nrows()));
                }
                Ok(b.ncols())
            }
            Op::Add { c } | Op::Sub { c, .. } | Op::Mul { c } => broadcast(c),
            Op::Div { c } => {
                if c.iter().any(|v| *v == 0.0) {
                    return Err("division by zero".into());
                }
                broadcast(c)
            }
            Op::Clip { min, max } => {
                if min.is_nan() || max.is_nan() || min > max {
                    return Err(format!("clip bounds [{min}, {max}] are not an interval"));
                }
                Ok(width)
            }
            Op::ArgMax => Ok(1),
            Op::TreeEnsemble(e) => {
                if e.inputs != width {
                    return Err(format!(
                        "the trees read {} features but the row has width {width}",
                        e.inputs
                    ));
                }
                Ok(e.outputs)
            }
            Op::Relu
            | Op::Sigmoid
            | Op::LeakyRelu { .. }
            | Op::Softplus
            | Op::Reshape { .. }
            | Op::Softmax => Ok(width),
        }
    }

    /// Applies the op to a batch of rows `[rows, width]`.
    pub fn eval(&self, x: ArrayView2<f64>) -> Array2<f64> {
        match self {
            Op::Gemm { b, c, alpha, beta, trans_b } => {
                let product = if *trans_b { x.dot(&b.t()) } else { x.dot(b) };
                let mut y = product * *alpha;
                if let Some(c) = c {
                    y += &(c * *beta);
                }
                y
            }
            Op::MatMul { b } => x.dot(b),
            Op::Add { c } => &x + c,
            Op::Sub { c, reversed: false } => &x - c,
            Op::Sub { c, reversed: true } => c - &x,
            Op::Mul { c } => &x * c,
            Op::Div { c } => &x / c,
            Op::Relu => x.mapv(|v| v.max(0.0)),
            Op::Sigmoid => x.mapv(sigmoid),
            Op::LeakyRelu { alpha } => x.mapv(|v| if v >= 0.0 { v } else { alpha * v }),
            Op::Softplus => x.mapv(|v| v.max(0.0) + crate::activation::softplus_tail(v)),
            Op::Clip { min, max } => x.mapv(|v| v.clamp(*min, *max)),
            Op::Reshape { .. } => x.to_owned(),
            Op::Softmax => {
                let mut y = x.to_owned();
                for mut row in y.rows_mut() {
                    let m = row.fold(f64::NEG_INFINITY, |a, b| a.max(*b));
                    row.mapv_inplace(|v| (v - m).exp());
                    let s = row.sum();
                    row.mapv_inplace(|v| v / s);
                }
                y
            }
            Op::ArgMax => {
                Array2::from_shape_fn((x.nrows(), 1), |(i, _)| argmax_f64(x.row(i).iter().copied()) as f64)
            }
            Op::TreeEnsemble(e) => {
                let mut y = Array2::zeros((x.nrows(), e.outputs));
                for (row, mut out) in x.rows().into_iter().zip(y.rows_mut()) {
                    out.assign(&Array1::from(e.scores(&row.to_vec())));
                }
                y
            }
        }
    }
}

/// The logistic function.
pub fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// Index of the first largest value (NaN never wins).
pub fn argmax_f64(values: impl IntoIterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.into_iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// One named op of the chain.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Node name (from ONNX, or generated).
    pub name: String,
    /// The operation.
    pub op: Op,
}

/// A validated chain of ops over one feature row.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    input_name: String,
    inputs: usize,
    nodes: Vec<Node>,
    widths: Vec<usize>,
}

impl Graph {
    /// Builds a graph, checking every op against the width of the row it receives and that
    /// `Softmax`/`ArgMax` only end the chain.
    pub fn new(input_name: impl Into<String>, inputs: usize, nodes: Vec<Node>) -> Result<Self, ModelError> {
        if inputs == 0 {
            return Err(ModelError::InvalidGraph("the model takes no features".into()));
        }
        let mut widths = Vec::with_capacity(nodes.len());
        let mut width = inputs;
        let mut head_started = false;
        for (i, node) in nodes.iter().enumerate() {
            let fail = |msg: String| {
                ModelError::InvalidGraph(format!("node `{}` ({}): {msg}", node.name, node.op.kind()))
            };
            if head_started && !matches!(node.op, Op::ArgMax | Op::Softmax | Op::Reshape { .. }) {
                return Err(fail("only ArgMax or shape ops may follow Softmax/ArgMax".into()));
            }
            if matches!(node.op, Op::TreeEnsemble(_))
                && nodes[..i].iter().any(|n| !matches!(n.op, Op::Reshape { .. }))
            {
                return Err(fail(
                    "a tree ensemble must be the first op (trees split on the raw features)".into(),
                ));
            }
            if matches!(node.op, Op::ArgMax) && i + 1 != nodes.len() {
                return Err(fail("ArgMax must be the last op".into()));
            }
            head_started |= node.op.is_classifier_head();
            width = node.op.output_width(width).map_err(fail)?;
            if width == 0 {
                return Err(fail("the op produces an empty row".into()));
            }
            widths.push(width);
        }
        Ok(Graph { input_name: input_name.into(), inputs, nodes, widths })
    }

    /// Name of the input tensor.
    pub fn input_name(&self) -> &str {
        &self.input_name
    }

    /// Number of input features.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The ops, in order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The tree ensemble the graph starts with, if any, and its node index.
    pub fn tree_ensemble(&self) -> Option<(usize, &TreeEnsemble)> {
        self.nodes.iter().enumerate().find_map(|(i, n)| match &n.op {
            Op::TreeEnsemble(e) => Some((i, e.as_ref())),
            _ => None,
        })
    }

    /// Width of the final output row.
    pub fn output_len(&self) -> usize {
        self.widths.last().copied().unwrap_or(self.inputs)
    }

    /// Index of the first `Softmax`/`ArgMax` node, i.e. where the classifier head begins
    /// (`nodes().len()` when there is none). Ops before it compute the model's *scores*.
    pub fn scores_end(&self) -> usize {
        self.nodes.iter().position(|n| n.op.is_classifier_head()).unwrap_or(self.nodes.len())
    }

    /// Whether the graph ends in a classifier head (`Softmax` and/or `ArgMax`).
    pub fn has_classifier_head(&self) -> bool {
        self.scores_end() < self.nodes.len()
    }

    /// Width of the score row (the output before any `Softmax`/`ArgMax`).
    pub fn scores_len(&self) -> usize {
        match self.scores_end() {
            0 => self.inputs,
            end => self.widths[end - 1],
        }
    }

    fn check_rows(&self, x: &ArrayView2<f64>) -> Result<(), ModelError> {
        if x.ncols() != self.inputs {
            return Err(ModelError::FeatureCount { expected: self.inputs, got: x.ncols() });
        }
        Ok(())
    }

    fn eval_prefix(&self, x: ArrayView2<f64>, end: usize) -> Result<Array2<f64>, ModelError> {
        self.check_rows(&x)?;
        let mut y = x.to_owned();
        for node in &self.nodes[..end] {
            y = node.op.eval(y.view());
        }
        Ok(y)
    }

    /// Float inference on many rows `[rows, inputs]` → `[rows, output_len]`.
    pub fn eval_rows(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        self.eval_prefix(x, self.nodes.len())
    }

    /// Float inference on one row.
    pub fn eval(&self, row: &[f64]) -> Result<Vec<f64>, ModelError> {
        Ok(self.eval_rows(row_view(row))?.into_raw_vec_and_offset().0)
    }

    /// The scores (outputs before any trailing `Softmax`/`ArgMax`) of many rows.
    pub fn scores_rows(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ModelError> {
        self.eval_prefix(x, self.scores_end())
    }

    /// A random-weight multilayer perceptron, deterministic in `seed` (benches and tests).
    ///
    /// `sizes = [in, h1, …, out]` gives one `Gemm` per consecutive pair; `hidden` follows every
    /// layer but the last, `output` (if any) follows the last. Weights are uniform in
    /// `±1/√fan_in`, biases in `±0.1`.
    pub fn mlp(sizes: &[usize], hidden: Op, output: Option<Op>, seed: u64) -> Result<Self, ModelError> {
        let is_activation = |op: &Op| matches!(op, Op::Relu | Op::Sigmoid | Op::Clip { .. });
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(ModelError::InvalidGraph("an MLP needs at least two non-zero layer sizes".into()));
        }
        if !is_activation(&hidden)
            || output.as_ref().is_some_and(|o| !is_activation(o) && !o.is_classifier_head())
        {
            return Err(ModelError::InvalidGraph("MLP activations must be Relu, Sigmoid or Clip".into()));
        }
        let mut rng = XorShift::new(seed);
        let mut nodes = Vec::new();
        let layers = sizes.len() - 1;
        for (l, pair) in sizes.windows(2).enumerate() {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let limit = 1.0 / (fan_in as f64).sqrt();
            let b = Array2::from_shape_fn((fan_out, fan_in), |_| rng.uniform(-limit, limit));
            let c = Array1::from_shape_fn(fan_out, |_| rng.uniform(-0.1, 0.1));
            let op = Op::Gemm { b, c: Some(c), alpha: 1.0, beta: 1.0, trans_b: true };
            nodes.push(Node { name: format!("fc{l}"), op });
            let act = if l + 1 < layers { Some(hidden.clone()) } else { output.clone() };
            if let Some(op) = act {
                nodes.push(Node { name: format!("act{l}"), op });
            }
        }
        Graph::new("input", sizes[0], nodes)
    }

    /// A random logistic regression `n → 1` with a sigmoid output.
    pub fn logistic_regression(n: usize, seed: u64) -> Result<Self, ModelError> {
        Graph::mlp(&[n, 1], Op::Relu, Some(Op::Sigmoid), seed)
    }

    /// One line per node, for summaries: `name: Op in→out`.
    pub fn describe(&self) -> Vec<String> {
        let mut width = self.inputs;
        self.nodes
            .iter()
            .zip(&self.widths)
            .map(|(n, w)| {
                let line = format!("{}: {} {}→{}", n.name, n.op.kind(), width, w);
                width = *w;
                line
            })
            .collect()
    }
}

/// A one-row view of a slice.
pub fn row_view(row: &[f64]) -> ArrayView2<'_, f64> {
    ndarray::aview1(row).insert_axis(Axis(0))
}

/// Rows as a `[rows, cols]` matrix; every row must have `cols` values.
pub fn rows_to_array(rows: &[Vec<f64>], cols: usize) -> Result<Array2<f64>, ModelError> {
    let mut a = Array2::zeros((rows.len(), cols));
    for (i, (row, mut dst)) in rows.iter().zip(a.axis_iter_mut(Axis(0))).enumerate() {
        if row.len() != cols {
            let source = Box::new(ModelError::FeatureCount { expected: cols, got: row.len() });
            return Err(ModelError::DataRow { row: i, source });
        }
        dst.assign(&ndarray::ArrayView1::from(row.as_slice()));
    }
    Ok(a)
}

/// Deterministic rows uniform in `[-1, 1]` (benches and tests).
pub fn random_rows(features: usize, rows: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = XorShift::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    (0..rows).map(|_| (0..features).map(|_| rng.uniform(-1.0, 1.0)).collect()).collect()
}

/// xorshift64*: a tiny deterministic generator, so fixtures need no RNG crate.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }
}
