//! Range checks and function tables through one tagged lookup.
//!
//! A dedicated strip of columns `(tag, val, out, acc)` is looked up, on every usable row, in the
//! fixed table `(tag, val, out)`. Tag `w ≤ limb_bits` holds `(w, v, 0)` for `v < 2^w`; tag
//! `SIGMOID_TAG_BASE + t` holds `(tag, c, sigmoid_t(c))` for the clamped domain of table `t`.
//! No selector gates the lookup: an untouched row is `(0, 0, 0)`, which the width-0 range puts in
//! the table, so disabled rows can never smuggle a value past it (SECURITY.md #4).
//!
//! A value of `n` bits is decomposed into limbs by a running sum in `acc`:
//! `acc[r] = val[r] + 2^limb_bits · acc[r+1]` on every limb but the last, and `acc = val` on the
//! last, whose tag is the remaining width. The bound is exact, so remainders of a floor division
//! are checked to exactly `[0, 2^shift)`.

use std::collections::BTreeSet;

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;
use loopx_models::SigmoidTable;

use crate::wire::{assign, copy, fix, fr_from_i64, Wire};

/// First tag used by sigmoid tables (range widths use the tags below it).
pub const SIGMOID_TAG_BASE: u64 = 64;

/// The columns of the lookup strip and its table.
#[derive(Clone, Debug)]
pub struct LookupConfig {
    tag: Column<Fixed>,
    val: Column<Advice>,
    out: Column<Advice>,
    acc: Column<Advice>,
    q_limb: Selector,
    q_last: Selector,
    table: [Column<Fixed>; 3],
    limb_bits: u32,
}

/// What the fixed table contains.
#[derive(Clone, Debug, Default)]
pub struct TableContents {
    /// Range widths in use (0 is always present).
    pub widths: BTreeSet<u32>,
    /// Sigmoid tables, by index.
    pub sigmoids: Vec<SigmoidTable>,
}

impl TableContents {
    /// Number of table rows.
    pub fn rows(&self) -> usize {
        let ranges: usize = self.widths.iter().map(|w| 1usize << w).sum();
        ranges + self.sigmoids.iter().map(|t| t.values.len()).sum::<usize>()
    }
}

/// Widths of the limbs that check an `n`-bit value.
pub fn limb_widths(bits: u32, limb_bits: u32) -> Vec<u32> {
    if bits == 0 {
        return vec![0];
    }
    let full = (bits - 1) / limb_bits;
    let mut widths = vec![limb_bits; full as usize];
    widths.push(bits - full * limb_bits);
    widths
}

impl LookupConfig {
    /// Allocates the strip and table columns and creates the gates and the lookup.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, limb_bits: u32) -> Self {
        let config = LookupConfig {
            tag: meta.fixed_column(),
            val: meta.advice_column(),
            out: meta.advice_column(),
            acc: meta.advice_column(),
            q_limb: meta.selector(),
            q_last: meta.selector(),
            table: [meta.fixed_column(), meta.fixed_column(), meta.fixed_column()],
            limb_bits,
        };
        for column in [config.val, config.out, config.acc] {
            meta.enable_equality(column);
        }
        let radix = Fr::from(1u64 << limb_bits);
        meta.create_gate("range limb running sum", |meta| {
            let q = meta.query_selector(config.q_limb);
            let acc = meta.query_advice(config.acc, Rotation::cur());
            let next = meta.query_advice(config.acc, Rotation::next());
            let val = meta.query_advice(config.val, Rotation::cur());
            vec![q * (acc - val - next * radix)]
        });
        meta.create_gate("range last limb", |meta| {
            let q = meta.query_selector(config.q_last);
            let acc = meta.query_advice(config.acc, Rotation::cur());
            let val = meta.query_advice(config.val, Rotation::cur());
            vec![q * (acc - val)]
        });
        meta.lookup_any("tagged table", |meta| {
            let input = [
                meta.query_fixed(config.tag, Rotation::cur()),
                meta.query_advice(config.val, Rotation::cur()),
                meta.query_advice(config.out, Rotation::cur()),
            ];
            input
                .into_iter()
                .zip(config.table)
                .map(|(i, t)| (i, meta.query_fixed(t, Rotation::cur())))
                .collect()
        });
        config
    }

    /// Bits per limb.
    pub fn limb_bits(&self) -> u32 {
        self.limb_bits
    }

    /// Writes the table into its fixed columns.
    pub fn assign_table(&self, region: &mut Region<'_, Fr>, contents: &TableContents) {
        let mut row = 0;
        for &w in &contents.widths {
            for v in 0..(1u64 << w) {
                fix(region, self.table[0], row, Fr::from(u64::from(w)));
                fix(region, self.table[1], row, Fr::from(v));
                row += 1;
            }
        }
        for (t, table) in contents.sigmoids.iter().enumerate() {
            let tag = Fr::from(SIGMOID_TAG_BASE + t as u64);
            for (i, value) in table.values.iter().enumerate() {
                fix(region, self.table[0], row, tag);
                fix(region, self.table[1], row, fr_from_i64(i as i64 - table.half_range));
                fix(region, self.table[2], row, fr_from_i64(*value));
                row += 1;
            }
        }
    }
}

/// Hands out rows of the lookup strip in order.
#[derive(Debug)]
pub struct LookupStrip<'c> {
    config: &'c LookupConfig,
    next_row: usize,
}

/// The low 128 bits of a field element (the integer value of any honest, range-checked cell).
pub fn low_u128(f: &Fr) -> u128 {
    let repr = f.to_repr();
    u128::from_le_bytes(repr.as_ref()[..16].try_into().expect("16 bytes"))
}

impl<'c> LookupStrip<'c> {
    /// Starts at row 0.
    pub fn new(config: &'c LookupConfig) -> Self {
        LookupStrip { config, next_row: 0 }
    }

    /// Rows used so far.
    pub fn rows_used(&self) -> usize {
        self.next_row
    }

    /// Constrains `wire` to lie in `[0, 2^bits)`.
    pub fn range_check(&mut self, region: &mut Region<'_, Fr>, wire: &Wire, bits: u32) -> Result<(), Error> {
        let c = self.config;
        let widths = limb_widths(bits, c.limb_bits);
        let start = self.next_row;
        let mut rest = wire.value.map(|v| low_u128(&v));
        for (i, w) in widths.iter().enumerate() {
            let row = start + i;
            if i == 0 {
                copy(region, wire, c.acc, row);
            } else {
                assign(region, c.acc, row, rest.map(|r| Fr::from_u128(r)));
            }
            let limb = rest.map(|r| r & ((1u128 << c.limb_bits) - 1));
            assign(region, c.val, row, limb.map(Fr::from_u128));
            rest = rest.map(|r| r >> c.limb_bits);
            fix(region, c.tag, row, Fr::from(u64::from(*w)));
            let selector = if i + 1 == widths.len() { c.q_last } else { c.q_limb };
            selector.enable(region, row)?;
        }
        self.next_row += widths.len();
        Ok(())
    }

    /// Looks `input` up in sigmoid table `table` and returns the output wire.
    pub fn sigmoid(
        &mut self,
        region: &mut Region<'_, Fr>,
        table: usize,
        input: &Wire,
        output: Value<Fr>,
    ) -> Wire {
        let c = self.config;
        let row = self.next_row;
        self.next_row += 1;
        fix(region, c.tag, row, Fr::from(SIGMOID_TAG_BASE + table as u64));
        copy(region, input, c.val, row);
        assign(region, c.out, row, output)
    }
}
