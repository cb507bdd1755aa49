//! The model circuit's layout, written once against [`Sheet`]: halo2's region assigns it, the
//! row counter measures it (see [`crate::plan::measure`]).
//!
//! Row plan (pool columns): the published values, the model inputs, (tree models) the
//! thermometer bounds and the sums of leaves, then per layer the multiply-accumulate chains and
//! the rescale rows, then the argmax / threshold rows, then the Poseidon commitment. The strip
//! rows — range checks by bits, the multiplexers that read activation tables and the trees'
//! leaves, the trees' thermometers — follow in the same columns from `strip_start`. Activation
//! tables are read by multiplexers in the strip, or by a lookup argument (`chips::table`) whose
//! table columns are filled outside the region.
//! One region and absolute offsets sidestep halo2-axiom's `SimpleFloorPlanner` placing every
//! region at row 0 (DESIGN.md §8).

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::Error;
use loopx_models::{ActivationTable, OutputSpec, QuantizedModel};

use crate::chips::dense::DenseOutput;
use crate::chips::mux::MuxConfig;
use crate::chips::range::RangeStrip;
use crate::chips::trees::TreeChips;
use crate::config::ModelConfig;
use crate::instances::{commitment_capacity, WALLET_BITS};
use crate::params::{input_params, layer_params, output_check_bits, table_index_bits, table_set};
use crate::sheet::Sheet;
use crate::wire::{fr_from_i128, fr_from_i64, Wire};
use crate::witness::{CircuitWitness, OutputWitness, TableRead};

/// Rows a layout took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaidOut {
    /// Rows of the chips' records, from row 0.
    pub pool_rows: usize,
    /// Rows of the strip, from `strip_start`.
    pub strip_rows: usize,
}

