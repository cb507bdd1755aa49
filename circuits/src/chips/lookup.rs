//! Range checks and function tables through one tagged lookup.
//!
//! Lookup records are one pool row `val | out | acc` with the tag in the pool's fixed cell 0 and
//! the row marked by the fixed column `q_lookup`. On every row, `(q·tag, q·val, q·out)` must be
//! in the fixed table `(tag, val, out)`: tag `1 + w` holds `(tag, v, 0)` for `v < 2^w`, tag
//! `SIGMOID_TAG_BASE + t` holds `(tag, c, sigmoid_t(c))` over table `t`'s clamped domain. Rows
//! with `q = 0` look up `(0, 0, 0)`, which the table's first row holds, so a disabled row can
//! never carry a value past the table (SECURITY.md #4) — and an enabled one always is checked.
//!
//! A value of `n` bits is split into limbs by a running sum in `acc`:
//! `acc = val + 2^limb_bits · acc[next row]` on every limb but the last, `acc = val` on the last,
//! whose tag is the remaining width. The bound is exact, so a floor division's remainder is
//! checked to exactly `[0, 2^shift)`.

use std::collections::BTreeSet;

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};
use loopx_models::SigmoidTable;

use super::pool::{ColumnPool, PoolQuery};
use crate::wire::{fix, fr_from_i64, Wire};

/// First tag used by sigmoid tables (range widths use the tags below it).
pub const SIGMOID_TAG_BASE: u64 = 128;

const VAL: usize = 0;
const OUT: usize = 1;
const ACC: usize = 2;
/// Advice cells of a lookup record; it must fit one row, so the pool is at least this wide.
pub const ADVICE_WIDTH: usize = 3;

/// The lookup's marker column, its table and the running-sum selectors.
#[derive(Clone, Debug)]
pub struct LookupConfig {
    q_lookup: Column<Fixed>,
    /// Dynamic table entries (tree models only).
    dynamic: Option<DynamicEntries>,
    q_limb: Selector,
    q_last: Selector,
    /// `(tag, val)` and, when some entry has one, `out`.
    table: Vec<Column<Fixed>>,
    limb_bits: u32,
    pool: ColumnPool,
}

/// Table entries whose `out` is a witness: an advice column added to the table's `out` column.
/// It must be zero on every other usable row — otherwise a prover could shift any fixed entry
/// (a sigmoid output, say) — and on an entry row it equals the row's first pool cell, which the
/// caller copies the value into. (halo2-axiom caps the constraint degree at 5, so the table side
/// of the lookup must stay of degree 1: a fixed marker times an advice cell would not fit.)
#[derive(Clone, Copy, Debug)]
struct DynamicEntries {
    column: Column<Advice>,
    q_entry: Selector,
    q_empty: Selector,
}

/// What the fixed table contains.
#[derive(Clone, Debug, Default)]
pub struct TableContents {
    /// Row of the first fixed entry (rows above it are zero, or dynamic entries).
    pub first_row: usize,
    /// Range widths in use.
    pub widths: BTreeSet<u32>,
    /// Sigmoid tables, by index.
    pub sigmoids: Vec<SigmoidTable>,
    /// Further `(tag, val, out)` entries (tree structure).
    pub entries: Vec<[Fr; 3]>,
}

