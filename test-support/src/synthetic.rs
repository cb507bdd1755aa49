//! Synthetic quantized layers for circuit tests: deterministic pseudo-random weights, so that a
//! test builds the model shape it needs (widths, output counts) without an ONNX file.

use loopx_models::quantized::pre_activation_bounds;
use loopx_models::{Activation, Bounds, DenseLayer, LeadActivation};

/// Deterministic pseudo-random integers in `[-span, span]` (xorshift on `seed`).
pub fn pseudo(seed: &mut u64, span: i64) -> i64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    (*seed % (2 * span as u64 + 1)) as i64 - span
}

/// A dense layer over inputs bounded by `inputs`: `outputs` neurons with weights in ±300 and
/// biases in ±5000 plus `bias_offset` (drawn in that order from `seed`), `shift` bits of
/// rescaling, and its pre-activation and output bounds derived.
pub fn dense_layer(
    inputs: &[Bounds],
    outputs: usize,
    activation: Activation,
    lead: Option<LeadActivation>,
    shift: u32,
    bias_offset: i64,
    seed: &mut u64,
) -> DenseLayer {
    let weights: Vec<Vec<i64>> =
        (0..outputs).map(|_| (0..inputs.len()).map(|_| pseudo(seed, 300)).collect()).collect();
    let bias: Vec<i64> = (0..outputs).map(|_| pseudo(seed, 5000) + bias_offset).collect();
    let pre_bounds = pre_activation_bounds(&weights, &bias, shift, inputs);
    let mut layer = DenseLayer {
        weights,
        bias,
        shift,
        pre_scale_bits: 6,
        activation,
        lead,
        pre_bounds,
        out_bounds: Vec::new(),
    };
    layer.out_bounds = layer.activation_bounds(&layer.pre_bounds);
    layer
}
