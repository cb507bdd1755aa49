//! The constants a quantized model gives each record of its circuit: the rescale rows' shifts,
//! clamps and check widths, the output checks' widths, the activation tables and their keys.

use loopx_models::{Activation, ActivationTable, OutputSpec, QuantizedModel};

use crate::chips::range::bits_for;
use crate::chips::rescale::RescaleParams;
use crate::chips::table::TableSet;

/// Constants of the rescale row for every model input.
pub fn input_params(model: &QuantizedModel) -> Vec<RescaleParams> {
    model
        .inputs
        .iter()
        .map(|i| RescaleParams {
            shift: 0,
            lo: i.min,
            hi: i.max,
            may_clamp: false,
            check_bits: bits_for(i.max as i128 - i.min as i128),
            two_sided: true,
        })
        .collect()
}

/// Constants of the rescale row for every output of layer `l`.
pub fn layer_params(model: &QuantizedModel, l: usize) -> Vec<RescaleParams> {
    let layer = &model.layers[l];
    layer
        .pre_bounds
        .iter()
        .enumerate()
        .map(|(j, b)| {
            let (lo, hi, may_clamp) = match layer.activation_of(j) {
                Activation::Identity => (b.min, b.max, false),
                Activation::Relu => (0, b.max.max(0), true),
                Activation::Clip { lo, hi } => (*lo, *hi, true),
                Activation::Sigmoid(t) | Activation::SoftplusTail(t) => {
                    (-t.half_range, t.half_range - 1, true)
                }
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
            // Only a clamp above needs the second check (see `chips::rescale`).
            let two_sided = may_clamp && hi < b.max;
            RescaleParams { shift: layer.shift, lo, hi, may_clamp, check_bits: bits_for(spread), two_sided }
        })
        .collect()
}

/// Bits of the argmax / threshold difference checks.
pub fn output_check_bits(model: &QuantizedModel) -> u32 {
    let bounds = model.final_bounds();
    let lo = bounds.iter().map(|b| b.min).min().unwrap_or(0) as i128;
    let hi = bounds.iter().map(|b| b.max).max().unwrap_or(0) as i128;
    let spread = match model.output {
        OutputSpec::Threshold { threshold, .. } => (hi - threshold as i128).max(threshold as i128 - 1 - lo),
        _ => hi - lo,
    };
    bits_for(spread)
}

/// Every distinct activation table of `model`, in order of first use.
pub fn table_set(model: &QuantizedModel) -> TableSet {
    let mut set = TableSet::new();
    for layer in &model.layers {
        for table in (0..layer.outputs()).filter_map(|j| layer.activation_of(j).table()) {
            set.base_of(&table.values);
        }
    }
    set
}

/// Whether any layer of `model` reads an activation table.
pub fn has_tables(model: &QuantizedModel) -> bool {
    model.layers.iter().any(|l| l.has_table())
}

/// Bits of an activation table's index (the clamped input plus its half range).
pub fn table_index_bits(table: &ActivationTable) -> u32 {
    bits_for(2 * table.half_range as i128 - 1)
}
