//! The nonlinearities a dense layer applies after its floor division: ReLU, clip, and tables
//! (the sigmoid, the softplus's tail) over a clamped domain, and the lead activation that lets one
//! layer carry both halves of a two-part activation.

use serde::{Deserialize, Serialize};

use crate::quantized::{Bounds, MAX_SCALE_BITS};

/// A table of an activation function over a clamped, quantized domain: how the circuit computes
/// the sigmoid, and the saturating tail of the softplus.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationTable {
    /// Pre-activations are clamped to `[-half_range, half_range - 1]` before the table read.
    pub half_range: i64,
    /// Fractional bits of the table's output.
    pub out_scale_bits: u32,
    /// `values[c + half_range] = round(f(c / 2^in_scale) · 2^out_scale_bits)`.
    /// Stored rather than recomputed so the verifying key never depends on a platform's `exp`.
    pub values: Vec<i64>,
}

impl ActivationTable {
    /// Tabulates `f` for pre-activations at `in_scale_bits` fractional bits.
    pub fn build(f: impl Fn(f64) -> f64, in_scale_bits: u32, half_range: i64, out_scale_bits: u32) -> Self {
        let in_scale = (1u64 << in_scale_bits) as f64;
        let out_scale = (1u64 << out_scale_bits) as f64;
        let values =
            (-half_range..half_range).map(|c| (f(c as f64 / in_scale) * out_scale).round() as i64).collect();
        ActivationTable { half_range, out_scale_bits, values }
    }

    /// The logistic sigmoid's table.
    pub fn sigmoid(in_scale_bits: u32, half_range: i64, out_scale_bits: u32) -> Self {
        Self::build(|x| 1.0 / (1.0 + (-x).exp()), in_scale_bits, half_range, out_scale_bits)
    }

    /// The table of `ln(1 + e^-|x|)`: softplus minus relu, which vanishes away from zero.
    pub fn softplus_tail(in_scale_bits: u32, half_range: i64, out_scale_bits: u32) -> Self {
        Self::build(softplus_tail, in_scale_bits, half_range, out_scale_bits)
    }

    /// The clamped input's position in the table.
    pub fn clamp(&self, pre: i64) -> i64 {
        pre.clamp(-self.half_range, self.half_range - 1)
    }

    /// The table's output for an already clamped input.
    pub fn lookup(&self, clamped: i64) -> i64 {
        self.values[(clamped + self.half_range) as usize]
    }

    fn is_well_formed(&self) -> bool {
        self.half_range > 0
            && self.half_range <= 1 << 20
            && self.values.len() as i64 == 2 * self.half_range
            && self.out_scale_bits <= MAX_SCALE_BITS
    }
}

/// `ln(1 + e^-|x|)`, i.e. `softplus(x) − max(x, 0)`.
pub fn softplus_tail(x: f64) -> f64 {
    (-x.abs()).exp().ln_1p()
}

/// What follows the floor division of a dense layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activation {
    /// The pre-activation is the output.
    Identity,
    /// `max(pre, 0)`.
    Relu,
    /// `min(max(pre, lo), hi)` with bounds at the layer's output scale.
    Clip {
        /// Lower bound (quantized).
        lo: i64,
        /// Upper bound (quantized).
        hi: i64,
    },
    /// Clamp to the table's domain, then look the sigmoid up.
    Sigmoid(ActivationTable),
    /// Clamp to the table's domain, then look `ln(1 + e^-|x|)` up (a softplus's second half).
    SoftplusTail(ActivationTable),
}

impl Activation {
    /// The table the activation reads, if it is one.
    pub fn table(&self) -> Option<&ActivationTable> {
        match self {
            Activation::Sigmoid(table) | Activation::SoftplusTail(table) => Some(table),
            _ => None,
        }
    }

    /// Applies the activation to a pre-activation value.
    pub fn apply(&self, pre: i64) -> i64 {
        match self {
            Activation::Identity => pre,
            Activation::Relu => pre.max(0),
            Activation::Clip { lo, hi } => pre.clamp(*lo, *hi),
            Activation::Sigmoid(table) | Activation::SoftplusTail(table) => table.lookup(table.clamp(pre)),
        }
    }

    /// Fractional bits of the activation's output, given the pre-activation's.
    pub fn out_scale_bits(&self, pre_scale_bits: u32) -> u32 {
        self.table().map_or(pre_scale_bits, |t| t.out_scale_bits)
    }

    /// Output bounds for pre-activations within `pre`.
    pub fn out_bounds(&self, pre: Bounds) -> Bounds {
        match self {
            Activation::Identity => pre,
            Activation::Relu => Bounds { min: pre.min.max(0), max: pre.max.max(0) },
            Activation::Clip { lo, hi } => {
                Bounds { min: pre.min.clamp(*lo, *hi), max: pre.max.clamp(*lo, *hi) }
            }
            Activation::Sigmoid(table) | Activation::SoftplusTail(table) => {
                let (lo, hi) = (table.clamp(pre.min), table.clamp(pre.max));
                let slice =
                    &table.values[(lo + table.half_range) as usize..=(hi + table.half_range) as usize];
                Bounds {
                    min: *slice.iter().min().expect("non-empty slice"),
                    max: *slice.iter().max().expect("non-empty slice"),
                }
            }
        }
    }

    /// Why the activation's parameters are malformed, if they are.
    pub(crate) fn malformed(&self) -> Option<&'static str> {
        match self {
            Activation::Clip { lo, hi } if lo > hi => Some("clip lo > hi"),
            _ if self.table().is_some_and(|t| !t.is_well_formed()) => Some("malformed activation table"),
            _ => None,
        }
    }
}

/// The first `outputs` outputs of a layer take `activation` instead of the layer's own. This is
/// how one layer carries both halves of a two-part activation, which the next layer adds up:
/// `LeakyRelu = α·x + (1−α)·relu(x)` (identity lead, relu rest) and
/// `Softplus = relu(x) + ln(1 + e^-|x|)` (relu lead, table rest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadActivation {
    /// How many of the first outputs take this activation.
    pub outputs: usize,
    /// Their activation.
    pub activation: Activation,
}
