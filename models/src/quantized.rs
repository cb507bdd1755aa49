//! The fixed-point model the circuit proves, and its bit-exact integer inference.
//!
//! A quantized model is a chain of dense layers over one vector. Every value is an integer `q`
//! standing for the real number `q / 2^scale_bits`. Each dense layer computes, per output `j`,
//!
//! ```text
//! acc_j = Σ_i weights[j][i] · x_i + bias[j]          (exact integer arithmetic)
//! pre_j = floor(acc_j / 2^shift)                      (floor, also for negative acc)
//! out_j = activation(pre_j)
//! ```
//!
//! Rounding to nearest is folded into `bias` (it already holds `+2^(shift-1)`), so the circuit only
//! needs a floor division. `bounds` of every intermediate are derived from the input ranges by
//! interval arithmetic; the circuit sizes its range checks from them, and this module refuses
//! inputs outside the declared ranges, so an honest witness always fits.

use serde::{Deserialize, Serialize};

pub use crate::activation::{softplus_tail, Activation, ActivationTable, LeadActivation};
use crate::error::ModelError;
use crate::trees::{QuantizedTrees, TreesTrace};

/// One private input feature: its name and its allowed quantized range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantizedInput {
    /// Feature name (from the schema, or `x{i}` without one).
    pub name: String,
    /// Fractional bits: the feature `v` is stored as `round(v · 2^scale_bits)`.
    pub scale_bits: u32,
    /// Smallest allowed quantized value (inclusive).
    pub min: i64,
    /// Largest allowed quantized value (inclusive).
    pub max: i64,
}

/// Inclusive integer interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounds {
    /// Smallest possible value.
    pub min: i64,
    /// Largest possible value.
    pub max: i64,
}

/// One dense layer `floor((W·x + b) / 2^shift)` followed by an activation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenseLayer {
    /// `weights[out][in]`, quantized.
    pub weights: Vec<Vec<i64>>,
    /// Bias at the accumulator's scale, rounding offset included.
    pub bias: Vec<i64>,
    /// Right shift from the accumulator's scale to the pre-activation's.
    pub shift: u32,
    /// Fractional bits of the pre-activation.
    pub pre_scale_bits: u32,
    /// The nonlinearity.
    pub activation: Activation,
    /// A different nonlinearity for the first outputs (two-part activations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<LeadActivation>,
    /// Bounds of each pre-activation over every allowed input (interval arithmetic).
    pub pre_bounds: Vec<Bounds>,
    /// Bounds of each output.
    pub out_bounds: Vec<Bounds>,
}

impl DenseLayer {
    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.weights.first().map_or(0, Vec::len)
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.weights.len()
    }

    /// Fractional bits of the layer's output (of the outputs after the lead ones).
    pub fn out_scale_bits(&self) -> u32 {
        self.activation.out_scale_bits(self.pre_scale_bits)
    }

    /// The activation of output `j`.
    pub fn activation_of(&self, j: usize) -> &Activation {
        match &self.lead {
            Some(lead) if j < lead.outputs => &lead.activation,
            _ => &self.activation,
        }
    }

    /// Fractional bits of output `j`.
    pub fn out_scale_bits_of(&self, j: usize) -> u32 {
        self.activation_of(j).out_scale_bits(self.pre_scale_bits)
    }

    /// The output bounds of pre-activations within `pre`, each through its own activation.
    pub fn activation_bounds(&self, pre: &[Bounds]) -> Vec<Bounds> {
        pre.iter().enumerate().map(|(j, b)| self.activation_of(j).out_bounds(*b)).collect()
    }

    /// Whether any output reads an activation table.
    pub fn has_table(&self) -> bool {
        (0..self.outputs()).any(|j| self.activation_of(j).table().is_some())
    }

    /// Exact integer evaluation: accumulators, pre-activations and outputs.
    pub fn forward(&self, x: &[i64]) -> LayerTrace {
        let acc: Vec<i128> = self
            .weights
            .iter()
            .zip(&self.bias)
            .map(|(row, b)| {
                row.iter().zip(x).map(|(w, v)| *w as i128 * *v as i128).sum::<i128>() + *b as i128
            })
            .collect();
        let pre: Vec<i64> = acc.iter().map(|a| floor_shift(*a, self.shift)).collect();
        let out = pre.iter().enumerate().map(|(j, p)| self.activation_of(j).apply(*p)).collect();
        LayerTrace { acc, pre, out }
    }
}

/// `floor(a / 2^shift)` on integers, rounding towards negative infinity.
pub fn floor_shift(a: i128, shift: u32) -> i64 {
    (a >> shift) as i64
}

