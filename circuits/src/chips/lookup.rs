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
use halo2_proofs::plonk::{Column, ConstraintSystem, Error, Fixed, Selector};
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
    /// Marks dynamic table rows, whose `out` is the pool's first advice cell (tree models only).
    q_dynamic: Option<Column<Fixed>>,
    q_limb: Selector,
    q_last: Selector,
    table: [Column<Fixed>; 3],
    limb_bits: u32,
    pool: ColumnPool,
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
    /// Creates the table columns, the running-sum gates and the lookup over the pool.
    /// With `dynamic`, rows marked by an extra fixed column take the table's `out` from the
    /// pool's first advice column (the tree chip's feature entries).
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, limb_bits: u32, dynamic: bool) -> Self {
        assert!(pool.width() >= ADVICE_WIDTH, "a lookup record must fit one pool row");
        let config = LookupConfig {
            q_lookup: meta.fixed_column(),
            q_dynamic: dynamic.then(|| meta.fixed_column()),
            q_limb: meta.selector(),
            q_last: meta.selector(),
            table: [meta.fixed_column(), meta.fixed_column(), meta.fixed_column()],
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
        meta.lookup_any("tagged table", |meta| {
            let q = meta.query_fixed(config.q_lookup, Rotation::cur());
            let mut p = PoolQuery::new(meta, pool);
            let input = [p.f(0), p.a(VAL), p.a(OUT)];
            let mut table = config.table.map(|t| meta.query_fixed(t, Rotation::cur()));
            if let Some(q_dynamic) = config.q_dynamic {
                let dynamic = meta.query_fixed(q_dynamic, Rotation::cur());
                table[2] = table[2].clone() + dynamic * meta.query_advice(pool.advice[0], Rotation::cur());
            }
            input.into_iter().zip(table).map(|(i, t)| (q.clone() * i, t)).collect()
        });
        config
    }

    /// Bits per limb.
    pub fn limb_bits(&self) -> u32 {
        self.limb_bits
    }

    /// Writes the table into its fixed columns (row 0 stays all zero).
    pub fn assign_table(&self, region: &mut Region<'_, Fr>, contents: &TableContents) {
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
    }

    /// Makes `row` the dynamic entry `(tag, val, pool advice 0 of the row)`; the caller places
    /// (copies) the value there. Needs a config with dynamic entries, and a row above
    /// [`TableContents::first_row`].
    pub fn fix_dynamic_entry(&self, region: &mut Region<'_, Fr>, row: usize, [tag, val]: [Fr; 2]) {
        let q_dynamic = self.q_dynamic.expect("the lookup was configured with dynamic entries");
        fix(region, q_dynamic, row, Fr::ONE);
        fix(region, self.table[0], row, tag);
        fix(region, self.table[1], row, val);
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
