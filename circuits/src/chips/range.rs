//! Range checks by binary decomposition, in rows of the pool after the chips' own rows.
//!
//! A pool `w` columns wide holds `w − 1` binary digits and a running sum per row: advice
//! `d_0 | … | d_{w−2} | acc`, fixed `radix | weight_{w−2} | … | weight_0`:
//!
//! ```text
//! acc = Σ weight_i·d_i + radix·acc[next row]        every d_i boolean
//! ```
//!
//! A full row has weights `1, 2, …, 2^(w−2)` and radix `2^(w−1)`; the last row has radix 0 and
//! weight 0 on the digits past the check's width (they are boolean and unused); a zero-width
//! check is one row with every weight zero, i.e. `acc = 0`. The first row's `acc` is the checked
//! value, so it equals `Σ d_j·2^j` over `n` boolean digits: exactly `[0, 2^n)`, and the digits
//! are wires other chips can use (a table's index). A wide pool thus checks many bits per row:
//! the rows a range check costs shrink with the columns a layout buys.
//!
//! A tree ensemble's thermometers (see [`super::trees`]) take rows of the strip too, a whole
//! row of cells each, under their own gate:
//!
//! ```text
//! t_0 | t_1 | … | t_{w−1}      every t_i boolean,  t_{i+1}·(1 − t_i) = 0
//! ```
//!
//! A longer thermometer continues on the next row, whose first cell is a copy of this row's
//! last, so the order holds across rows too: its cells are boolean and never rise (ones, then
//! zeros). The cells past its length are zero.
//!
//! Why not a lookup: a lookup argument costs the on-chain verifier six commitments (the permuted
//! input and table, their product, the table's columns and the lookup's marker), about 45k gas,
//! while these rows only cost proving time.

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{ConstraintSystem, Error, Expression, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};

use super::pool::{boolean, one, ColumnPool, PoolQuery};
use crate::sheet::Sheet;
use crate::wire::Wire;

/// Advice cells a range record needs at least (two digits and the sum); the pool is at least
/// this wide.
pub const ADVICE_WIDTH: usize = 3;

/// The decomposition gate (and, for tree ensembles, the thermometer gate) over the pool.
#[derive(Clone, Debug)]
pub struct RangeConfig {
    q: Selector,
    q_thermometer: Option<Selector>,
    pool: ColumnPool,
}

/// Binary digits one row holds in a pool `width` columns wide.
pub fn digits_per_row(width: usize) -> u32 {
    width.saturating_sub(1).max(1) as u32
}

/// Bits needed to hold `v ≥ 0`: the width of a range check that admits `[0, v]`.
pub fn bits_for(v: i128) -> u32 {
    128 - v.max(0).leading_zeros()
}

/// The low 128 bits of a field element (the integer value of any honest, range-checked cell).
pub fn low_u128(f: &Fr) -> u128 {
    let repr = f.to_repr();
    u128::from_le_bytes(repr.as_ref()[..16].try_into().expect("16 bytes"))
}

