//! The layouter's arithmetic: per-row constants derived from a quantized model, and the choice of
//! circuit shape (multiply-accumulate width, limb size, k) that makes proving cheapest.

use halo2_proofs::plonk::ConstraintSystem;
use halo2curves::bn256::Fr;
use loopx_models::{Activation, OutputSpec, QuantizedModel};
use serde::{Deserialize, Serialize};

use crate::chips::dense::rows_per_output;
use crate::chips::lookup::{limb_widths, TableContents};
use crate::chips::poseidon::rows_for_message;
use crate::chips::rescale::RescaleParams;
use crate::circuit::ModelConfig;

/// The parameters that fix a circuit's columns; with the model they fix the verifying key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitShape {
    /// The circuit has `2^k` rows.
    pub k: u32,
    /// Multiply-accumulate terms per dense row.
    pub mac_width: usize,
    /// Bits per range-check limb.
    pub limb_bits: u32,
}

impl CircuitShape {
    /// Advice columns in the shared pool.
    pub fn pool_advice(&self) -> usize {
        (self.mac_width + 1).max(crate::chips::rescale::ADVICE_WIDTH).max(crate::chips::argmax::ADVICE_WIDTH)
    }

    /// Fixed columns in the shared pool.
    pub fn pool_fixed(&self) -> usize {
        (self.mac_width + 2).max(crate::chips::rescale::FIXED_WIDTH)
    }
}

/// Bits needed to hold `v ≥ 0`.
pub fn bits_for(v: i128) -> u32 {
    128 - v.max(0).leading_zeros()
}

fn round_up(bits: u32, limb_bits: u32) -> u32 {
    bits.div_ceil(limb_bits) * limb_bits
}

/// Constants of the rescale row for every model input.
pub fn input_params(model: &QuantizedModel, limb_bits: u32) -> Vec<RescaleParams> {
    model
        .inputs
        .iter()
        .map(|i| RescaleParams {
            shift: 0,
            lo: i.min,
            hi: i.max,
            may_clamp: false,
            check_bits: round_up(bits_for(i.max as i128 - i.min as i128), limb_bits),
        })
        .collect()
}

/// Constants of the rescale row for every output of layer `l`.
pub fn layer_params(model: &QuantizedModel, l: usize, limb_bits: u32) -> Vec<RescaleParams> {
    let layer = &model.layers[l];
    layer
        .pre_bounds
        .iter()
        .map(|b| {
            let (lo, hi, may_clamp) = match &layer.activation {
                Activation::Identity => (b.min, b.max, false),
                Activation::Relu => (0, b.max.max(0), true),
                Activation::Clip { lo, hi } => (*lo, *hi, true),
                Activation::Sigmoid(t) => (-t.half_range, t.half_range - 1, true),
            };
            let spread = [
                b.max as i128 - lo as i128,
                lo as i128 - b.min as i128,
                hi as i128 - b.min as i128,
                b.max as i128 - hi as i128,
            ]
            .into_iter()
            .max()
            .unwrap_or(0);
            RescaleParams {
                shift: layer.shift,
                lo,
                hi,
                may_clamp,
                check_bits: round_up(bits_for(spread), limb_bits),
            }
        })
        .collect()
}

/// Bits of the argmax / threshold difference checks.
pub fn output_check_bits(model: &QuantizedModel, limb_bits: u32) -> u32 {
    let bounds = model.layers.last().map(|l| l.out_bounds.clone()).unwrap_or_else(|| {
        model.inputs.iter().map(|i| loopx_models::Bounds { min: i.min, max: i.max }).collect()
    });
    let lo = bounds.iter().map(|b| b.min).min().unwrap_or(0) as i128;
    let hi = bounds.iter().map(|b| b.max).max().unwrap_or(0) as i128;
    let spread = match model.output {
        OutputSpec::Threshold { threshold, .. } => (hi - threshold as i128).max(threshold as i128 - 1 - lo),
        _ => hi - lo,
    };
    round_up(bits_for(spread), limb_bits)
}

/// Row and column counts of a model laid out with a given shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitPlan {
    /// The chosen shape.
    pub shape: CircuitShape,
    /// Rows used in the shared pool.
    pub pool_rows: usize,
    /// Rows used in the lookup strip.
    pub lookup_rows: usize,
    /// Rows of the lookup table.
    pub table_rows: usize,
    /// Advice columns in total.
    pub advice_columns: usize,
    /// Fixed columns in total (after selector compression).
    pub fixed_columns: usize,
    /// Public instance values.
    pub instances: usize,
}

