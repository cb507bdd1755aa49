//! Range checks by binary decomposition, in rows of the pool after the chips' own rows.
//!
//! A value of `n` bits is split two bits per row, in records `d0 | d1 | acc` with the fixed cells
//! `radix | w1 | w0`:
//!
//! ```text
//! acc = w0·d0 + w1·d1 + radix·acc[next row]        d0, d1 boolean
//! ```
//!
//! A full row has weights `(1, 2)` and radix 4; the last row has radix 0, and weight `w1 = 0`
//! when it holds one bit only (its `d1` is then boolean and unused); a zero-width check is one
//! row with every weight zero, i.e. `acc = 0`. The first row's `acc` is the checked value, so
//! it equals `Σ d_i·2^i` over `n` boolean digits: exactly `[0, 2^n)`, and the digits are wires
//! other chips can use (the sigmoid's table index).
//!
//! Why not a lookup: a lookup argument costs the on-chain verifier six commitments (the permuted
//! input and table, their product, the table's columns and the lookup's marker), about 45k gas,
//! while these rows only cost proving time.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};

use super::pool::{boolean, ColumnPool, PoolQuery};
use crate::wire::Wire;

const D0: usize = 0;
const D1: usize = 1;
const ACC: usize = 2;
/// Advice cells of a range record; it must fit one pool row, so the pool is at least this wide.
pub const ADVICE_WIDTH: usize = 3;

/// The decomposition gate over the pool.
#[derive(Clone, Debug)]
pub struct RangeConfig {
    q: Selector,
    pool: ColumnPool,
}

/// Rows a range check of `bits` bits takes.
pub fn rows_for_bits(bits: u32) -> usize {
    bits.div_ceil(2).max(1) as usize
}

/// The low 128 bits of a field element (the integer value of any honest, range-checked cell).
pub fn low_u128(f: &Fr) -> u128 {
    let repr = f.to_repr();
    u128::from_le_bytes(repr.as_ref()[..16].try_into().expect("16 bytes"))
}

impl RangeConfig {
    /// Creates the decomposition gate on `q`.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, q: Selector) -> Self {
        assert!(pool.width() >= ADVICE_WIDTH, "a range record must fit one pool row");
        meta.create_gate("range check by bits", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(q);
            let (d0, d1, acc, next) = (p.a(D0), p.a(D1), p.a(ACC), p.a_shifted(ACC, 1));
            let (radix, w1, w0) = (p.f(0), p.f(1), p.f(2));
            vec![
                q.clone() * boolean(d0.clone()),
                q.clone() * boolean(d1.clone()),
                q * (acc - w0 * d0 - w1 * d1 - radix * next),
            ]
        });
        RangeConfig { q, pool: pool.clone() }
    }
}

/// Hands out the rows after the chips' own rows, in order: range checks, and the records of the
/// chips that work on bits (multiplexers, tree thermometers).
#[derive(Debug)]
pub struct RangeStrip<'c> {
    config: &'c RangeConfig,
    next_row: usize,
}

impl<'c> RangeStrip<'c> {
    /// Starts at pool row `first_row`.
    pub fn new(config: &'c RangeConfig, first_row: usize) -> Self {
        RangeStrip { config, next_row: first_row }
    }

    /// The next free row.
    pub fn next_row(&self) -> usize {
        self.next_row
    }

    /// Takes `rows` rows for a record (the caller fills and selects them).
    pub fn take(&mut self, rows: usize) -> usize {
        let row = self.next_row;
        self.next_row += rows;
        row
    }

    /// One decomposition row: `[d0, d1, acc]`, weights `[radix, w1, w0]`; returns the three wires.
    fn row(
        &mut self,
        region: &mut Region<'_, Fr>,
        cells: [Value<Fr>; 3],
        acc_source: Option<&Wire>,
        weights: [u64; 3],
    ) -> Result<[Wire; 3], Error> {
        let pool = &self.config.pool;
        let row = self.take(1);
        self.config.q.enable(region, row)?;
        for (i, w) in weights.iter().enumerate() {
            pool.fix(region, row, i, Fr::from(*w));
        }
        let d0 = pool.assign(region, row, D0, cells[0]);
        let d1 = pool.assign(region, row, D1, cells[1]);
        let acc = match acc_source {
            Some(wire) => pool.copy(region, row, ACC, wire),
            None => pool.assign(region, row, ACC, cells[2]),
        };
        Ok([d0, d1, acc])
    }

