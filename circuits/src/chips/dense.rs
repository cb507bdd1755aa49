//! Dense layers: wide multiply-accumulate rows with the weights in fixed columns.
//!
//! A record is one pool row: `width − 1` inputs `x_i` (advice, copied from where they were
//! produced) against as many weights `w_i` (fixed), and the accumulator in the last cell:
//!
//! ```text
//! first row of a chain:  acc = bias + Σ x_i · w_i
//! following rows:        acc = acc[row above] + bias + Σ x_i · w_i     (bias = 0 there)
//! ```
//!
//! so one output of a layer with `n` inputs costs `⌈n / (width − 1)⌉` rows, and the weights are
//! part of the verifying key.

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{ConstraintSystem, Error, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::pool::{ColumnPool, PoolQuery};
use crate::sheet::Sheet;
use crate::wire::{fr_from_i64, Wire};

/// The chip's selectors and the pool it writes into.
#[derive(Clone, Debug)]
pub struct DenseConfig {
    q_first: Selector,
    q_next: Selector,
    pool: ColumnPool,
}

/// Multiply-accumulate terms per row of a pool `width` columns wide.
pub fn terms_per_row(width: usize) -> usize {
    width - 1
}

/// Rows one output of a layer with `inputs` inputs takes.
pub fn rows_per_output(inputs: usize, width: usize) -> usize {
    inputs.div_ceil(terms_per_row(width)).max(1)
}

impl DenseConfig {
    /// Creates the multiply-accumulate gate (needs `width` fixed cells per row) on the selectors
    /// `[first row, next rows]`.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, selectors: [Selector; 2]) -> Self {
        let [q_first, q_next] = selectors;
        let config = DenseConfig { q_first, q_next, pool: pool.clone() };
        let terms = terms_per_row(pool.width());
        meta.create_gate("dense multiply-accumulate", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let (q_first, q_next) = (p.q(config.q_first), p.q(config.q_next));
            let acc = p.a(terms);
            let prev = p.a_shifted(terms, -1);
            let mut row_sum = p.f(terms);
            for i in 0..terms {
                row_sum = row_sum + p.a(i) * p.f(i);
            }
            vec![q_first * (acc.clone() - row_sum.clone()), q_next * (acc - prev - row_sum)]
        });
        config
    }

    /// Lays out the chain for one output starting at `row`, ending in the witnessed accumulator
    /// `acc`; returns its wire and the number of rows used. The partial sums of a chain longer
    /// than a row follow from its inputs; only the last row's `acc` is the witness's claim.
    pub fn assign_output(
        &self,
        sheet: &mut impl Sheet,
        row: usize,
        inputs: &[Wire],
        weights: &[i64],
        bias: i64,
        acc: Value<Fr>,
    ) -> Result<(Wire, usize), Error> {
        let pool = &self.pool;
        let terms = terms_per_row(pool.width());
        let rows = rows_per_output(inputs.len(), pool.width());
        let mut partial = Value::known(fr_from_i64(bias));
        let mut acc_wire = None;
        for r in 0..rows {
            let at = row + r;
            let q = if r == 0 { self.q_first } else { self.q_next };
            sheet.enable(&q, at)?;
            pool.fix(sheet, at, terms, if r == 0 { fr_from_i64(bias) } else { Fr::ZERO });
            for i in 0..terms {
                let k = r * terms + i;
                match inputs.get(k) {
                    Some(x) => {
                        let w = fr_from_i64(weights[k]);
                        pool.copy(sheet, at, i, x);
                        pool.fix(sheet, at, i, w);
                        partial = partial.zip(x.value).map(|(p, x)| p + x * w);
                    }
                    None => {
                        pool.assign(sheet, at, i, Value::known(Fr::ZERO));
                    }
                }
            }
            let value = if r + 1 == rows { acc } else { partial };
            acc_wire = Some(pool.assign(sheet, at, terms, value));
        }
        Ok((acc_wire.ok_or(Error::Synthesis)?, rows))
    }
}
