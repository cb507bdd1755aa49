//! Dense layers: wide multiply-accumulate rows with the weights in fixed columns.
//!
//! A record is one pool row holding `T` outputs of the same layer side by side (`T` is the
//! shape's `dense_outputs`): `m = width − T` inputs `x_i` (advice, copied from where they were
//! produced, once for all `T` outputs), then `T` accumulators `acc_t` (advice); the fixed cells
//! hold, per output `t`, its `m` weights `w_{t,i}` and its bias `b_t`:
//!
//! ```text
//! advice:  x_0 … x_{m−1} | acc_0 … acc_{T−1}
//! fixed:   w_{0,0} … w_{0,m−1} b_0 | w_{1,0} … b_1 | … | w_{T−1,0} … b_{T−1}
//!
//! first row of a chain:  acc_t = b_t + Σ x_i · w_{t,i}
//! following rows:        acc_t = acc_t[row above] + b_t + Σ x_i · w_{t,i}     (b_t = 0 there)
//! ```
//!
//! so `T` outputs of a layer with `n` inputs cost `⌈n / m⌉` rows together, where one output per
//! row re-copies every input for every output. With `T = 1` this is exactly the single-output
//! row of circuit version 6 (same cells, same gate, same queries in the same order), so the
//! verifying keys of existing shapes do not change.
//!
//! A layer whose output count is not a multiple of `T` leaves slots of its last chain unused:
//! their weights and biases stay 0, so the gate itself pins their accumulators to 0 on the first
//! row and to the row above on the others — no cell of a record is left free. The bias is a
//! fixed cell, set on a chain's first row only: the verifying key, not the witness, decides
//! where it is added. The weights are part of the verifying key.

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{ConstraintSystem, Error, Expression, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::pool::{ColumnPool, PoolQuery};
use crate::sheet::Sheet;
use crate::wire::{fr_from_i64, Wire};

/// The chip's selectors, the pool it writes into and the outputs per row.
#[derive(Clone, Debug)]
pub struct DenseConfig {
    q_first: Selector,
    q_next: Selector,
    pool: ColumnPool,
    outputs: usize,
}

/// Inputs per row of a pool `width` columns wide computing `outputs` outputs per row.
///
/// Panics unless a row holds at least one output and one input: a shape read from a damaged key
/// file may ask for anything, and the key reader turns this panic into an error, where a wrapped
/// subtraction would ask for an absurd number of columns.
pub fn inputs_per_row(width: usize, outputs: usize) -> usize {
    assert!(
        outputs >= 1 && width > outputs,
        "a dense row {width} wide cannot hold {outputs} outputs and an input"
    );
    width - outputs
}

/// Fixed cells a row needs: each output's weights and bias.
pub fn fixed_cells(width: usize, outputs: usize) -> usize {
    outputs * (inputs_per_row(width, outputs) + 1)
}

/// Rows one chain over `inputs` inputs takes (whatever the outputs it computes).
pub fn chain_rows(inputs: usize, width: usize, outputs: usize) -> usize {
    inputs.div_ceil(inputs_per_row(width, outputs)).max(1)
}

/// Fixed cell of output `t`'s weight `i` (`i = m`: its bias) in a row with `m` inputs.
fn fixed_index(m: usize, t: usize, i: usize) -> usize {
    t * (m + 1) + i
}

/// One output of a chain: its weights (one per input), its bias, and the accumulator the
/// witness claims at the chain's end.
#[derive(Clone, Copy, Debug)]
pub struct DenseOutput<'a> {
    /// The output's weights, one per input of the chain.
    pub weights: &'a [i64],
    /// Its bias (added on the chain's first row).
    pub bias: i64,
    /// The claimed accumulator `bias + Σ x_i · w_i` (unknown without a witness).
    pub acc: Value<Fr>,
}

