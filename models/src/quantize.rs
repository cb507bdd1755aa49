//! Fixed-point quantization of a float graph with power-of-two scales chosen by calibration.
//!
//! Scales (DESIGN §3):
//! - **inputs**: per feature, as many fractional bits (at most [`MAX_INPUT_SCALE_BITS`]) as keep
//!   the feature's range within `±2^`[`INPUT_MAGNITUDE_BITS`]; the range is the schema's, else the
//!   calibration rows' min/max. Tree ensembles compare features with thresholds instead of
//!   multiplying them, and a coarse feature moves rows across splits, so their features get up to
//!   [`MAX_TREE_INPUT_SCALE_BITS`] within `±2^`[`TREE_INPUT_MAGNITUDE_BITS`] (the circuit only
//!   range-checks them, two bits per row);
//! - **pre-activations**: per layer, as many fractional bits (at most [`MAX_PRE_SCALE_BITS`]) as
//!   keep the calibration pre-activations within `±2^`[`PRE_MAGNITUDE_BITS`]. Sigmoid layers use
//!   [`SIGMOID_PRE_SCALE_BITS`] and a table over `[-8, 8)`: 1024 entries, so the circuit's
//!   multiplexer tree that reads it stays small.
//! - **weights**: `round(W·2^(acc − in_i))` with `acc = pre + shift`. The shift is the smallest that
//!   gives the largest weight [`WEIGHT_BITS`] significant bits *and* keeps the rounding error of
//!   every product below `2^-`[`PRODUCT_ERROR_BITS`] of a unit, capped at [`MAX_SHIFT`].
//! - **bias**: `round(b·2^acc) + 2^(shift-1)`, so the circuit's floor division rounds to nearest.
//!
//! Bounds come from interval arithmetic over the input ranges, never from calibration, so an honest
//! witness for any in-range input fits the circuit's range checks.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::graph::{argmax_f64, rows_to_array, Graph};
use crate::lower::{FloatActivation, LoweredModel};
use crate::quantized::{
    accumulator_bounds, argmax, pre_activation_bounds, Activation, ActivationTable, Bounds, DenseLayer,
    LeadActivation, OutputSpec, QuantizedInput, QuantizedModel, MAX_ACCUMULATOR_BITS,
};
use crate::schema::Schema;
use crate::trees::quantize_trees;

/// Quantized features stay within `±2^INPUT_MAGNITUDE_BITS`.
pub const INPUT_MAGNITUDE_BITS: u32 = 20;
/// Most fractional bits of an input feature.
pub const MAX_INPUT_SCALE_BITS: u32 = 16;
/// Quantized features of a tree ensemble stay within `±2^TREE_INPUT_MAGNITUDE_BITS`.
pub const TREE_INPUT_MAGNITUDE_BITS: u32 = 40;
/// Most fractional bits of a tree ensemble's input feature.
pub const MAX_TREE_INPUT_SCALE_BITS: u32 = 20;
/// Calibration pre-activations stay within `±2^PRE_MAGNITUDE_BITS`.
pub const PRE_MAGNITUDE_BITS: u32 = 14;
/// Most fractional bits of a pre-activation.
pub const MAX_PRE_SCALE_BITS: u32 = 12;
/// Fractional bits of a sigmoid layer's pre-activation (the table's input).
pub const SIGMOID_PRE_SCALE_BITS: u32 = 6;
/// The sigmoid table covers `[-8, 8)`: `half_range = 8 · 2^SIGMOID_PRE_SCALE_BITS`.
pub const SIGMOID_HALF_RANGE: i64 = 8 << SIGMOID_PRE_SCALE_BITS;
/// Fractional bits of the sigmoid table's output.
pub const SIGMOID_OUT_SCALE_BITS: u32 = 12;
/// Significant bits targeted for a layer's largest weight.
pub const WEIGHT_BITS: u32 = 12;
/// Each product's weight-rounding error is kept below `2^-PRODUCT_ERROR_BITS` (real units).
pub const PRODUCT_ERROR_BITS: u32 = 10;
/// Largest right shift of a layer. Above 16 because a sigmoid layer (6-bit pre-activations) over
/// features as large as `2^20` needs about 30 accumulator bits to keep products accurate; the
/// circuit checks a remainder of any width bit by bit, so this costs a few rows, not a larger table.
pub const MAX_SHIFT: u32 = 24;

