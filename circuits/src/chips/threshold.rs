//! Threshold predicate: publish `1` if `y ≥ t` else `0`, revealing nothing more about `y`.
//!
//! One record, cells `y | bit | chk`, fixed `t`:
//! `bit` boolean, `chk = bit·(y − t) + (1 − bit)·(t − 1 − y)`, `chk ∈ [0, 2^n)`.
//! `bit = 1` forces `y ≥ t`, `bit = 0` forces `y ≤ t − 1`: exactly one bit fits any `y`.

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{ConstraintSystem, Error, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::pool::{boolean, one, ColumnPool, PoolQuery};
use super::range::RangeStrip;
use crate::sheet::Sheet;
use crate::wire::{fr_from_i64, Wire};

/// The chip's selector and the pool it writes into.
#[derive(Clone, Debug)]
pub struct ThresholdConfig {
    q: Selector,
    pool: ColumnPool,
}

impl ThresholdConfig {
    /// Creates the gate on selector `q`.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, q: Selector) -> Self {
        let config = ThresholdConfig { q, pool: pool.clone() };
        meta.create_gate("threshold predicate", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q);
            let (y, bit, chk, t) = (p.a(0), p.a(1), p.a(2), p.f(0));
            vec![
                q.clone() * boolean(bit.clone()),
                q * (chk - bit.clone() * (y.clone() - t.clone()) - (one() - bit) * (t - one() - y)),
            ]
        });
        config
    }

    /// Rows the record takes.
    pub fn rows(&self) -> usize {
        self.pool.rows_for(3)
    }

    /// Lays out the predicate on `y` at `row`; returns the bit's wire.
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &self,
        sheet: &mut impl Sheet,
        strip: &mut RangeStrip<'_>,
        row: usize,
        y: &Wire,
        threshold: i64,
        bit: Value<bool>,
        check_bits: u32,
    ) -> Result<Wire, Error> {
        let pool = &self.pool;
        sheet.enable(&self.q, row)?;
        let t = fr_from_i64(threshold);
        pool.fix(sheet, row, 0, t);
        pool.copy(sheet, row, 0, y);
        let bit_wire = pool.assign(sheet, row, 1, bit.map(|b| Fr::from(u64::from(b))));
        let chk = y.value.zip(bit).map(|(y, b)| if b { y - t } else { t - Fr::ONE - y });
        let chk = pool.assign(sheet, row, 2, chk);
        strip.range_check(sheet, &chk, check_bits)?;
        Ok(bit_wire)
    }
}