/// Lays `model` out on `sheet` with the columns and gates of `config`, every value taken from
/// `witness` (unknown without one: key generation, measuring), the strip from row `strip_start`
/// on; publishes the commitment, the wallet and the outputs in the first rows.
pub fn lay_out(
    config: &ModelConfig,
    model: &QuantizedModel,
    witness: Option<&CircuitWitness>,
    sheet: &mut impl Sheet,
    strip_start: usize,
) -> Result<LaidOut, Error> {
    let known = |f: &dyn Fn(&CircuitWitness) -> halo2curves::bn256::Fr| {
        witness.map_or(Value::unknown(), |w| Value::known(f(w)))
    };
    let mut strip = RangeStrip::new(&config.range, strip_start);
    // Rows 0..instances hold the published values; the chips start after them.
    let mut row = 2 + model.public_output_len();

    // Model inputs: range-checked, never clamped.
    let mut current: Vec<Wire> = Vec::with_capacity(model.inputs.len());
    for (i, params) in input_params(model).iter().enumerate() {
        let record = witness.map_or(Value::unknown(), |w| Value::known(w.inputs[i]));
        let out = config.rescale.assign(sheet, &mut strip, row, None, params, record)?;
        current.push(out.out);
        row += config.rescale.rows();
    }
    let features = current.clone();
    if let Some(trees) = &model.trees {
        let chips = TreeChips { dense: &config.dense, mux: config.mux.as_ref().ok_or(Error::Synthesis)? };
        let trees_witness = witness.and_then(|w| w.trees.as_ref());
        current =
            chips.lay_out(sheet, &mut strip, &mut row, trees, &model.inputs, &features, trees_witness)?;
    }

    let tables = table_set(model);
    for (l, layer) in model.layers.iter().enumerate() {
        let params = layer_params(model, l);
        // One chain per group of `dense_outputs` neurons: the inputs are copied once per group.
        let mut accs = Vec::with_capacity(layer.outputs());
        let per_row = config.dense.outputs_per_row();
        for first in (0..layer.outputs()).step_by(per_row) {
            let group: Vec<DenseOutput<'_>> = (first..layer.outputs().min(first + per_row))
                .map(|j| DenseOutput {
                    weights: &layer.weights[j],
                    bias: layer.bias[j],
                    acc: known(&|w| fr_from_i128(w.layers[l].acc[j])),
                })
                .collect();
            let (wires, rows) = config.dense.assign_outputs(sheet, row, &current, &group)?;
            accs.extend(wires);
            row += rows;
        }
        let mut next = Vec::with_capacity(layer.outputs());
        for (j, acc) in accs.iter().enumerate() {
            let record = witness.map_or(Value::unknown(), |w| Value::known(w.layers[l].rescale[j]));
            let out = config.rescale.assign(sheet, &mut strip, row, Some(acc), &params[j], record)?;
            row += config.rescale.rows();
            let Some(table) = layer.activation_of(j).table() else {
                next.push(out.out);
                continue;
            };
            let read = witness.and_then(|w| w.layers[l].reads[j].as_ref());
            let wire = match (&config.table, &config.mux) {
                (Some(lookup), _) => {
                    let base = tables.base(&table.values).ok_or(Error::Synthesis)?;
                    let value = read.map_or(Value::unknown(), |r| Value::known(r.value));
                    let wire = lookup.read(sheet, row, &out.out, value, base, table.half_range)?;
                    row += lookup.rows();
                    wire
                }
                (None, Some(mux)) => {
                    read_table_by_mux(config, mux, sheet, &mut strip, &mut row, table, &out.out, read)?
                }
                (None, None) => return Err(Error::Synthesis),
            };
            next.push(wire);
        }
        current = next;
    }

    let check_bits = output_check_bits(model);
    let outputs: Vec<Wire> = match &model.output {
        OutputSpec::Vector => current,
        OutputSpec::ArgMax => {
            let choice = witness.map_or(Value::unknown(), |w| match w.output {
                OutputWitness::ArgMax { choice } => Value::known(choice),
                _ => Value::unknown(),
            });
            let argmax = config.argmax.as_ref().ok_or(Error::Synthesis)?;
            let (idx, rows) = argmax.assign(sheet, &mut strip, row, &current, choice, check_bits)?;
            row += rows;
            vec![idx]
        }
        OutputSpec::Threshold { index, threshold } => {
            let bit = witness.map_or(Value::unknown(), |w| match w.output {
                OutputWitness::Threshold { bit } => Value::known(bit),
                _ => Value::unknown(),
            });
            let y = current.get(*index).ok_or(Error::Synthesis)?;
            let chip = config.threshold.as_ref().ok_or(Error::Synthesis)?;
            let wire = chip.assign(sheet, &mut strip, row, y, *threshold, bit, check_bits)?;
            row += chip.rows();
            vec![wire]
        }
    };

    // Commitment = Poseidon under the schema's domain (wallet, salt, features…), over the very
    // wires the model read: the committed and the proven features cannot differ.
    let wallet = config.pool.assign(sheet, row, 0, known(&|w| w.wallet));
    // The published wallet is an address: without this check `wallet + p` aliases and any field
    // element (p − 1, say) would pass as a wallet in native verification.
    strip.range_check(sheet, &wallet, WALLET_BITS)?;
    let salt = config.pool.assign(sheet, row, 1, known(&|w| w.salt));
    row += config.pool.rows_for(2);
    let mut message = vec![wallet, salt];
    message.extend(features);
    let capacity = commitment_capacity(&model.schema_id(), message.len());
    let sponge = witness.map(|w| &w.sponge);
    let (commitment, rows) = config.poseidon.hash(sheet, row, capacity, &message, sponge)?;
    row += rows;

    for (i, wire) in [commitment, wallet].iter().chain(&outputs).enumerate() {
        config.pool.copy(sheet, i, 0, wire);
        sheet.enable(&config.q_public, i)?;
    }
    Ok(LaidOut { pool_rows: row, strip_rows: strip.next_row() - strip_start })
}

/// Reads `table` at the clamped input `input` by multiplexers: the index `input + half_range` (a
/// dense row) is split into bits by a range check, and the bits drive a multiplexer tree over
/// the table's entries.
#[allow(clippy::too_many_arguments)]
fn read_table_by_mux(
    config: &ModelConfig,
    mux: &MuxConfig,
    sheet: &mut impl Sheet,
    strip: &mut RangeStrip<'_>,
    row: &mut usize,
    table: &ActivationTable,
    input: &Wire,
    read: Option<&TableRead>,
) -> Result<Wire, Error> {
    let bits = table_index_bits(table);
    let index = read.map_or(Value::unknown(), |r| Value::known(fr_from_i64(r.index)));
    let (index, rows) = config.dense.assign_output(sheet, *row, &[*input], &[1], table.half_range, index)?;
    *row += rows;
    let index_bits = strip.range_check(sheet, &index, bits)?;
    // Indices past the table (none once the input is clamped) read its last entry.
    let mut entries = table.values.clone();
    let last = *entries.last().ok_or(Error::Synthesis)?;
    entries.resize(1 << bits, last);
    let nodes = read.map_or(Value::unknown(), |r| Value::known(&r.nodes));
    mux.table(sheet, strip, &entries, bits, |level, _| &index_bits[level as usize], nodes)
}