impl CircuitPlan {
    /// Rows that must be usable.
    pub fn rows_needed(&self) -> usize {
        self.pool_rows.max(self.lookup_rows).max(self.table_rows) + 1
    }
}

/// The lookup table a model needs under a given limb size.
pub fn table_contents(model: &QuantizedModel, limb_bits: u32) -> TableContents {
    let mut contents = TableContents::default();
    contents.widths.insert(0);
    let mut add = |bits: u32| contents.widths.extend(limb_widths(bits, limb_bits));
    for p in input_params(model, limb_bits) {
        add(p.shift);
        add(p.check_bits);
    }
    for l in 0..model.layers.len() {
        for p in layer_params(model, l, limb_bits) {
            add(p.shift);
            add(p.check_bits);
        }
    }
    add(output_check_bits(model, limb_bits));
    contents.sigmoids = model
        .layers
        .iter()
        .filter_map(|l| match &l.activation {
            Activation::Sigmoid(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    contents
}

fn limbs(bits: u32, limb_bits: u32) -> usize {
    limb_widths(bits, limb_bits).len()
}

/// Counts the rows and columns of `model` with `mac_width` and `limb_bits` (k left at 0).
pub fn measure(model: &QuantizedModel, mac_width: usize, limb_bits: u32) -> CircuitPlan {
    let shape = CircuitShape { k: 0, mac_width, limb_bits };
    let rescale_rows = |params: &[RescaleParams]| -> usize {
        params.iter().map(|p| limbs(p.shift, limb_bits) + 2 * limbs(p.check_bits, limb_bits)).sum()
    };
    let inputs = input_params(model, limb_bits);
    let mut pool_rows = inputs.len();
    let mut lookup_rows = rescale_rows(&inputs);
    let mut width = model.inputs.len();
    for (l, layer) in model.layers.iter().enumerate() {
        pool_rows += layer.outputs() * (rows_per_output(width, mac_width) + 1);
        lookup_rows += rescale_rows(&layer_params(model, l, limb_bits));
        if matches!(layer.activation, Activation::Sigmoid(_)) {
            lookup_rows += layer.outputs();
        }
        width = layer.outputs();
    }
    let check = limbs(output_check_bits(model, limb_bits), limb_bits);
    match model.output {
        OutputSpec::Vector => {}
        OutputSpec::ArgMax => {
            pool_rows += width;
            lookup_rows += width * check;
        }
        OutputSpec::Threshold { .. } => {
            pool_rows += 1;
            lookup_rows += check;
        }
    }
    pool_rows += rows_for_message(model.inputs.len() + 2);
    let mut cs = ConstraintSystem::<Fr>::default();
    ModelConfig::configure(&mut cs, shape);
    CircuitPlan {
        shape,
        pool_rows,
        lookup_rows,
        table_rows: table_contents(model, limb_bits).rows(),
        advice_columns: cs.num_advice_columns(),
        fixed_columns: cs.num_fixed_columns() + cs.num_selectors(),
        instances: 2 + model.public_output_len(),
    }
}

/// Rows halo2 keeps back for blinding at the end of the domain, for a shape.
pub fn unusable_rows(shape: CircuitShape) -> usize {
    let mut cs = ConstraintSystem::<Fr>::default();
    ModelConfig::configure(&mut cs, shape);
    cs.blinding_factors() + 1
}

/// Picks the shape with the least estimated proving work, then the fewest columns.
pub fn choose_shape(model: &QuantizedModel) -> CircuitPlan {
    let mut best: Option<(u128, CircuitPlan)> = None;
    for mac_width in [2, 4, 6, 8, 12, 16, 24, 32] {
        for limb_bits in 8..=14u32 {
            let mut plan = measure(model, mac_width, limb_bits);
            let total = plan.rows_needed() + unusable_rows(plan.shape);
            plan.shape.k = total.next_power_of_two().trailing_zeros().max(4);
            // Proving work grows with rows × committed columns; fixed columns and the lookup
            // cost the verifier (and gas), so they count too, at a lower weight.
            let columns = plan.advice_columns * 2 + plan.fixed_columns / 2 + 6;
            let cost = (1u128 << plan.shape.k) * columns as u128;
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, plan));
            }
        }
    }
    best.expect("at least one candidate").1
}