/// What the proof should reveal, as the caller asks for it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutputRequest {
    /// `ArgMax` if the graph ends in `ArgMax`/`Softmax` or has more than one output, else `Vector`.
    #[default]
    Auto,
    /// The full final vector.
    Vector,
    /// The class index.
    ArgMax,
    /// `final[index] >= threshold`, the threshold given as a float at the scores' scale.
    Threshold {
        /// Which element.
        index: usize,
        /// Threshold in float units.
        threshold: f64,
    },
}

impl std::str::FromStr for OutputRequest {
    type Err = ModelError;

    /// Parses `auto`, `vector`, `argmax` or `threshold:VALUE[:INDEX]` (INDEX 0 when omitted).
    fn from_str(text: &str) -> Result<Self, ModelError> {
        let bad = |reason| ModelError::InvalidOutputRequest { text: text.to_string(), reason };
        Ok(match text {
            "auto" => OutputRequest::Auto,
            "vector" => OutputRequest::Vector,
            "argmax" => OutputRequest::ArgMax,
            other => {
                let rest = other
                    .strip_prefix("threshold:")
                    .ok_or_else(|| bad("expected auto, vector, argmax or threshold:VALUE[:INDEX]"))?;
                let mut parts = rest.split(':');
                let threshold: f64 = parts
                    .next()
                    .unwrap_or_default()
                    .parse()
                    .map_err(|_| bad("threshold VALUE must be a number"))?;
                let index: usize = parts
                    .next()
                    .map(str::parse)
                    .transpose()
                    .map_err(|_| bad("threshold INDEX must be an integer"))?
                    .unwrap_or(0);
                OutputRequest::Threshold { index, threshold }
            }
        })
    }
}

/// Agreement of the quantized model with the float graph on some rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Rows compared.
    pub rows: usize,
    /// Share of rows whose argmax agrees (models with more than one output).
    pub argmax_agreement: Option<f64>,
    /// Share of rows whose threshold decision agrees (`Threshold` outputs).
    pub decision_agreement: Option<f64>,
    /// Largest absolute difference of a score (float vs dequantized).
    pub max_abs_error: f64,
    /// Mean absolute difference over all scores.
    pub mean_abs_error: f64,
}

/// Scales of one quantized layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerScales {
    /// Inputs and outputs.
    pub shape: [usize; 2],
    /// Activation name.
    pub activation: String,
    /// Fractional bits of the pre-activation.
    pub pre_scale_bits: u32,
    /// Right shift after the accumulation.
    pub shift: u32,
    /// Fractional bits of the output.
    pub out_scale_bits: u32,
    /// Bits of the largest accumulator magnitude over all allowed inputs.
    pub accumulator_bits: u32,
}

/// What quantization chose and how faithful the result is on the calibration rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantizationReport {
    /// Fractional bits of each input feature.
    pub input_scale_bits: Vec<u32>,
    /// Per-layer scales.
    pub layers: Vec<LayerScales>,
    /// Fractional bits of the final vector.
    pub output_scale_bits: u32,
    /// Agreement with the float graph on the calibration rows.
    pub calibration: Agreement,
}

