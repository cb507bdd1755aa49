//! The parameters that fix a model circuit's columns and gates.

use loopx_models::{OutputSpec, QuantizedModel};
use serde::{Deserialize, Serialize};

use crate::chips::dense;
use crate::params::has_tables;

/// The parameters that fix a circuit's columns; with the model they fix the verifying key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitShape {
    /// The circuit has `2^k` rows.
    pub k: u32,
    /// Advice columns of the shared pool (a dense row holds `pool_width − dense_outputs` inputs).
    pub pool_width: usize,
    /// Whether the circuit proves a tree ensemble (thermometers, leaf multiplexers).
    #[serde(default)]
    pub trees: bool,
    /// Whether the argmax chip is configured (argmax outputs).
    #[serde(default = "configured")]
    pub argmax: bool,
    /// Whether the threshold chip is configured (predicate outputs).
    #[serde(default = "configured")]
    pub threshold: bool,
    /// Whether the multiplexers are configured (activation tables read bit by bit, tree leaves).
    #[serde(default = "configured")]
    pub mux: bool,
    /// Whether activation tables are read by a lookup argument instead of multiplexers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lookup: bool,
    /// Outputs of one dense layer computed side by side in a multiply-accumulate row (see
    /// [`crate::chips::dense`]). Shapes written before it existed computed one, and a shape that
    /// computes one is written as they were, so their packages and keys read unchanged.
    #[serde(default = "one_output", skip_serializing_if = "is_one_output")]
    pub dense_outputs: usize,
}

impl Default for CircuitShape {
    fn default() -> Self {
        CircuitShape {
            k: 0,
            pool_width: 0,
            trees: false,
            argmax: false,
            threshold: false,
            mux: false,
            lookup: false,
            dense_outputs: 1,
        }
    }
}

fn one_output() -> usize {
    1
}

fn is_one_output(outputs: &usize) -> bool {
    *outputs == 1
}

/// Shapes written before a chip became optional configured it.
fn configured() -> bool {
    true
}

impl CircuitShape {
    /// Fixed columns of the shared pool: a dense row's weights and biases (`pool_width` with one
    /// output per row, as every shape before multi-output rows had).
    pub fn pool_fixed(&self) -> usize {
        dense::fixed_cells(self.pool_width, self.dense_outputs).max(crate::chips::rescale::FIXED_CELLS)
    }
}

/// The shape a model needs in a pool `pool_width` wide, its tables read by lookup or not (k left
/// at 0).
pub fn shape_for(model: &QuantizedModel, pool_width: usize, lookup: bool) -> CircuitShape {
    shape_with_outputs(model, pool_width, lookup, 1)
}

/// [`shape_for`] with `dense_outputs` outputs per multiply-accumulate row.
pub fn shape_with_outputs(
    model: &QuantizedModel,
    pool_width: usize,
    lookup: bool,
    dense_outputs: usize,
) -> CircuitShape {
    let lookup = lookup && has_tables(model);
    CircuitShape {
        k: 0,
        pool_width,
        trees: model.trees.is_some(),
        argmax: model.output == OutputSpec::ArgMax,
        threshold: matches!(model.output, OutputSpec::Threshold { .. }),
        mux: model.trees.is_some() || has_tables(model) && !lookup,
        lookup,
        dense_outputs,
    }
}

/// How a shape reads the model's activation tables (`None` without tables): `"lookup"` or
/// `"multiplexers"`.
pub fn table_reads(model: &QuantizedModel, shape: CircuitShape) -> Option<&'static str> {
    has_tables(model).then_some(if shape.lookup { "lookup" } else { "multiplexers" })
}
