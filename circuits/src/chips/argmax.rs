//! ArgMax: the index of the first largest value, as a public output.
//!
//! One row per candidate `j`, over pool columns `y | sel | cnt | idx | mx | max | diff` and fixed
//! `cont | j | last`:
//!
//! ```text
//! sel boolean                         cnt = cont·cnt[prev] + sel        (one-hot running count)
//! idx = cont·idx[prev] + j·sel        mx  = cont·mx[prev] + sel·y
//! diff = max − y − (1 − cnt)          diff ∈ [0, 2^n)
//! last · (cnt − 1) = 0                max is copied from the last row's mx
//! ```
//!
//! So exactly one `sel` is set, `max = y[idx]`, every `y ≤ max`, and every `y` before `idx` is
//! strictly smaller: `idx` is the first maximum, the same tie rule as the integer model.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::lookup::LookupStrip;
use super::pool::{boolean, one, ColumnPool, PoolQuery};
use crate::wire::{assign, copy, fix, fr_from_i64, Wire};

const Y: usize = 0;
const SEL: usize = 1;
const CNT: usize = 2;
const IDX: usize = 3;
const MX: usize = 4;
const MAX: usize = 5;
const DIFF: usize = 6;
/// Advice columns this chip needs from the pool.
pub const ADVICE_WIDTH: usize = 7;

/// The chip's selector and the pool it writes into.
#[derive(Clone, Debug)]
pub struct ArgMaxConfig {
    q: Selector,
    pool: ColumnPool,
}

impl ArgMaxConfig {
    /// Creates the gate.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool) -> Self {
        let config = ArgMaxConfig { q: meta.selector(), pool: pool.clone() };
        meta.create_gate("argmax", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q);
            let (y, sel, cnt, idx, mx, max, diff) =
                (p.a(Y), p.a(SEL), p.a(CNT), p.a(IDX), p.a(MX), p.a(MAX), p.a(DIFF));
            let (cnt_prev, idx_prev, mx_prev) = (p.a_at(CNT, -1), p.a_at(IDX, -1), p.a_at(MX, -1));
            let (cont, j, last) = (p.f(0), p.f(1), p.f(2));
            vec![
                q.clone() * boolean(sel.clone()),
                q.clone() * (cnt.clone() - cont.clone() * cnt_prev - sel.clone()),
                q.clone() * (idx - cont.clone() * idx_prev - j * sel.clone()),
                q.clone() * (mx - cont * mx_prev - sel * y.clone()),
                q.clone() * (diff - (max - y - (one() - cnt.clone()))),
                q * last * (cnt - one()),
            ]
        });
        config
    }

    /// Lays out the candidates from `row`; `choice` is the witnessed index. Returns the index
    /// wire and the rows used.
    pub fn assign(
        &self,
        region: &mut Region<'_, Fr>,
        strip: &mut LookupStrip<'_>,
        row: usize,
        values: &[(Wire, Value<i64>)],
        choice: Value<usize>,
        diff_bits: u32,
    ) -> Result<(Wire, usize), Error> {
        let a = &self.pool.advice;
        let f = &self.pool.fixed;
        let n = values.len();
        let ints: Value<Vec<i64>> = Value::from_iter(values.iter().map(|(_, v)| *v));
        let max = ints.clone().zip(choice).map(|(v, c)| v[c]);
        let mut max_cells = Vec::with_capacity(n);
        let mut last_mx = None;
        let mut idx_wire = None;
        for (j, (y, y_int)) in values.iter().enumerate() {
            let at = row + j;
            self.q.enable(region, at)?;
            fix(region, f[0], at, if j == 0 { Fr::ZERO } else { Fr::ONE });
            fix(region, f[1], at, Fr::from(j as u64));
            fix(region, f[2], at, if j + 1 == n { Fr::ONE } else { Fr::ZERO });
            copy(region, y, a[Y], at);
            let sel = choice.map(|c| c == j);
            let seen = choice.map(|c| c <= j);
            assign(region, a[SEL], at, sel.map(|s| Fr::from(u64::from(s))));
            assign(region, a[CNT], at, seen.map(|s| Fr::from(u64::from(s))));
            let idx = assign(
                region,
                a[IDX],
                at,
                seen.zip(choice).map(|(s, c)| if s { Fr::from(c as u64) } else { Fr::ZERO }),
            );
            let mx = assign(
                region,
                a[MX],
                at,
                seen.zip(max).map(|(s, m)| if s { fr_from_i64(m) } else { Fr::ZERO }),
            );
            max_cells.push(assign(region, a[MAX], at, max.map(fr_from_i64)));
            let diff = y_int.zip(max).zip(seen).map(|((y, m), s)| fr_from_i64(m - y - i64::from(!s)));
            let diff = assign(region, a[DIFF], at, diff);
            strip.range_check(region, &diff, diff_bits)?;
            last_mx = Some(mx);
            idx_wire = Some(idx);
        }
        let last_mx = last_mx.ok_or(Error::Synthesis)?;
        for cell in &max_cells {
            region.constrain_equal(cell.cell, last_mx.cell);
        }
        Ok((idx_wire.ok_or(Error::Synthesis)?, n))
    }
}