/// Quantizes `graph`, choosing scales from `calibration` rows (and the schema's ranges).
pub fn quantize(
    graph: &Graph,
    calibration: &[Vec<f64>],
    schema: Option<&Schema>,
    output: &OutputRequest,
) -> Result<(QuantizedModel, QuantizationReport), ModelError> {
    let x = calibration_matrix(graph, calibration, schema)?;
    let lowered = LoweredModel::from_graph(graph)?;
    let (magnitude, max_scale) = match lowered.trees {
        Some(_) => (TREE_INPUT_MAGNITUDE_BITS, MAX_TREE_INPUT_SCALE_BITS),
        None => (INPUT_MAGNITUDE_BITS, MAX_INPUT_SCALE_BITS),
    };
    let inputs = quantize_inputs(x.view(), schema, magnitude, max_scale);
    let traces = lowered.trace_rows(x.view());
    let trees = lowered.trees.as_ref().map(|e| quantize_trees(e, &inputs)).transpose()?;

    let (mut bounds, mut in_bits): (Vec<Bounds>, Vec<u32>) = match &trees {
        Some(t) => (t.score_bounds(), vec![t.leaf_scale_bits; t.outputs()]),
        None => (
            inputs.iter().map(|i| Bounds { min: i.min, max: i.max }).collect(),
            inputs.iter().map(|i| i.scale_bits).collect(),
        ),
    };
    // Largest |quantized input| of the layer, for the product-error target of the shift.
    let mut in_magnitude =
        bounds.iter().map(|b| b.min.unsigned_abs().max(b.max.unsigned_abs()) as f64).fold(1.0, f64::max);
    let mut layers = Vec::with_capacity(lowered.layers.len());
    let mut scales = Vec::with_capacity(lowered.layers.len());
    for (l, (layer, trace)) in lowered.layers.iter().zip(&traces).enumerate() {
        let fail = |message: String| ModelError::Quantization { layer: l, message };
        let pre_bits = match layer.activation.is_table() || layer.lead.is_some_and(|(_, a)| a.is_table()) {
            true => SIGMOID_PRE_SCALE_BITS,
            false => {
                scale_bits_for(max_abs(trace.pre.view()).into_iter().fold(0.0, f64::max), PRE_MAGNITUDE_BITS)
                    .min(MAX_PRE_SCALE_BITS)
            }
        };
        let shift = choose_shift(&layer.weights, &in_bits, pre_bits, in_magnitude);
        let acc_bits = pre_bits + shift;
        let weights: Vec<Vec<i64>> = layer
            .weights
            .rows()
            .into_iter()
            .map(|row| {
                row.iter().zip(&in_bits).map(|(w, b)| to_fixed(*w, acc_bits as i32 - *b as i32)).collect()
            })
            .collect::<Option<_>>()
            .ok_or_else(|| fail("a weight is not finite or too large for 62 bits".into()))?;
        let offset = if shift > 0 { 1i64 << (shift - 1) } else { 0 };
        let bias: Vec<i64> = layer
            .bias
            .iter()
            .map(|b| to_fixed(*b, acc_bits as i32).and_then(|q| q.checked_add(offset)))
            .collect::<Option<_>>()
            .ok_or_else(|| fail("a bias is not finite or too large for 62 bits".into()))?;
        let acc = accumulator_bounds(&weights, &bias, &bounds)
            .filter(|acc| acc.iter().all(|b| b.magnitude_bits() <= MAX_ACCUMULATOR_BITS))
            .ok_or_else(|| fail(format!("an accumulator can exceed 2^{MAX_ACCUMULATOR_BITS}")))?;
        let accumulator_bits = acc.iter().map(|b| b.magnitude_bits()).max().unwrap_or(0);
        if accumulator_bits.saturating_sub(shift) > 62 {
            return Err(fail("a pre-activation can exceed 2^62".into()));
        }
        let pre_bounds = pre_activation_bounds(&weights, &bias, shift, &bounds);
        let activation = quantize_activation(layer.activation, pre_bits, &pre_bounds);
        let lead = layer.lead.map(|(outputs, a)| LeadActivation {
            outputs,
            activation: quantize_activation(a, pre_bits, &pre_bounds[..outputs]),
        });
        let mut dense = DenseLayer {
            weights,
            bias,
            shift,
            pre_scale_bits: pre_bits,
            activation,
            lead,
            pre_bounds,
            out_bounds: Vec::new(),
        };
        dense.out_bounds = dense.activation_bounds(&dense.pre_bounds);
        let out_bits = dense.out_scale_bits();
        scales.push(LayerScales {
            shape: [dense.inputs(), dense.outputs()],
            activation: match &dense.lead {
                Some(lead) => {
                    format!("{}+{}", activation_name(&lead.activation), activation_name(&dense.activation))
                }
                None => activation_name(&dense.activation).into(),
            },
            pre_scale_bits: pre_bits,
            shift,
            out_scale_bits: out_bits,
            accumulator_bits,
        });
        in_magnitude = max_abs(trace.out.view())
            .into_iter()
            .enumerate()
            .map(|(j, m)| m * pow2(dense.out_scale_bits_of(j)))
            .fold(1.0, f64::max);
        in_bits = (0..dense.outputs()).map(|j| dense.out_scale_bits_of(j)).collect();
        bounds = dense.out_bounds.clone();
        layers.push(dense);
    }
    let mut model = QuantizedModel { inputs, trees, layers, output: OutputSpec::Vector };
    model.output = resolve_output(graph, &model, output)?;
    model.validate()?;
    let calibration = agreement(graph, &model, x.view())?;
    let report = QuantizationReport {
        input_scale_bits: model.inputs.iter().map(|i| i.scale_bits).collect(),
        layers: scales,
        output_scale_bits: model.output_scale_bits(),
        calibration,
    };
    Ok((model, report))
}