/// What the proof publishes about the model's final output vector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutputSpec {
    /// Every element of the final vector.
    Vector,
    /// The index of the largest element (the first one on ties).
    ArgMax,
    /// `1` if `final[index] >= threshold` (quantized at the output scale), else `0`.
    Threshold {
        /// Which element of the final vector.
        index: usize,
        /// Threshold at the final output's scale.
        threshold: i64,
    },
}

/// A quantized wallet model: inputs, an optional tree ensemble, a chain of dense layers, and what
/// the proof reveals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantizedModel {
    /// The private input features.
    pub inputs: Vec<QuantizedInput>,
    /// A tree ensemble over the inputs whose scores feed the layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trees: Option<QuantizedTrees>,
    /// The layers, applied in order.
    pub layers: Vec<DenseLayer>,
    /// What the public output is.
    pub output: OutputSpec,
}

/// Every intermediate of one integer inference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerTrace {
    /// Accumulators `W·x + b`.
    pub acc: Vec<i128>,
    /// Floor-divided pre-activations.
    pub pre: Vec<i64>,
    /// Activation outputs.
    pub out: Vec<i64>,
}

/// A full integer inference: the inputs, each layer's trace, and the public output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InferenceTrace {
    /// The quantized features.
    pub inputs: Vec<i64>,
    /// The tree ensemble's paths and scores.
    pub trees: Option<TreesTrace>,
    /// One trace per layer.
    pub layers: Vec<LayerTrace>,
    /// The public output values, as `OutputSpec` says.
    pub public_outputs: Vec<i64>,
}

impl InferenceTrace {
    /// The first layer's input: the tree scores, else the features.
    pub fn layer_input(&self) -> &[i64] {
        self.trees.as_ref().map_or(&self.inputs, |t| &t.scores)
    }

    /// The last layer's output vector (the layers' input for a model without layers).
    pub fn final_vector(&self) -> &[i64] {
        self.layers.last().map_or(self.layer_input(), |l| &l.out)
    }
}

impl QuantizedModel {
    /// Fractional bits of the final output vector.
    pub fn output_scale_bits(&self) -> u32 {
        self.layers.last().map_or_else(
            || match &self.trees {
                Some(t) => t.leaf_scale_bits,
                None => self.inputs.first().map_or(0, |i| i.scale_bits),
            },
            DenseLayer::out_scale_bits,
        )
    }

    /// Length of the final output vector.
    pub fn output_len(&self) -> usize {
        self.layers.last().map_or_else(|| self.layer_input_bounds().len(), DenseLayer::outputs)
    }

    /// Bounds of the first layer's input: the tree scores', else the features'.
    pub fn layer_input_bounds(&self) -> Vec<Bounds> {
        match &self.trees {
            Some(t) => t.score_bounds(),
            None => self.input_bounds(),
        }
    }

    /// Bounds of the final output vector.
    pub fn final_bounds(&self) -> Vec<Bounds> {
        self.layers.last().map_or_else(|| self.layer_input_bounds(), |l| l.out_bounds.clone())
    }

    /// The id of the feature encoding the model reads (its inputs' scales and ranges): equal to
    /// the schema's id when compiled against a schema with a canonical encoding.
    pub fn schema_id(&self) -> crate::SchemaId {
        crate::SchemaId::of_encoding(&self.inputs)
    }

    /// Number of public output values.
    pub fn public_output_len(&self) -> usize {
        match self.output {
            OutputSpec::Vector => self.output_len(),
            OutputSpec::ArgMax | OutputSpec::Threshold { .. } => 1,
        }
    }

    /// Checks quantized features against the declared ranges.
    pub fn check_inputs(&self, q: &[i64]) -> Result<(), ModelError> {
        if q.len() != self.inputs.len() {
            return Err(ModelError::FeatureCount { expected: self.inputs.len(), got: q.len() });
        }
        for (input, v) in self.inputs.iter().zip(q) {
            if *v < input.min || *v > input.max {
                let scale = (1u64 << input.scale_bits) as f64;
                return Err(ModelError::FeatureOutOfRange {
                    name: input.name.clone(),
                    value: *v as f64 / scale,
                    min: input.min as f64 / scale,
                    max: input.max as f64 / scale,
                });
            }
        }
        Ok(())
    }

    /// Exact integer inference, bit for bit what the circuit computes.
    pub fn forward(&self, q: &[i64]) -> Result<InferenceTrace, ModelError> {
        self.check_inputs(q)?;
        let trees = self.trees.as_ref().map(|t| t.forward(q));
        let layer_input = trees.as_ref().map_or_else(|| q.to_vec(), |t| t.scores.clone());
        Ok(self.finish_trace(q.to_vec(), trees, layer_input))
    }

