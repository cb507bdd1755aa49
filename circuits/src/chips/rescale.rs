//! Rescaling by `2^shift` with an exactly range-checked remainder, fused with a clamp.
//!
//! One record per value, cells `acc | pre | rem | s_lo | s_hi | out | chk_lo | chk_hi` and fixed
//! `2^shift | lo | hi`, with a second selector on rows that may not clamp and a third on rows
//! that may only clamp below:
//!
//! ```text
//! acc    = pre · 2^shift + rem          rem ∈ [0, 2^shift)            (floor division)
//! out    = s_lo·lo + s_hi·hi + (1 − s_lo − s_hi)·pre                  (clamp)
//! chk_lo = (1 − 2·s_lo)·(pre − lo)      chk_lo ∈ [0, 2^n)
//! chk_hi = (1 − 2·s_hi)·(hi − pre)      chk_hi ∈ [0, 2^n)   (two-sided rows only)
//! s_lo, s_hi boolean, s_lo·s_hi = 0, strict rows: s_lo + s_hi = 0, below-only rows: s_hi = 0
//! ```
//!
//! Soundness: `chk_lo` alone bounds `pre` to `(lo − 2^n, lo + 2^n)`. Every other `pre` that
//! meets the division (another `rem` in `[0, 2^shift)`) differs from the honest one by
//! `(rem − rem')/2^shift` in the field, an element far outside any window of `2^(n+1) ≪ p/2^shift`
//! values, so the floor quotient is unique. `s_lo = 1` forces `pre ≤ lo` and `s_lo = 0` forces
//! `pre ≥ lo`; where both hold (`pre = lo`) both choices give the same `out`, so the output is
//! unique (SECURITY.md #2). The second check, `chk_hi`, is needed only where `out` may clamp above
//! (`hi` below the pre-activation's bound: a clip, a table's domain) or where the range is the
//! contract (model inputs, kept within `[lo, hi]` exactly); elsewhere `s_hi = 0` is a gate, and
//! the check's rows are saved. ReLU is `lo = 0` clamping below only; an identity layer is a strict
//! row (it may not clamp); model inputs are strict two-sided rows with `shift = 0`.

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{ConstraintSystem, Error, Expression, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::pool::{boolean, one, ColumnPool, PoolQuery};
use super::range::RangeStrip;
use crate::sheet::Sheet;
use crate::wire::{fr_from_i128, fr_from_i64, Wire};

const ACC: usize = 0;
const PRE: usize = 1;
const REM: usize = 2;
const S_LO: usize = 3;
const S_HI: usize = 4;
const OUT: usize = 5;
const CHK_LO: usize = 6;
const CHK_HI: usize = 7;
/// Advice cells of one record.
pub const ADVICE_CELLS: usize = 8;
/// Fixed cells of one record.
pub const FIXED_CELLS: usize = 3;

/// The chip's selectors and the pool it writes into.
#[derive(Clone, Debug)]
pub struct RescaleConfig {
    q: Selector,
    q_strict: Selector,
    q_below_only: Selector,
    pool: ColumnPool,
}

/// Constants of one rescale-and-clamp record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RescaleParams {
    /// Right shift (floor division by `2^shift`).
    pub shift: u32,
    /// Lower clamp / range bound.
    pub lo: i64,
    /// Upper clamp / range bound.
    pub hi: i64,
    /// Whether values outside `[lo, hi]` are clamped (else rejected).
    pub may_clamp: bool,
    /// Bits of the range checks.
    pub check_bits: u32,
    /// Whether `chk_hi` is range-checked too: where `out` may clamp above `hi`, or where `[lo, hi]`
    /// is an exact contract (model inputs). Elsewhere `s_hi = 0`.
    pub two_sided: bool,
}

/// The integer witness of one record, before it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RescaleWitness {
    /// Floor quotient.
    pub pre: i64,
    /// Remainder.
    pub rem: i128,
    /// Clamped below.
    pub s_lo: bool,
    /// Clamped above.
    pub s_hi: bool,
    /// Output.
    pub out: i64,
}

impl RescaleWitness {
    /// The accumulator this record divides: `pre·2^shift + rem`.
    pub fn acc(&self, p: &RescaleParams) -> i128 {
        ((self.pre as i128) << p.shift) + self.rem
    }

    /// The honest witness for an accumulator.
    pub fn honest(acc: i128, p: &RescaleParams) -> Self {
        let pre = (acc >> p.shift) as i64;
        Self::with_quotient(pre, acc - ((pre as i128) << p.shift), p)
    }