/// Compares the quantized model with the float graph's scores on `rows` (e.g. held-out rows).
pub fn agreement_on_rows(
    graph: &Graph,
    model: &QuantizedModel,
    rows: &[Vec<f64>],
) -> Result<Agreement, ModelError> {
    let x = rows_to_array(rows, graph.inputs())?;
    agreement(graph, model, x.view())
}

/// Compares on `[rows, inputs]`: float scores vs dequantized final vectors.
pub fn agreement(graph: &Graph, model: &QuantizedModel, x: ArrayView2<f64>) -> Result<Agreement, ModelError> {
    if graph.scores_len() != model.output_len() {
        return Err(ModelError::InvalidGraph(format!(
            "the graph scores {} outputs but the quantized model {}",
            graph.scores_len(),
            model.output_len()
        )));
    }
    let scores = graph.scores_rows(x)?;
    let (mut max_err, mut sum_err, mut argmax_ok, mut decision_ok) = (0.0f64, 0.0, 0usize, 0usize);
    for (r, (row, float)) in x.rows().into_iter().zip(scores.rows()).enumerate() {
        let wrap = |e| ModelError::DataRow { row: r, source: Box::new(e) };
        let q = model.quantize_features(&row.to_vec()).map_err(wrap)?;
        let trace = model.forward(&q).map_err(wrap)?;
        let deq = model.dequantize_vector(trace.final_vector());
        for (f, d) in float.iter().zip(&deq) {
            let err = (f - d).abs();
            max_err = max_err.max(err);
            sum_err += err;
        }
        argmax_ok += usize::from(argmax_f64(float.iter().copied()) == argmax(trace.final_vector()));
        if let OutputSpec::Threshold { index, threshold } = model.output {
            let t = threshold as f64 / pow2(model.output_scale_bits());
            let float_decision = float.get(index).is_some_and(|v| *v >= t);
            decision_ok += usize::from(float_decision == (trace.public_outputs.first() == Some(&1)));
        }
    }
    let rows = x.nrows();
    let share = |n: usize| if rows == 0 { 1.0 } else { n as f64 / rows as f64 };
    let cells = rows * model.output_len();
    Ok(Agreement {
        rows,
        argmax_agreement: (model.output_len() > 1).then(|| share(argmax_ok)),
        decision_agreement: matches!(model.output, OutputSpec::Threshold { .. }).then(|| share(decision_ok)),
        max_abs_error: max_err,
        mean_abs_error: if cells == 0 { 0.0 } else { sum_err / cells as f64 },
    })
}

/// Calibration rows as a matrix, checked against the graph's width and the schema.
fn calibration_matrix(
    graph: &Graph,
    rows: &[Vec<f64>],
    schema: Option<&Schema>,
) -> Result<Array2<f64>, ModelError> {
    if rows.is_empty() {
        return Err(ModelError::Calibration("at least one calibration row is needed".into()));
    }
    if let Some(s) = schema {
        if s.len() != graph.inputs() {
            return Err(ModelError::InvalidSchema(format!(
                "the schema declares {} features but the model takes {}",
                s.len(),
                graph.inputs()
            )));
        }
    }
    for (i, row) in rows.iter().enumerate() {
        let wrap = |e| ModelError::CalibrationRow { row: i, source: Box::new(e) };
        match schema {
            Some(s) => s.check_row(row).map_err(wrap)?,
            None => {
                if row.len() != graph.inputs() {
                    return Err(wrap(ModelError::FeatureCount { expected: graph.inputs(), got: row.len() }));
                }
                if let Some(c) = row.iter().position(|v| !v.is_finite()) {
                    return Err(wrap(ModelError::NonFiniteFeature { name: format!("x{c}") }));
                }
            }
        }
    }
    rows_to_array(rows, graph.inputs())
}

