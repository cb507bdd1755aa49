//! Dense layers: wide multiply-accumulate rows with the weights in fixed columns.
//!
//! Each row takes `width` inputs `x_i` (advice, copied from where they were produced) against
//! `width` weights `w_i` (fixed), and chains an accumulator down the rows of one output:
//!
//! ```text
//! acc = cont · acc[prev row] + bias + Σ x_i · w_i
//! ```
//!
//! `cont` is 0 on the first row of a chain (where `bias` sits) and 1 after, so one output of a
//! layer with `n` inputs costs `⌈n / width⌉` rows, and the weights are part of the verifying key.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::pool::{ColumnPool, PoolQuery};
use crate::wire::{assign, copy, fix, fr_from_i64, Wire};

/// The chip's selector, its width and the pool it writes into.
#[derive(Clone, Debug)]
pub struct DenseConfig {
    q: Selector,
    width: usize,
    pool: ColumnPool,
}

/// Rows one output of a layer with `inputs` inputs takes.
pub fn rows_per_output(inputs: usize, width: usize) -> usize {
    inputs.div_ceil(width).max(1)
}

impl DenseConfig {
    /// Creates the multiply-accumulate gate; uses advice `0..=width` and fixed `0..width + 2`.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, width: usize) -> Self {
        let config = DenseConfig { q: meta.selector(), width, pool: pool.clone() };
        meta.create_gate("dense multiply-accumulate", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q);
            let acc = p.a(width);
            let prev = p.a_at(width, -1);
            let (bias, cont) = (p.f(width), p.f(width + 1));
            let mut sum = cont * prev + bias;
            for i in 0..width {
                sum = sum + p.a(i) * p.f(i);
            }
            vec![q * (acc - sum)]
        });
        config
    }

    /// Lays out the chain for one output starting at `row`; returns the accumulator wire and the
    /// number of rows used.
    pub fn assign_output(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        inputs: &[Wire],
        weights: &[i64],
        bias: i64,
        tamper_acc: Option<Fr>,
    ) -> Result<(Wire, usize), Error> {
        let a = &self.pool.advice;
        let f = &self.pool.fixed;
        let rows = rows_per_output(inputs.len(), self.width);
        let mut acc = Value::known(fr_from_i64(bias));
        let mut acc_wire = None;
        for r in 0..rows {
            let at = row + r;
            self.q.enable(region, at)?;
            fix(region, f[self.width], at, if r == 0 { fr_from_i64(bias) } else { Fr::ZERO });
            fix(region, f[self.width + 1], at, if r == 0 { Fr::ZERO } else { Fr::ONE });
            for i in 0..self.width {
                let k = r * self.width + i;
                match inputs.get(k) {
                    Some(x) => {
                        let w = fr_from_i64(weights[k]);
                        copy(region, x, a[i], at);
                        fix(region, f[i], at, w);
                        acc = acc.zip(x.value).map(|(acc, x)| acc + x * w);
                    }
                    None => {
                        assign(region, a[i], at, Value::known(Fr::ZERO));
                    }
                }
            }
            let value = match (r + 1 == rows, tamper_acc) {
                (true, Some(delta)) => acc.map(|v| v + delta),
                _ => acc,
            };
            acc_wire = Some(assign(region, a[self.width], at, value));
        }
        Ok((acc_wire.ok_or(Error::Synthesis)?, rows))
    }
}