    /// The witness for a given quotient and remainder, clamped as the record's constants say.
    pub fn with_quotient(pre: i64, rem: i128, p: &RescaleParams) -> Self {
        let s_lo = p.may_clamp && pre < p.lo;
        let s_hi = p.may_clamp && p.two_sided && pre > p.hi;
        let out = if s_lo {
            p.lo
        } else if s_hi {
            p.hi
        } else {
            pre
        };
        RescaleWitness { pre, rem, s_lo, s_hi, out }
    }
}

/// Wires produced by one record.
#[derive(Clone, Copy, Debug)]
pub struct RescaleOutput {
    /// The floor quotient.
    pub pre: Wire,
    /// The clamped output.
    pub out: Wire,
}

impl RescaleConfig {
    /// Creates the gates over the pool on the selectors `[rescale, may not clamp, clamps only
    /// below]`.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, selectors: [Selector; 3]) -> Self {
        let [q, q_strict, q_below_only] = selectors;
        let config = RescaleConfig { q, q_strict, q_below_only, pool: pool.clone() };
        meta.create_gate("rescale and clamp", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q);
            let (acc, pre, rem) = (p.a(ACC), p.a(PRE), p.a(REM));
            let (s_lo, s_hi, out) = (p.a(S_LO), p.a(S_HI), p.a(OUT));
            let (chk_lo, chk_hi) = (p.a(CHK_LO), p.a(CHK_HI));
            let (pow, lo, hi) = (p.f(0), p.f(1), p.f(2));
            let two = Expression::Constant(Fr::from(2));
            let kept = one() - s_lo.clone() - s_hi.clone();
            vec![
                q.clone() * (acc - pre.clone() * pow - rem),
                q.clone() * boolean(s_lo.clone()),
                q.clone() * boolean(s_hi.clone()),
                q.clone() * s_lo.clone() * s_hi.clone(),
                q.clone()
                    * (out - s_lo.clone() * lo.clone() - s_hi.clone() * hi.clone() - kept * pre.clone()),
                q.clone() * (chk_lo - (one() - two.clone() * s_lo) * (pre.clone() - lo)),
                q * (chk_hi - (one() - two * s_hi) * (hi - pre)),
            ]
        });
        meta.create_gate("rescale may not clamp", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q_strict);
            vec![q * (p.a(S_LO) + p.a(S_HI))]
        });
        meta.create_gate("rescale clamps only below", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q_below_only);
            vec![q * p.a(S_HI)]
        });
        config
    }

    /// Rows one record takes.
    pub fn rows(&self) -> usize {
        self.pool.rows_for(ADVICE_CELLS)
    }

    /// Lays out one record at `row`: `acc` is copied from `acc_source` or, without one, witnessed
    /// as `pre·2^shift + rem`.
    pub fn assign(
        &self,
        sheet: &mut impl Sheet,
        strip: &mut RangeStrip<'_>,
        row: usize,
        acc_source: Option<&Wire>,
        params: &RescaleParams,
        witness: Value<RescaleWitness>,
    ) -> Result<RescaleOutput, Error> {
        let pool = &self.pool;
        sheet.enable(&self.q, row)?;
        if !params.may_clamp {
            sheet.enable(&self.q_strict, row)?;
        } else if !params.two_sided {
            sheet.enable(&self.q_below_only, row)?;
        }
        pool.fix(sheet, row, 0, Fr::from(2).pow_vartime([u64::from(params.shift)]));
        pool.fix(sheet, row, 1, fr_from_i64(params.lo));
        pool.fix(sheet, row, 2, fr_from_i64(params.hi));

        match acc_source {
            Some(source) => pool.copy(sheet, row, ACC, source),
            None => pool.assign(sheet, row, ACC, witness.map(|w| fr_from_i128(w.acc(params)))),
        };
        let pre = pool.assign(sheet, row, PRE, witness.map(|w| fr_from_i64(w.pre)));
        let rem = pool.assign(sheet, row, REM, witness.map(|w| fr_from_i128(w.rem)));
        pool.assign(sheet, row, S_LO, witness.map(|w| Fr::from(u64::from(w.s_lo))));
        pool.assign(sheet, row, S_HI, witness.map(|w| Fr::from(u64::from(w.s_hi))));
        let out = pool.assign(sheet, row, OUT, witness.map(|w| fr_from_i64(w.out)));
        let chk = |signed: bool, d: i64| fr_from_i64(if signed { -d } else { d });
        let chk_lo = pool.assign(sheet, row, CHK_LO, witness.map(|w| chk(w.s_lo, w.pre - params.lo)));
        let chk_hi = pool.assign(sheet, row, CHK_HI, witness.map(|w| chk(w.s_hi, params.hi - w.pre)));

        strip.range_check(sheet, &rem, params.shift)?;
        strip.range_check(sheet, &chk_lo, params.check_bits)?;
        if params.two_sided {
            strip.range_check(sheet, &chk_hi, params.check_bits)?;
        }
        Ok(RescaleOutput { pre, out })
    }
}