/// Per-feature scales and quantized ranges (schema ranges, else calibration min/max).
fn quantize_inputs(
    x: ArrayView2<f64>,
    schema: Option<&Schema>,
    magnitude_bits: u32,
    max_scale_bits: u32,
) -> Vec<QuantizedInput> {
    x.columns()
        .into_iter()
        .enumerate()
        .map(|(i, col)| {
            let feature = schema.and_then(|s| s.features.get(i));
            // A canonical encoding is the schema's contract with credential issuers: keep it.
            if let Some((f, bits)) = feature.and_then(|f| f.scale_bits.map(|b| (f, b))) {
                return crate::schema::encoded_input(f, bits);
            }
            let (name, lo, hi) = match feature {
                Some(f) => (f.name.clone(), f.min, f.max),
                None => {
                    let (lo, hi) = headroom_range(
                        col.fold(f64::INFINITY, |a, b| a.min(*b)),
                        col.fold(f64::NEG_INFINITY, |a, b| a.max(*b)),
                    );
                    (format!("x{i}"), lo, hi)
                }
            };
            let bits = scale_bits_for(lo.abs().max(hi.abs()), magnitude_bits).min(max_scale_bits);
            let s = pow2(bits);
            QuantizedInput {
                name,
                scale_bits: bits,
                min: (lo * s).round() as i64,
                max: (hi * s).round() as i64,
            }
        })
        .collect()
}

/// Spans of the calibration interval added on each side of a schema-less feature's range.
pub const CALIBRATION_HEADROOM_SPANS: f64 = 2.0;

/// Factor by which a schema-less feature's range reaches past the largest magnitude seen.
pub const CALIBRATION_HEADROOM_FACTOR: f64 = 64.0;

/// A schema-less feature's allowed range from its calibration `[lo, hi]`. Calibration rows are
/// a sample, not the population, and wallet features are heavy-tailed (balances, transfer
/// values): the maximum of 32 rows says little about the next wallet. So each side reaches
/// the farther of [`CALIBRATION_HEADROOM_SPANS`] spans past the interval and
/// [`CALIBRATION_HEADROOM_FACTOR`] times the value seen (a constant feature: `max(1, |value|)`),
/// and a feature never negative in calibration stays at 0 below. On the bundled data, 32 rows
/// give ranges that accept 99.4 % of 500 held-out wallets (two spans alone: 96.6 %). It costs
/// about six bits in the range checks and in the input's scale, never soundness: the circuit
/// checks the widened range exactly.
pub fn headroom_range(lo: f64, hi: f64) -> (f64, f64) {
    let span = hi - lo;
    let widen = if span > 0.0 { CALIBRATION_HEADROOM_SPANS * span } else { lo.abs().max(1.0) };
    let low =
        if lo >= 0.0 { (lo - widen).max(0.0) } else { (lo - widen).min(lo * CALIBRATION_HEADROOM_FACTOR) };
    let high = if hi > 0.0 { (hi + widen).max(hi * CALIBRATION_HEADROOM_FACTOR) } else { hi + widen };
    (low, high)
}

/// Most fractional bits `s ≤ 62` with `round(magnitude · 2^s) ≤ 2^limit_bits`.
fn scale_bits_for(magnitude: f64, limit_bits: u32) -> u32 {
    let limit = pow2(limit_bits);
    (0..=62u32).rev().find(|s| (magnitude * pow2(*s)).round() <= limit).unwrap_or(0)
}

/// The layer's shift (see the module docs).
fn choose_shift(weights: &Array2<f64>, in_bits: &[u32], pre_bits: u32, in_magnitude: f64) -> u32 {
    // Largest weight at shift 0, in units of the quantized weight.
    let w0 = weights
        .rows()
        .into_iter()
        .flat_map(|row| {
            row.iter().zip(in_bits).map(|(w, b)| w.abs() * pow2(pre_bits) / pow2(*b)).collect::<Vec<_>>()
        })
        .fold(0.0, f64::max);
    let for_weights =
        if w0 > 0.0 { (f64::from(WEIGHT_BITS - 1) - w0.log2()).ceil().max(0.0) as u32 } else { 0 };
    // A product's weight-rounding error is ≤ 0.5·|x_q| / 2^acc in real units.
    let acc_needed =
        (in_magnitude.max(1.0).log2() - 1.0 + f64::from(PRODUCT_ERROR_BITS)).ceil().max(0.0) as u32;
    for_weights.max(acc_needed.saturating_sub(pre_bits)).min(MAX_SHIFT)
}

