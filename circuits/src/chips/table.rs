//! Activation tables read by a lookup argument: one record per read instead of a multiplexer tree.
//!
//! ```text
//! record:  x | y            fixed: key offset        lookup (q·(x + offset), q·y) ∈ (key, value)
//! table:   key | value      (0, 0), then every table t at keys base_t .. base_t + len_t − 1
//! ```
//!
//! `x` is a clamped pre-activation, proven within `[-half_range, half_range − 1]` by the rescale
//! chip, and `offset = base_t + half_range`, so `x + offset` is one of table t's own keys and `y`
//! is exactly its entry. Keys of different tables never overlap and no key is 0, so neither
//! another table's entries nor the `(0, 0)` row that every unselected row looks up can be read.
//!
//! The price is paid by the verifier: the lookup's three commitments, the table's two columns and
//! the selector's own column, about 45k gas. The multiplexer tree costs ~1,500 rows per read
//! instead; the layouter weighs the two per model (see `plan::choose_layout`).

use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, Selector, TableColumn};
use halo2curves::bn256::Fr;

use super::pool::{ColumnPool, PoolQuery};
use crate::sheet::Sheet;
use crate::wire::{fr_from_i64, Wire};

/// The lookup argument and its table columns.
#[derive(Clone, Debug)]
pub struct TableConfig {
    q: Selector,
    key: TableColumn,
    value: TableColumn,
    pool: ColumnPool,
}

/// Every distinct activation table of a model, in order of first use, with its first key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableSet {
    tables: Vec<(i64, Vec<i64>)>,
    next_key: i64,
}

impl TableSet {
    /// An empty set; key 0 is reserved for unselected rows.
    pub fn new() -> Self {
        TableSet { tables: Vec::new(), next_key: 1 }
    }

    /// The first key of `values`' table, adding it if it is new.
    pub fn base_of(&mut self, values: &[i64]) -> i64 {
        if let Some(base) = self.base(values) {
            return base;
        }
        let base = self.next_key;
        self.tables.push((base, values.to_vec()));
        self.next_key += values.len() as i64;
        base
    }

    /// The first key of `values`' table, if the set holds it.
    pub fn base(&self, values: &[i64]) -> Option<i64> {
        self.tables.iter().find(|(_, v)| v == values).map(|(base, _)| *base)
    }

    /// Rows of the table columns: the `(0, 0)` row and every entry.
    pub fn rows(&self) -> usize {
        self.next_key.max(1) as usize
    }
}

impl TableConfig {
    /// Creates the lookup on the complex selector `q`.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, q: Selector) -> Self {
        let (key, value) = (meta.lookup_table_column(), meta.lookup_table_column());
        meta.lookup("activation table", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(q);
            let (x, y, offset) = (p.a(0), p.a(1), p.f(0));
            vec![(q.clone() * (x + offset), key), (q * y, value)]
        });
        TableConfig { q, key, value, pool: pool.clone() }
    }

    /// Rows of one read.
    pub fn rows(&self) -> usize {
        self.pool.rows_for(2)
    }

    /// Reads `values[x + half_range]` of the table whose first key is `base`, at `row`.
    pub fn read(
        &self,
        sheet: &mut impl Sheet,
        row: usize,
        x: &Wire,
        y: Value<i64>,
        base: i64,
        half_range: i64,
    ) -> Result<Wire, Error> {
        sheet.enable(&self.q, row)?;
        self.pool.fix(sheet, row, 0, fr_from_i64(base + half_range));
        self.pool.copy(sheet, row, 0, x);
        Ok(self.pool.assign(sheet, row, 1, y.map(fr_from_i64)))
    }

    /// Fills the table columns.
    pub fn assign_tables(&self, layouter: &mut impl Layouter<Fr>, tables: &TableSet) -> Result<(), Error> {
        layouter.assign_table(
            || "activation tables",
            |mut table| {
                let mut row = 0;
                let mut put = |key: i64, value: i64| {
                    table.assign_cell(|| "key", self.key, row, || Value::known(fr_from_i64(key)))?;
                    table.assign_cell(|| "value", self.value, row, || Value::known(fr_from_i64(value)))?;
                    row += 1;
                    Ok::<(), Error>(())
                };
                put(0, 0)?;
                for (base, values) in &tables.tables {
                    for (i, v) in values.iter().enumerate() {
                        put(base + i as i64, *v)?;
                    }
                }
                Ok(())
            },
        )
    }
}