    /// The layers and the public output from the layers' input on (for a tree model, its scores).
    pub fn finish_trace(
        &self,
        inputs: Vec<i64>,
        trees: Option<TreesTrace>,
        layer_input: Vec<i64>,
    ) -> InferenceTrace {
        let mut layers = Vec::with_capacity(self.layers.len());
        let mut x = layer_input;
        for layer in &self.layers {
            let trace = layer.forward(&x);
            x = trace.out.clone();
            layers.push(trace);
        }
        let public_outputs = match &self.output {
            OutputSpec::Vector => x,
            OutputSpec::ArgMax => vec![argmax(&x) as i64],
            OutputSpec::Threshold { index, threshold } => {
                vec![i64::from(x.get(*index).is_some_and(|v| v >= threshold))]
            }
        };
        InferenceTrace { inputs, trees, layers, public_outputs }
    }
}

/// Index of the first maximum.
pub fn argmax(values: &[i64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

/// Pre-activation bounds of a layer whose inputs lie within `inputs` (interval arithmetic).
pub fn pre_activation_bounds(
    weights: &[Vec<i64>],
    bias: &[i64],
    shift: u32,
    inputs: &[Bounds],
) -> Vec<Bounds> {
    weights
        .iter()
        .zip(bias)
        .map(|(row, b)| {
            let (mut lo, mut hi) = (*b as i128, *b as i128);
            for (w, x) in row.iter().zip(inputs) {
                let (a, c) = (*w as i128 * x.min as i128, *w as i128 * x.max as i128);
                lo += a.min(c);
                hi += a.max(c);
            }
            Bounds { min: floor_shift(lo, shift), max: floor_shift(hi, shift) }
        })
        .collect()
}

/// Accumulators beyond this many bits are refused: far below the BN254 field's 254 bits, and
/// unreachable by sane models, so an honest accumulator never wraps around the field.
pub const MAX_ACCUMULATOR_BITS: u32 = 100;

/// Largest allowed fractional bits or shift, so `1 << bits` never overflows.
pub(crate) const MAX_SCALE_BITS: u32 = 62;

/// Accumulator bounds `Σ w·x + b` per output for inputs within `inputs`, or `None` if the
/// arithmetic would overflow `i128` (untrusted files can hold anything).
pub fn accumulator_bounds(weights: &[Vec<i64>], bias: &[i64], inputs: &[Bounds]) -> Option<Vec<Bounds128>> {
    weights
        .iter()
        .zip(bias)
        .map(|(row, b)| {
            let (mut lo, mut hi) = (*b as i128, *b as i128);
            for (w, x) in row.iter().zip(inputs) {
                let (a, c) =
                    ((*w as i128).checked_mul(x.min as i128)?, (*w as i128).checked_mul(x.max as i128)?);
                lo = lo.checked_add(a.min(c))?;
                hi = hi.checked_add(a.max(c))?;
            }
            Some(Bounds128 { min: lo, max: hi })
        })
        .collect()
}

/// Inclusive interval of accumulators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds128 {
    /// Smallest possible value.
    pub min: i128,
    /// Largest possible value.
    pub max: i128,
}

impl Bounds128 {
    /// Bits of the largest magnitude in the interval.
    pub fn magnitude_bits(&self) -> u32 {
        128 - self.min.unsigned_abs().max(self.max.unsigned_abs()).leading_zeros()
    }
}

impl QuantizedModel {
    /// The allowed quantized range of every input.
    pub fn input_bounds(&self) -> Vec<Bounds> {
        self.inputs.iter().map(|i| Bounds { min: i.min, max: i.max }).collect()
    }

    /// Quantizes a float feature row (`round(v · 2^scale_bits)`) and checks the declared ranges.
    pub fn quantize_features(&self, row: &[f64]) -> Result<Vec<i64>, ModelError> {
        if row.len() != self.inputs.len() {
            return Err(ModelError::FeatureCount { expected: self.inputs.len(), got: row.len() });
        }
        let mut q = Vec::with_capacity(row.len());
        for (input, v) in self.inputs.iter().zip(row) {
            if !v.is_finite() {
                return Err(ModelError::NonFiniteFeature { name: input.name.clone() });
            }
            let scale = (1u64 << input.scale_bits) as f64;
            let scaled = (v * scale).round();
            if scaled < input.min as f64 || scaled > input.max as f64 {
                return Err(ModelError::FeatureOutOfRange {
                    name: input.name.clone(),
                    value: *v,
                    min: input.min as f64 / scale,
                    max: input.max as f64 / scale,
                });
            }
            q.push(scaled as i64);
        }
        self.check_inputs(&q)?;
        Ok(q)
    }

    /// The final vector of a trace as floats (`q / 2^output_scale_bits`).
    pub fn dequantize_vector(&self, values: &[i64]) -> Vec<f64> {
        let scale = (1u64 << self.output_scale_bits().min(MAX_SCALE_BITS)) as f64;
        values.iter().map(|v| *v as f64 / scale).collect()
    }

    /// The public outputs decoded for people: scores as floats for `Vector`, the class index
    /// for `ArgMax`, `0`/`1` for `Threshold`.
    pub fn decode_public_outputs(&self, public: &[i64]) -> Vec<f64> {
        match self.output {
            OutputSpec::Vector => self.dequantize_vector(public),
            OutputSpec::ArgMax | OutputSpec::Threshold { .. } => public.iter().map(|v| *v as f64).collect(),
        }
    }

    /// Checks the model is internally consistent: dimensions chain, scales are sane, clip and
    /// sigmoid parameters are well formed, the stored bounds are exactly the interval-arithmetic
    /// bounds, and no accumulator exceeds [`MAX_ACCUMULATOR_BITS`]. A model that passes never
    /// makes [`QuantizedModel::forward`] panic or overflow.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |msg: String| Err(ModelError::InvalidModel(msg));
        if self.inputs.is_empty() {
            return bad("the model has no inputs".into());
        }
        for i in &self.inputs {
            if i.scale_bits > MAX_SCALE_BITS || i.min > i.max {
                return bad(format!(
                    "input `{}` has scale {} and range [{}, {}]",
                    i.name, i.scale_bits, i.min, i.max
                ));
            }
        }
        if let Some(trees) = &self.trees {
            trees
                .validate(&self.inputs)
                .map_err(|m| ModelError::InvalidModel(format!("tree ensemble: {m}")))?;
        }
        let mut bounds = self.layer_input_bounds();
        for (l, layer) in self.layers.iter().enumerate() {
            let n = layer.outputs();
            if n == 0 || layer.weights.iter().any(|r| r.len() != bounds.len()) {
                return bad(format!("layer {l}: weights must be a non-empty {}-column matrix", bounds.len()));
            }
            if layer.bias.len() != n || layer.pre_bounds.len() != n || layer.out_bounds.len() != n {
                return bad(format!("layer {l}: bias and bounds must have {n} entries"));
            }
            if layer.shift > MAX_SCALE_BITS || layer.pre_scale_bits > MAX_SCALE_BITS {
                return bad(format!("layer {l}: shift or scale too large"));
            }
            if let Some(lead) = &layer.lead {
                if lead.outputs == 0 || lead.outputs >= n {
                    return bad(format!(
                        "layer {l}: the lead activation covers {} of {n} outputs",
                        lead.outputs
                    ));
                }
            }
            let activations =
                std::iter::once(&layer.activation).chain(layer.lead.as_ref().map(|d| &d.activation));
            if let Some(why) = activations.filter_map(Activation::malformed).next() {
                return bad(format!("layer {l}: {why}"));
            }
            let acc = accumulator_bounds(&layer.weights, &layer.bias, &bounds)
                .filter(|acc| acc.iter().all(|b| b.magnitude_bits() <= MAX_ACCUMULATOR_BITS))
                .ok_or_else(|| {
                    ModelError::InvalidModel(format!(
                        "layer {l}: accumulators exceed {MAX_ACCUMULATOR_BITS} bits"
                    ))
                })?;
            if acc.iter().any(|b| {
                (b.min >> layer.shift) < i64::MIN as i128 || (b.max >> layer.shift) > i64::MAX as i128
            }) {
                return bad(format!("layer {l}: pre-activations do not fit in 64 bits"));
            }
            let pre = pre_activation_bounds(&layer.weights, &layer.bias, layer.shift, &bounds);
            let out = layer.activation_bounds(&pre);
            if pre != layer.pre_bounds || out != layer.out_bounds {
                return bad(format!("layer {l}: stored bounds differ from the interval-arithmetic bounds"));
            }
            bounds = out;
        }
        if let OutputSpec::Threshold { index, .. } = self.output {
            if index >= self.output_len() {
                return bad(format!(
                    "threshold index {index} is outside the {}-element output",
                    self.output_len()
                ));
            }
        }
        Ok(())
    }
}