/// `round(v · 2^bits)` (bits may be negative), or `None` if not finite or beyond ±2^62.
fn to_fixed(v: f64, bits: i32) -> Option<i64> {
    let q = (v * 2f64.powi(bits)).round();
    (q.is_finite() && q.abs() < pow2(62)).then_some(q as i64)
}

fn pow2(bits: u32) -> f64 {
    2f64.powi(bits as i32)
}

/// Per-column max |x| of `[rows, cols]`.
fn max_abs(x: ArrayView2<f64>) -> Vec<f64> {
    x.columns().into_iter().map(|c| c.fold(0.0f64, |a, b| a.max(b.abs()))).collect()
}

/// Clip bounds at the pre-activation scale, tightened to the pre-activation bounds (an infinite
/// ONNX bound becomes the reachable extreme, so the circuit never sees a huge constant).
fn quantize_clip(min: f64, max: f64, pre_bits: u32, pre: &[Bounds]) -> Activation {
    let reach_lo = pre.iter().map(|b| b.min).min().unwrap_or(0);
    let reach_hi = pre.iter().map(|b| b.max).max().unwrap_or(0);
    let q = |v: f64| (v * pow2(pre_bits)).round().clamp(-pow2(62), pow2(62)) as i64;
    let (lo, hi) = (q(min).max(reach_lo), q(max).min(reach_hi));
    if lo <= hi {
        Activation::Clip { lo, hi }
    } else if q(min) > reach_hi {
        Activation::Clip { lo: q(min), hi: q(min) }
    } else {
        Activation::Clip { lo: q(max), hi: q(max) }
    }
}

/// A short name of a quantized activation.
pub fn activation_name(activation: &Activation) -> &'static str {
    match activation {
        Activation::Identity => "identity",
        Activation::Relu => "relu",
        Activation::Clip { .. } => "clip",
        Activation::Sigmoid(_) => "sigmoid",
        Activation::SoftplusTail(_) => "softplus-tail",
    }
}

/// The quantized form of a float activation over pre-activations within `pre_bounds` at
/// `pre_bits` fractional bits (tables are built for [`SIGMOID_PRE_SCALE_BITS`]).
fn quantize_activation(activation: FloatActivation, pre_bits: u32, pre_bounds: &[Bounds]) -> Activation {
    match activation {
        FloatActivation::Identity => Activation::Identity,
        FloatActivation::Relu => Activation::Relu,
        FloatActivation::Sigmoid => Activation::Sigmoid(ActivationTable::sigmoid(
            SIGMOID_PRE_SCALE_BITS,
            SIGMOID_HALF_RANGE,
            SIGMOID_OUT_SCALE_BITS,
        )),
        FloatActivation::SoftplusTail => Activation::SoftplusTail(ActivationTable::softplus_tail(
            SIGMOID_PRE_SCALE_BITS,
            SIGMOID_HALF_RANGE,
            SIGMOID_OUT_SCALE_BITS,
        )),
        FloatActivation::Clip { min, max } => quantize_clip(min, max, pre_bits, pre_bounds),
    }
}

fn resolve_output(
    graph: &Graph,
    model: &QuantizedModel,
    request: &OutputRequest,
) -> Result<OutputSpec, ModelError> {
    let n = model.output_len();
    let spec = match request {
        OutputRequest::Auto if graph.has_classifier_head() || n > 1 => OutputSpec::ArgMax,
        OutputRequest::Auto | OutputRequest::Vector => OutputSpec::Vector,
        OutputRequest::ArgMax => OutputSpec::ArgMax,
        OutputRequest::Threshold { index, threshold } => {
            if *index >= n {
                return Err(ModelError::InvalidOutputSpec(format!(
                    "index {index} is outside the {n}-element output"
                )));
            }
            let t = (threshold * pow2(model.output_scale_bits())).round();
            if !t.is_finite() || t.abs() >= pow2(62) {
                return Err(ModelError::InvalidOutputSpec(format!(
                    "threshold {threshold} is not representable"
                )));
            }
            OutputSpec::Threshold { index: *index, threshold: t as i64 }
        }
    };
    if graph.has_classifier_head() && spec != OutputSpec::ArgMax {
        return Err(ModelError::InvalidOutputSpec(
            "the graph ends in Softmax/ArgMax, which the circuit computes only as an ArgMax output".into(),
        ));
    }
    Ok(spec)
}
