//! The shared columns every row-oriented chip lays its cells into.
//!
//! A chip describes a *record*: a list of logical advice cells (and fixed cells). The pool lays
//! a record out row-major over its width, so cell `i` sits in column `i % width`, `i / width`
//! rows below the record's first row, and gates query it with that rotation. The pool's width
//! is therefore a free layout choice: a narrow pool means fewer committed columns (a cheaper
//! on-chain verifier) at the price of more rows; a wide pool the reverse.

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed, Selector, VirtualCells};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use crate::sheet::Sheet;
use crate::wire::{assign, copy, fix, Wire};

/// Advice and fixed columns shared by the dense, rescale, argmax, threshold, Poseidon, range,
/// multiplexer and tree chips, which use disjoint rows.
#[derive(Clone, Debug)]
pub struct ColumnPool {
    /// Advice columns, all with equality enabled (values are copied between chips).
    pub advice: Vec<Column<Advice>>,
    /// Fixed columns for weights and per-row constants.
    pub fixed: Vec<Column<Fixed>>,
}

impl ColumnPool {
    /// Allocates a pool of the given widths.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, advice: usize, fixed: usize) -> Self {
        let advice: Vec<_> = (0..advice).map(|_| meta.advice_column()).collect();
        for column in &advice {
            meta.enable_equality(*column);
        }
        let fixed = (0..fixed).map(|_| meta.fixed_column()).collect();
        ColumnPool { advice, fixed }
    }

    /// Advice columns in the pool.
    pub fn width(&self) -> usize {
        self.advice.len()
    }

    /// Rows a record of `cells` advice cells takes.
    pub fn rows_for(&self, cells: usize) -> usize {
        rows_for(self.width(), cells)
    }

    fn advice_at(&self, i: usize) -> (Column<Advice>, usize) {
        (self.advice[i % self.width()], i / self.width())
    }

    fn fixed_at(&self, i: usize) -> (Column<Fixed>, usize) {
        (self.fixed[i % self.fixed.len()], i / self.fixed.len())
    }

    /// Witnesses advice cell `i` of the record starting at `row`.
    pub fn assign(&self, sheet: &mut impl Sheet, row: usize, i: usize, value: Value<Fr>) -> Wire {
        let (column, offset) = self.advice_at(i);
        assign(sheet, column, row + offset, value)
    }

    /// Copies `wire` into advice cell `i` of the record starting at `row`.
    pub fn copy(&self, sheet: &mut impl Sheet, row: usize, i: usize, wire: &Wire) -> Wire {
        let (column, offset) = self.advice_at(i);
        copy(sheet, wire, column, row + offset)
    }

    /// Sets fixed cell `i` of the record starting at `row`.
    pub fn fix(&self, sheet: &mut impl Sheet, row: usize, i: usize, value: Fr) {
        let (column, offset) = self.fixed_at(i);
        fix(sheet, column, row + offset, value);
    }
}

/// Rows a record of `cells` advice cells takes in a pool `width` columns wide.
pub fn rows_for(width: usize, cells: usize) -> usize {
    cells.div_ceil(width).max(1)
}

/// Queries of one gate over a record of the pool.
pub struct PoolQuery<'a, 'm> {
    meta: &'a mut VirtualCells<'m, Fr>,
    pool: &'a ColumnPool,
}

impl<'a, 'm> PoolQuery<'a, 'm> {
    /// Wraps the gate's virtual cells.
    pub fn new(meta: &'a mut VirtualCells<'m, Fr>, pool: &'a ColumnPool) -> Self {
        PoolQuery { meta, pool }
    }

    /// Advice cell `i` of this record.
    pub fn a(&mut self, i: usize) -> Expression<Fr> {
        self.a_shifted(i, 0)
    }

    /// Advice cell `i` of the record `rows` rows away (negative: above).
    pub fn a_shifted(&mut self, i: usize, rows: i32) -> Expression<Fr> {
        let (column, offset) = self.pool.advice_at(i);
        self.meta.query_advice(column, Rotation(offset as i32 + rows))
    }

    /// Fixed cell `i` of this record.
    pub fn f(&mut self, i: usize) -> Expression<Fr> {
        let (column, offset) = self.pool.fixed_at(i);
        self.meta.query_fixed(column, Rotation(offset as i32))
    }

    /// A gate selector.
    pub fn q(&mut self, selector: Selector) -> Expression<Fr> {
        self.meta.query_selector(selector)
    }

    /// The pool's geometry, for rotations between records.
    pub fn pool(&self) -> &ColumnPool {
        self.pool
    }
}

/// Boolean constraint `b·(1 − b)`.
pub fn boolean(b: Expression<Fr>) -> Expression<Fr> {
    b.clone() * (one() - b)
}

/// The constant one.
pub fn one() -> Expression<Fr> {
    Expression::Constant(Fr::ONE)
}
