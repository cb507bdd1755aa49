//! Lowering of a float [`Graph`] into float dense layers, the shape the quantizer and circuit use.
//!
//! Consecutive affine ops (`Gemm`, `MatMul`, and `Add`/`Sub`/`Mul`/`Div` by constants, e.g. an
//! input normalisation `(x - mean) / std`) compose into one affine map `W·x + b`; the activation
//! that follows becomes that layer's nonlinearity. An activation with no affine op before it gets
//! an identity layer, and trailing affine ops an identity activation. A trailing `Softmax`/`ArgMax`
//! is not lowered: both are monotonic, so the dense chain computes the scores and the argmax of
//! the scores is the argmax of the probabilities.
//!
//! Two-part activations become one layer twice as wide whose two halves take different
//! activations, and the next layer (or a final identity layer) adds the halves:
//! `LeakyRelu_α(x) = α·x + (1−α)·relu(x)`, `Softplus(x) = relu(x) + ln(1 + e^-|x|)`.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::error::ModelError;
use crate::graph::{Graph, Op};
use crate::trees::TreeEnsemble;

/// The nonlinearity of a float dense layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FloatActivation {
    /// No nonlinearity.
    Identity,
    /// `max(x, 0)`.
    Relu,
    /// `min(max(x, min), max)`.
    Clip {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// The logistic function.
    Sigmoid,
    /// `ln(1 + e^-|x|)`, the softplus's second half.
    SoftplusTail,
}

impl FloatActivation {
    /// Applies the activation to one value.
    pub fn apply(&self, v: f64) -> f64 {
        match self {
            FloatActivation::Identity => v,
            FloatActivation::Relu => v.max(0.0),
            FloatActivation::Clip { min, max } => v.clamp(*min, *max),
            FloatActivation::Sigmoid => crate::graph::sigmoid(v),
            FloatActivation::SoftplusTail => crate::activation::softplus_tail(v),
        }
    }

    /// Whether the activation is computed from a table (its input is clamped to the table's
    /// domain at a fixed scale).
    pub fn is_table(&self) -> bool {
        matches!(self, FloatActivation::Sigmoid | FloatActivation::SoftplusTail)
    }
}

/// One float layer `activation(W·x + b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer {
    /// `weights[out][in]`.
    pub weights: Array2<f64>,
    /// One bias per output.
    pub bias: Array1<f64>,
    /// The nonlinearity.
    pub activation: FloatActivation,
    /// A different nonlinearity for the first outputs: `(how many, which)`.
    pub lead: Option<(usize, FloatActivation)>,
}

impl FloatLayer {
    /// The activation of output `j`.
    pub fn activation_of(&self, j: usize) -> FloatActivation {
        match self.lead {
            Some((n, lead)) if j < n => lead,
            _ => self.activation,
        }
    }
}

/// Pre-activations and outputs of one float layer over many rows.
#[derive(Clone, Debug)]
pub struct FloatLayerTrace {
    /// `[rows, outputs]` pre-activations.
    pub pre: Array2<f64>,
    /// `[rows, outputs]` outputs.
    pub out: Array2<f64>,
}

/// A graph lowered to float dense layers (after the tree ensemble it may start with).
#[derive(Clone, Debug, PartialEq)]
pub struct LoweredModel {
    /// Number of input features.
    pub inputs: usize,
    /// The tree ensemble that computes the first layer's input, if any.
    pub trees: Option<TreeEnsemble>,
    /// The layers, in order (at least one unless the model starts with trees).
    pub layers: Vec<FloatLayer>,
}

/// An affine map under construction: `m · x + v`.
struct Affine {
    m: Array2<f64>,
    v: Array1<f64>,
}

impl Affine {
    fn identity(width: usize) -> Self {
        Affine { m: Array2::eye(width), v: Array1::zeros(width) }
    }

    /// Left-multiplies by `t` (`[out, width]`): `t·(m x + v)`.
    fn then_linear(&mut self, t: ArrayView2<f64>) {
        self.m = t.dot(&self.m);
        self.v = t.dot(&self.v);
    }
}

/// A length-1 or length-`width` constant as a full vector.
fn broadcast(c: &Array1<f64>, width: usize) -> Array1<f64> {
    if c.len() == width {
        c.clone()
    } else {
        Array1::from_elem(width, c.first().copied().unwrap_or(0.0))
    }
}