impl TableContents {
    /// Number of table rows (from row 0, so the leading all-zero row is included).
    pub fn rows(&self) -> usize {
        let ranges: usize = self.widths.iter().map(|w| 1usize << w).sum();
        self.first_row.max(1)
            + ranges
            + self.sigmoids.iter().map(|t| t.values.len()).sum::<usize>()
            + self.entries.len()
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

fn range_tag(width: u32) -> Fr {
    Fr::from(1 + u64::from(width))
}

impl LookupConfig {
    /// Creates the table columns, the running-sum gates (selectors `[limb, last limb]`) and the
    /// lookup over the pool. Without `outputs` (no sigmoid table, no tree) the table is only
    /// `(tag, val)`: one fixed column, hence one verifier multiplication, fewer. With `dynamic`
    /// (selectors `[entry, empty]`), table rows take their `out` from an extra advice column
    /// (the tree chip's feature entries); it needs `outputs`.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        pool: &ColumnPool,
        limb_bits: u32,
        [q_limb, q_last]: [Selector; 2],
        outputs: bool,
        dynamic: Option<[Selector; 2]>,
    ) -> Self {
        assert!(pool.width() >= ADVICE_WIDTH, "a lookup record must fit one pool row");
        assert!(outputs || dynamic.is_none(), "dynamic entries fill the table's output column");
        let config = LookupConfig {
            q_lookup: meta.fixed_column(),
            dynamic: dynamic.map(|[q_entry, q_empty]| DynamicEntries {
                column: meta.advice_column(),
                q_entry,
                q_empty,
            }),
            q_limb,
            q_last,
            table: (0..if outputs { 3 } else { 2 }).map(|_| meta.fixed_column()).collect(),
            limb_bits,
            pool: pool.clone(),
        };
        let radix = Fr::from(1u64 << limb_bits);
        meta.create_gate("range limb running sum", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q_limb);
            let (acc, val, next) = (p.a(ACC), p.a(VAL), p.a_shifted(ACC, 1));
            vec![q * (acc - val - next * radix)]
        });
        meta.create_gate("range last limb", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q_last);
            vec![q * (p.a(ACC) - p.a(VAL))]
        });
        if let Some(dynamic) = config.dynamic {
            meta.create_gate("dynamic table entry", |meta| {
                let q = meta.query_selector(dynamic.q_entry);
                let value = meta.query_advice(dynamic.column, Rotation::cur());
                vec![q * (value - meta.query_advice(pool.advice[0], Rotation::cur()))]
            });
            meta.create_gate("dynamic table empty row", |meta| {
                let q = meta.query_selector(dynamic.q_empty);
                vec![q * meta.query_advice(dynamic.column, Rotation::cur())]
            });
        }
        meta.lookup_any("tagged table", |meta| {
            let q = meta.query_fixed(config.q_lookup, Rotation::cur());
            let mut p = PoolQuery::new(meta, pool);
            let input = [p.f(0), p.a(VAL), p.a(OUT)];
            let mut table: Vec<_> =
                config.table.iter().map(|t| meta.query_fixed(*t, Rotation::cur())).collect();
            if let Some(dynamic) = config.dynamic {
                table[2] = table[2].clone() + meta.query_advice(dynamic.column, Rotation::cur());
            }
            // Without an output column, `out` is not looked up (range rows leave it unused).
            input.into_iter().zip(table).map(|(i, t)| (q.clone() * i, t)).collect()
        });
        config
    }

    /// Bits per limb.
    pub fn limb_bits(&self) -> u32 {
        self.limb_bits
    }

    /// Writes the table into its fixed columns (row 0 stays all zero). Entries with an output
    /// (sigmoid tables, tree structure) need a configuration with the output column: without it
    /// their outputs would go unchecked, so synthesis fails instead.
    pub fn assign_table(&self, region: &mut Region<'_, Fr>, contents: &TableContents) -> Result<(), Error> {
        let has_outputs = !contents.sigmoids.is_empty() || !contents.entries.is_empty();
        if has_outputs && self.table.len() < 3 {
            return Err(Error::Synthesis);
        }
        let mut row = contents.first_row.max(1);
        for &w in &contents.widths {
            for v in 0..(1u64 << w) {
                fix(region, self.table[0], row, range_tag(w));
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
        for entry in &contents.entries {
            for (column, value) in self.table.iter().zip(entry) {
                fix(region, *column, row, *value);
            }
            row += 1;
        }
        Ok(())
    }

    /// Makes `row` the dynamic entry `(tag, val, value)`; the caller copies `value` into the
    /// row's first pool cell too. Needs a config with dynamic entries, and a row above
    /// [`TableContents::first_row`].
    pub fn dynamic_entry(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        [tag, val]: [Fr; 2],
        value: Value<Fr>,
    ) -> Result<(), Error> {
        let dynamic = self.dynamic.ok_or(Error::Synthesis)?;
        dynamic.q_entry.enable(region, row)?;
        region.assign_advice(dynamic.column, row, value);
        fix(region, self.table[0], row, tag);
        fix(region, self.table[1], row, val);
        Ok(())
    }

    /// Zeroes the dynamic column on every usable row but the `entries` (no-op without dynamic
    /// entries).
    /// `tamper_row` puts a one there instead (soundness tests).
    pub fn close_dynamic_entries(
        &self,
        region: &mut Region<'_, Fr>,
        usable_rows: usize,
        entries: std::ops::Range<usize>,
        tamper_row: Option<usize>,
    ) -> Result<(), Error> {
        let Some(dynamic) = self.dynamic else { return Ok(()) };
        for row in (0..usable_rows).filter(|r| !entries.contains(r)) {
            dynamic.q_empty.enable(region, row)?;
            let value = if tamper_row == Some(row) { Fr::ONE } else { Fr::ZERO };
            region.assign_advice(dynamic.column, row, Value::known(value));
        }
        Ok(())
    }
}

/// Hands out lookup rows in order, from a block of pool rows reserved for them.
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
    /// Starts at pool row `first_row`.
    pub fn new(config: &'c LookupConfig, first_row: usize) -> Self {
        LookupStrip { config, next_row: first_row }
    }

    /// The next free row.
    pub fn next_row(&self) -> usize {
        self.next_row
    }

    /// Takes the next row as a lookup of `tag` (its cells are the caller's to fill).
    pub fn open_row(&mut self, region: &mut Region<'_, Fr>, tag: Fr) -> usize {
        let row = self.next_row;
        self.next_row += 1;
        fix(region, self.config.q_lookup, row, Fr::ONE);
        self.config.pool.fix(region, row, 0, tag);
        row
    }

    /// Constrains `wire` to lie in `[0, 2^bits)`.
    pub fn range_check(&mut self, region: &mut Region<'_, Fr>, wire: &Wire, bits: u32) -> Result<(), Error> {
        let c = self.config;
        let pool = &c.pool;
        let widths = limb_widths(bits, c.limb_bits);
        let mut rest = wire.value.map(|v| low_u128(&v));
        for (i, w) in widths.iter().enumerate() {
            let row = self.open_row(region, range_tag(*w));
            if i == 0 {
                pool.copy(region, row, ACC, wire);
            } else {
                pool.assign(region, row, ACC, rest.map(Fr::from_u128));
            }
            let limb = rest.map(|r| r & ((1u128 << c.limb_bits) - 1));
            pool.assign(region, row, VAL, limb.map(Fr::from_u128));
            pool.assign(region, row, OUT, Value::known(Fr::ZERO));
            rest = rest.map(|r| r >> c.limb_bits);
            let selector = if i + 1 == widths.len() { c.q_last } else { c.q_limb };
            selector.enable(region, row)?;
        }
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
        let row = self.open_row(region, Fr::from(SIGMOID_TAG_BASE + table as u64));
        self.config.pool.copy(region, row, VAL, input);
        self.config.pool.assign(region, row, ACC, Value::known(Fr::ZERO));
        self.config.pool.assign(region, row, OUT, output)
    }
}
