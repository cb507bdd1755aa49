//! ArgMax: the index of the first largest value, as a public output.
//!
//! One record per candidate `j`, cells `y | sel | max | diff | … | cnt | idx | mx` (the running
//! cells last, so `[prev]`, the record above, is one row up), fixed `cont | j | last`:
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

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{ConstraintSystem, Error, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::pool::{boolean, one, ColumnPool, PoolQuery};
use super::range::RangeStrip;
use crate::sheet::Sheet;
use crate::wire::Wire;

const Y: usize = 0;
const SEL: usize = 1;
const MAX: usize = 2;
const DIFF: usize = 3;

/// Positions of the running cells `cnt | idx | mx`: the last three cells of the record, so the
/// previous record's are exactly one row up (no extra rotations for the verifier to open).
fn running_cells(width: usize) -> (usize, usize, usize) {
    let end = super::pool::rows_for(width, ADVICE_CELLS) * width;
    (end - 3, end - 2, end - 1)
}
/// Advice cells of one record.
pub const ADVICE_CELLS: usize = 7;

/// The chip's selector and the pool it writes into.
#[derive(Clone, Debug)]
pub struct ArgMaxConfig {
    q: Selector,
    pool: ColumnPool,
}

impl ArgMaxConfig {
    /// Creates the gate on selector `q`.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, q: Selector) -> Self {
        let config = ArgMaxConfig { q, pool: pool.clone() };
        meta.create_gate("argmax", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q);
            let (cnt_at, idx_at, mx_at) = running_cells(p.pool().width());
            let (y, sel, cnt, idx, mx, max, diff) =
                (p.a(Y), p.a(SEL), p.a(cnt_at), p.a(idx_at), p.a(mx_at), p.a(MAX), p.a(DIFF));
            let up = -(p.pool().rows_for(ADVICE_CELLS) as i32);
            let (cnt_prev, idx_prev, mx_prev) =
                (p.a_shifted(cnt_at, up), p.a_shifted(idx_at, up), p.a_shifted(mx_at, up));
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

    /// Lays out the candidates `values` from `row`; `choice` is the witnessed index. Returns the
    /// index wire and the rows used.
    pub fn assign(
        &self,
        sheet: &mut impl Sheet,
        strip: &mut RangeStrip<'_>,
        row: usize,
        values: &[Wire],
        choice: Value<usize>,
        diff_bits: u32,
    ) -> Result<(Wire, usize), Error> {
        let pool = &self.pool;
        let rows = pool.rows_for(ADVICE_CELLS);
        let (cnt_at, idx_at, mx_at) = running_cells(pool.width());
        let n = values.len();
        let ys: Value<Vec<Fr>> = Value::from_iter(values.iter().map(|w| w.value));
        let max = ys.zip(choice).map(|(v, c)| v.get(c).copied().unwrap_or(Fr::ZERO));
        let mut max_cells = Vec::with_capacity(n);
        let mut last_mx = None;
        let mut idx_wire = None;
        for (j, y) in values.iter().enumerate() {
            let at = row + j * rows;
            sheet.enable(&self.q, at)?;
            pool.fix(sheet, at, 0, if j == 0 { Fr::ZERO } else { Fr::ONE });
            pool.fix(sheet, at, 1, Fr::from(j as u64));
            pool.fix(sheet, at, 2, if j + 1 == n { Fr::ONE } else { Fr::ZERO });
            pool.copy(sheet, at, Y, y);
            let sel = choice.map(|c| c == j);
            let seen = choice.map(|c| c <= j);
            let flag = |b: bool| Fr::from(u64::from(b));
            pool.assign(sheet, at, SEL, sel.map(flag));
            pool.assign(sheet, at, cnt_at, seen.map(flag));
            let idx = pool.assign(
                sheet,
                at,
                idx_at,
                seen.zip(choice).map(|(s, c)| if s { Fr::from(c as u64) } else { Fr::ZERO }),
            );
            let mx = pool.assign(sheet, at, mx_at, seen.zip(max).map(|(s, m)| if s { m } else { Fr::ZERO }));
            max_cells.push(pool.assign(sheet, at, MAX, max));
            let diff = y.value.zip(max).zip(seen).map(|((y, m), s)| m - y - flag(!s));
            let diff = pool.assign(sheet, at, DIFF, diff);
            strip.range_check(sheet, &diff, diff_bits)?;
            last_mx = Some(mx);
            idx_wire = Some(idx);
        }
        let last_mx = last_mx.ok_or(Error::Synthesis)?;
        for cell in &max_cells {
            sheet.equal(cell.cell, last_mx.cell);
        }
        Ok((idx_wire.ok_or(Error::Synthesis)?, n * rows))
    }
}