impl LoweredModel {
    /// Lowers every op before the classifier head (see the module docs).
    pub fn from_graph(graph: &Graph) -> Result<Self, ModelError> {
        let mut layers = Vec::new();
        let mut pending: Option<Affine> = None;
        let (first, trees) = match graph.tree_ensemble() {
            Some((i, e)) => (i + 1, Some(e.clone())),
            None => (0, None),
        };
        let mut width = trees.as_ref().map_or(graph.inputs(), |e| e.outputs);
        for node in &graph.nodes()[first.min(graph.scores_end())..graph.scores_end()] {
            let two_part = match node.op {
                Op::LeakyRelu { alpha } => {
                    Some((FloatActivation::Identity, FloatActivation::Relu, [alpha, 1.0 - alpha]))
                }
                Op::Softplus => Some((FloatActivation::Relu, FloatActivation::SoftplusTail, [1.0, 1.0])),
                _ => None,
            };
            if let Some((lead, rest, [a, b])) = two_part {
                let Affine { m, v } = pending.take().unwrap_or_else(|| Affine::identity(width));
                let weights = ndarray::concatenate(Axis(0), &[m.view(), m.view()]).expect("equal widths");
                let bias = ndarray::concatenate(Axis(0), &[v.view(), v.view()]).expect("equal widths");
                layers.push(FloatLayer { weights, bias, activation: rest, lead: Some((width, lead)) });
                let eye = Array2::<f64>::eye(width);
                let sum = ndarray::concatenate(Axis(1), &[(&eye * a).view(), (&eye * b).view()])
                    .expect("equal heights");
                pending = Some(Affine { m: sum, v: Array1::zeros(width) });
                continue;
            }
            let activation = match &node.op {
                Op::Relu => Some(FloatActivation::Relu),
                Op::Sigmoid => Some(FloatActivation::Sigmoid),
                Op::Clip { min, max } => Some(FloatActivation::Clip { min: *min, max: *max }),
                Op::Reshape { .. } => None,
                op => {
                    let affine = pending.get_or_insert_with(|| Affine::identity(width));
                    width = compose(affine, op, width)?;
                    None
                }
            };
            if let Some(activation) = activation {
                let Affine { m, v } = pending.take().unwrap_or_else(|| Affine::identity(width));
                layers.push(FloatLayer { weights: m, bias: v, activation, lead: None });
            }
        }
        // Trees already give the scores; a dense chain needs at least one layer.
        if pending.is_some() || (layers.is_empty() && trees.is_none()) {
            let Affine { m, v } = pending.take().unwrap_or_else(|| Affine::identity(width));
            layers.push(FloatLayer {
                weights: m,
                bias: v,
                activation: FloatActivation::Identity,
                lead: None,
            });
        }
        Ok(LoweredModel { inputs: graph.inputs(), trees, layers })
    }

    /// The first layer's input for `[rows, inputs]`: the rows, or the trees' scores.
    pub fn layer_input(&self, x: ArrayView2<f64>) -> Array2<f64> {
        match &self.trees {
            Some(e) => Op::TreeEnsemble(Box::new(e.clone())).eval(x),
            None => x.to_owned(),
        }
    }

    /// Float evaluation of every layer on `[rows, inputs]`.
    pub fn trace_rows(&self, x: ArrayView2<f64>) -> Vec<FloatLayerTrace> {
        let input = self.layer_input(x);
        let mut traces: Vec<FloatLayerTrace> = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let product = match traces.last() {
                Some(t) => t.out.dot(&layer.weights.t()),
                None => input.dot(&layer.weights.t()),
            };
            let pre = product + layer.bias.view().insert_axis(Axis(0));
            let mut out = pre.clone();
            for (j, mut column) in out.columns_mut().into_iter().enumerate() {
                let activation = layer.activation_of(j);
                column.mapv_inplace(|v| activation.apply(v));
            }
            traces.push(FloatLayerTrace { pre, out });
        }
        traces
    }

    /// The scores (last layer's outputs) of `[rows, inputs]`.
    pub fn scores_rows(&self, x: ArrayView2<f64>) -> Array2<f64> {
        self.trace_rows(x).pop().map_or_else(|| self.layer_input(x), |t| t.out)
    }
}

/// Composes an affine op onto `affine` (whose output width is `width`); returns the new width.
fn compose(affine: &mut Affine, op: &Op, width: usize) -> Result<usize, ModelError> {
    match op {
        Op::Gemm { b, c, alpha, beta, trans_b } => {
            // y = alpha·(Mx+v)ᵀ·op(B) + beta·C, i.e. as a column: alpha·op(B)ᵀ·(Mx+v) + beta·C.
            let t = if *trans_b { b.view() } else { b.t() };
            affine.then_linear(t);
            affine.m *= *alpha;
            affine.v *= *alpha;
            if let Some(c) = c {
                affine.v += &(broadcast(c, t.nrows()) * *beta);
            }
            Ok(t.nrows())
        }
        Op::MatMul { b } => {
            affine.then_linear(b.t());
            Ok(b.ncols())
        }
        Op::Add { c } => {
            affine.v += &broadcast(c, width);
            Ok(width)
        }
        Op::Sub { c, reversed } => {
            if *reversed {
                affine.m.mapv_inplace(|x| -x);
                affine.v = broadcast(c, width) - &affine.v;
            } else {
                affine.v -= &broadcast(c, width);
            }
            Ok(width)
        }
        Op::Mul { c } | Op::Div { c } => {
            let mut c = broadcast(c, width);
            if matches!(op, Op::Div { .. }) {
                c.mapv_inplace(|x| 1.0 / x);
            }
            affine.m *= &c.view().insert_axis(Axis(1));
            affine.v *= &c;
            Ok(width)
        }
        other => Err(ModelError::InvalidGraph(format!("`{}` is not an affine op", other.kind()))),
    }
}