    /// Constrains `wire` to lie in `[0, 2^bits)`; returns its bits, least significant first.
    pub fn range_check(
        &mut self,
        region: &mut Region<'_, Fr>,
        wire: &Wire,
        bits: u32,
    ) -> Result<Vec<Wire>, Error> {
        let value = wire.value.map(|v| v.to_repr());
        let rows = rows_for_bits(bits);
        let mut out = Vec::with_capacity(bits as usize);
        for r in 0..rows {
            let low = 2 * r as u32;
            let width = bits.saturating_sub(low).min(2);
            let last = r + 1 == rows;
            let weights = [if last { 0 } else { 4 }, if width == 2 { 2 } else { 0 }, u64::from(width > 0)];
            let bit = |i: u32| value.map(|v| Fr::from(u64::from(bit_of(v.as_ref(), i))));
            let d0 = if width > 0 { bit(low) } else { Value::known(Fr::ZERO) };
            let d1 = if width == 2 { bit(low + 1) } else { Value::known(Fr::ZERO) };
            let acc = value.map(|v| shifted_right(v.as_ref(), low));
            let source = (r == 0).then_some(wire);
            let [d0, d1, _] = self.row(region, [d0, d1, acc], source, weights)?;
            out.extend([d0, d1].into_iter().take(width as usize));
        }
        Ok(out)
    }

    /// A thermometer of `len` cells `t_1 ≥ t_2 ≥ … ≥ t_len`, each boolean, the first `ones` of
    /// them one; returns their wires. Each row holds `e_i = t_i − t_{i+1}` as a boolean digit and
    /// `t_i` as the running sum (`t_i = e_i + t_{i+1}`, `t_len = e_len`); one more row checks
    /// that `t_1` is boolean. Boolean steps summing to at most one make a monotone 0/1 sequence.
    /// `extra_step` adds a second step at that index (soundness tests: only `t_1 ≤ 1` stops it).
    pub fn thermometer(
        &mut self,
        region: &mut Region<'_, Fr>,
        len: usize,
        ones: Value<usize>,
        extra_step: Option<usize>,
    ) -> Result<Vec<Wire>, Error> {
        let steps: Value<Vec<u64>> = ones
            .map(|k| (0..len).map(|i| u64::from(i + 1 == k) + u64::from(extra_step == Some(i))).collect());
        let mut cells = Vec::with_capacity(len);
        for i in 0..len {
            let e = steps.as_ref().map(|s| Fr::from(s[i]));
            let t = steps.as_ref().map(|s| Fr::from(s[i..].iter().sum::<u64>()));
            let radix = u64::from(i + 1 < len);
            let [_, _, acc] = self.row(region, [e, Value::known(Fr::ZERO), t], None, [radix, 0, 1])?;
            cells.push(acc);
        }
        if let Some(first) = cells.first() {
            self.range_check(region, first, 1)?;
        }
        Ok(cells)
    }
}

/// Bit `i` of a little-endian field representation (zero past its end).
fn bit_of(repr: &[u8], i: u32) -> bool {
    repr.get((i / 8) as usize).is_some_and(|byte| (byte >> (i % 8)) & 1 == 1)
}

/// `⌊v / 2^n⌋` of a field element's integer value, as a field element. The witness of every
/// decomposition row, at full width: checks wider than 128 bits (the wallet's 160) need it.
fn shifted_right(repr: &[u8], n: u32) -> Fr {
    let mut out = <Fr as PrimeField>::Repr::default();
    for (i, byte) in out.as_mut().iter_mut().enumerate() {
        let mut b = 0u8;
        for j in 0..8 {
            b |= u8::from(bit_of(repr, n + 8 * i as u32 + j)) << j;
        }
        *byte = b;
    }
    // Below the element itself, hence below the modulus.
    Fr::from_repr(out).unwrap_or(Fr::ZERO)
}

/// Rows [`RangeStrip::thermometer`] takes for `len` cells.
pub fn thermometer_rows(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        len + 1
    }
}