impl DenseConfig {
    /// Creates the multiply-accumulate gate (needs [`fixed_cells`] fixed cells per row) with
    /// `outputs` outputs per row on the selectors `[first row, next rows]`. Constraints `2t` and
    /// `2t + 1` are output `t`'s first-row and following-row checks.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        pool: &ColumnPool,
        selectors: [Selector; 2],
        outputs: usize,
    ) -> Self {
        let [q_first, q_next] = selectors;
        let config = DenseConfig { q_first, q_next, pool: pool.clone(), outputs };
        let m = inputs_per_row(pool.width(), outputs);
        meta.create_gate("dense multiply-accumulate", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let (q_first, q_next) = (p.q(config.q_first), p.q(config.q_next));
            let mut constraints: Vec<Expression<Fr>> = Vec::with_capacity(2 * outputs);
            for t in 0..outputs {
                // Queried in the order of the single-output gate (acc, acc above, bias, then
                // each input and weight): with one output the constraint system is unchanged.
                let acc = p.a(m + t);
                let prev = p.a_shifted(m + t, -1);
                let mut row_sum = p.f(fixed_index(m, t, m));
                for i in 0..m {
                    row_sum = row_sum + p.a(i) * p.f(fixed_index(m, t, i));
                }
                constraints.push(q_first.clone() * (acc.clone() - row_sum.clone()));
                constraints.push(q_next.clone() * (acc - prev - row_sum));
            }
            constraints
        });
        config
    }

    /// Outputs computed side by side in a row.
    pub fn outputs_per_row(&self) -> usize {
        self.outputs
    }

    /// The selectors `[first row, following rows]` (the specifications find the chains by them).
    pub fn selectors(&self) -> [Selector; 2] {
        [self.q_first, self.q_next]
    }

    /// Lays out one chain computing a single output, starting at `row`, ending in the witnessed
    /// accumulator `acc`; returns its wire and the number of rows used.
    pub fn assign_output(
        &self,
        sheet: &mut impl Sheet,
        row: usize,
        inputs: &[Wire],
        weights: &[i64],
        bias: i64,
        acc: Value<Fr>,
    ) -> Result<(Wire, usize), Error> {
        let (wires, rows) = self.assign_outputs(sheet, row, inputs, &[DenseOutput { weights, bias, acc }])?;
        Ok((wires[0], rows))
    }

    /// Lays out one chain starting at `row` computing up to [`DenseConfig::outputs_per_row`]
    /// outputs over the same `inputs`; returns their wires (the last row's accumulators) and the
    /// number of rows used. The partial sums of a chain longer than a row follow from its
    /// inputs; only the last row's accumulators are the witness's claim. Slots past `outputs`
    /// hold zero weights and bias, and an accumulator of 0 that the gate enforces.
    pub fn assign_outputs(
        &self,
        sheet: &mut impl Sheet,
        row: usize,
        inputs: &[Wire],
        outputs: &[DenseOutput<'_>],
    ) -> Result<(Vec<Wire>, usize), Error> {
        if outputs.is_empty() || outputs.len() > self.outputs {
            return Err(Error::Synthesis);
        }
        if outputs.iter().any(|o| o.weights.len() != inputs.len()) {
            return Err(Error::Synthesis);
        }
        let pool = &self.pool;
        let m = inputs_per_row(pool.width(), self.outputs);
        let rows = chain_rows(inputs.len(), pool.width(), self.outputs);
        let mut partial: Vec<Value<Fr>> = (0..self.outputs)
            .map(|t| Value::known(outputs.get(t).map_or(Fr::ZERO, |o| fr_from_i64(o.bias))))
            .collect();
        let mut wires = Vec::with_capacity(outputs.len());
        for r in 0..rows {
            let at = row + r;
            let q = if r == 0 { self.q_first } else { self.q_next };
            sheet.enable(&q, at)?;
            for t in 0..self.outputs {
                let bias = match outputs.get(t) {
                    Some(o) if r == 0 => fr_from_i64(o.bias),
                    _ => Fr::ZERO,
                };
                pool.fix(sheet, at, fixed_index(m, t, m), bias);
            }
            for i in 0..m {
                let k = r * m + i;
                match inputs.get(k) {
                    Some(x) => {
                        pool.copy(sheet, at, i, x);
                        for (t, partial) in partial.iter_mut().enumerate() {
                            let w = outputs.get(t).map_or(Fr::ZERO, |o| fr_from_i64(o.weights[k]));
                            pool.fix(sheet, at, fixed_index(m, t, i), w);
                            *partial = partial.zip(x.value).map(|(p, x)| p + x * w);
                        }
                    }
                    None => {
                        pool.assign(sheet, at, i, Value::known(Fr::ZERO));
                    }
                }
            }
            for (t, partial) in partial.iter().enumerate() {
                let value = match outputs.get(t) {
                    Some(o) if r + 1 == rows => o.acc,
                    _ => *partial,
                };
                let wire = pool.assign(sheet, at, m + t, value);
                if r + 1 == rows && t < outputs.len() {
                    wires.push(wire);
                }
            }
        }
        Ok((wires, rows))
    }
}