impl RangeConfig {
    /// Creates the decomposition gate on `q`, and the thermometer gate on `q_thermometer` if
    /// given.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        pool: &ColumnPool,
        q: Selector,
        q_thermometer: Option<Selector>,
    ) -> Self {
        assert!(pool.width() >= ADVICE_WIDTH, "a range record must fit one pool row");
        let width = pool.width();
        meta.create_gate("range check by bits", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(q);
            let (acc, next, radix) = (p.a(width - 1), p.a_shifted(width - 1, 1), p.f(0));
            let mut constraints: Vec<Expression<Fr>> =
                (0..width - 1).map(|i| q.clone() * boolean(p.a(i))).collect();
            let sum = (0..width - 1).fold(radix * next, |sum, i| sum + p.f(width - 1 - i) * p.a(i));
            constraints.push(q * (acc - sum));
            constraints
        });
        if let Some(q_thermometer) = q_thermometer {
            meta.create_gate("thermometer", |meta| {
                let mut p = PoolQuery::new(meta, pool);
                let q = p.q(q_thermometer);
                let mut constraints: Vec<Expression<Fr>> =
                    (0..width).map(|i| q.clone() * boolean(p.a(i))).collect();
                for i in 0..width - 1 {
                    constraints.push(q.clone() * p.a(i + 1) * (one() - p.a(i)));
                }
                constraints
            });
        }
        RangeConfig { q, q_thermometer, pool: pool.clone() }
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

    /// One decomposition row: the digits (with their weights, the rest zero) and the running
    /// sum `acc` (copied from `acc_source` if given); returns the digit wires and the sum's.
    fn row(
        &mut self,
        sheet: &mut impl Sheet,
        digits: &[(Value<Fr>, u64)],
        acc: Value<Fr>,
        acc_source: Option<&Wire>,
        radix: u64,
    ) -> Result<(Vec<Wire>, Wire), Error> {
        let pool = &self.config.pool;
        let width = pool.width();
        let row = self.take(1);
        sheet.enable(&self.config.q, row)?;
        pool.fix(sheet, row, 0, Fr::from(radix));
        let mut wires = Vec::with_capacity(digits.len());
        for i in 0..width - 1 {
            let (value, weight) = digits.get(i).copied().unwrap_or((Value::known(Fr::ZERO), 0));
            pool.fix(sheet, row, width - 1 - i, Fr::from(weight));
            let wire = pool.assign(sheet, row, i, value);
            if i < digits.len() {
                wires.push(wire);
            }
        }
        let acc = match acc_source {
            Some(wire) => pool.copy(sheet, row, width - 1, wire),
            None => pool.assign(sheet, row, width - 1, acc),
        };
        Ok((wires, acc))
    }

    /// Constrains `wire` to lie in `[0, 2^bits)`; returns its bits, least significant first.
    pub fn range_check(
        &mut self,
        sheet: &mut impl Sheet,
        wire: &Wire,
        bits: u32,
    ) -> Result<Vec<Wire>, Error> {
        let value = wire.value.map(|v| v.to_repr());
        let per_row = digits_per_row(self.config.pool.width());
        let rows = bits.div_ceil(per_row).max(1);
        let mut out = Vec::with_capacity(bits as usize);
        for r in 0..rows {
            let low = r * per_row;
            let count = bits.saturating_sub(low).min(per_row);
            let last = r + 1 == rows;
            let digits: Vec<(Value<Fr>, u64)> = (0..count)
                .map(|i| (value.map(|v| Fr::from(u64::from(bit_of(v.as_ref(), low + i)))), 1u64 << i))
                .collect();
            let acc = value.map(|v| shifted_right(v.as_ref(), low));
            let radix = if last { 0 } else { 1u64 << per_row };
            let source = (r == 0).then_some(wire);
            let (wires, _) = self.row(sheet, &digits, acc, source, radix)?;
            out.extend(wires);
        }
        Ok(out)
    }

    /// A thermometer of `len` cells `t_1 ≥ t_2 ≥ … ≥ t_len`, each boolean, `cells` their values;
    /// returns their wires. The first row holds as many as the pool is wide, every further row
    /// one fewer (its first cell repeats the row above's last).
    pub fn thermometer(
        &mut self,
        sheet: &mut impl Sheet,
        len: usize,
        cells: Value<&[u64]>,
    ) -> Result<Vec<Wire>, Error> {
        let q = self.config.q_thermometer.ok_or(Error::Synthesis)?;
        let pool = &self.config.pool;
        let mut wires: Vec<Wire> = Vec::with_capacity(len);
        let mut at = 0;
        while at < len {
            let row = self.take(1);
            sheet.enable(&q, row)?;
            let first = match wires.last() {
                Some(last) => {
                    pool.copy(sheet, row, 0, last);
                    1
                }
                None => 0,
            };
            for i in first..pool.width() {
                let value = if at < len { cells.map(|c| Fr::from(c[at])) } else { Value::known(Fr::ZERO) };
                let wire = pool.assign(sheet, row, i, value);
                if at < len {
                    wires.push(wire);
                }
                at += 1;
            }
        }
        Ok(wires)
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
