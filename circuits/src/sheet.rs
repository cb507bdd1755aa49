//! Where a layout puts its cells. The model circuit's layout is written once, against [`Sheet`],
//! and run on two backends: halo2's [`Region`] assigns the cells (key generation and proving),
//! [`RowCount`] only counts the rows they take (the layouter's plan). The rows a plan promises
//! are therefore the rows the circuit uses, by construction rather than by a second copy of the
//! arithmetic.

use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::{Advice, Column, Error, Fixed, Selector};
use halo2curves::bn256::Fr;

/// A surface of cells addressed by column and absolute row.
pub trait Sheet {
    /// Places a witness value in an advice cell.
    fn assign(&mut self, column: Column<Advice>, row: usize, value: Value<Fr>) -> Cell;
    /// Places a constant in a fixed cell.
    fn fix(&mut self, column: Column<Fixed>, row: usize, value: Fr);
    /// Turns a gate's selector on at `row`.
    fn enable(&mut self, selector: &Selector, row: usize) -> Result<(), Error>;
    /// Constrains two advice cells to hold the same value.
    fn equal(&mut self, left: Cell, right: Cell);
}

impl Sheet for Region<'_, Fr> {
    fn assign(&mut self, column: Column<Advice>, row: usize, value: Value<Fr>) -> Cell {
        self.assign_advice(column, row, value).cell()
    }

    fn fix(&mut self, column: Column<Fixed>, row: usize, value: Fr) {
        self.assign_fixed(column, row, value);
    }

    fn enable(&mut self, selector: &Selector, row: usize) -> Result<(), Error> {
        selector.enable(self, row)
    }

    fn equal(&mut self, left: Cell, right: Cell) {
        self.constrain_equal(left, right);
    }
}

/// The counting backend: remembers the highest row any cell or selector touched.
#[derive(Clone, Copy, Debug, Default)]
pub struct RowCount {
    rows: usize,
}

impl RowCount {
    /// Rows from 0 through the highest row touched.
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn touch(&mut self, row: usize) {
        self.rows = self.rows.max(row + 1);
    }
}

impl Sheet for RowCount {
    fn assign(&mut self, column: Column<Advice>, row: usize, _value: Value<Fr>) -> Cell {
        self.touch(row);
        Cell { row_offset: row, column: column.into() }
    }

    fn fix(&mut self, _column: Column<Fixed>, row: usize, _value: Fr) {
        self.touch(row);
    }

    fn enable(&mut self, _selector: &Selector, row: usize) -> Result<(), Error> {
        self.touch(row);
        Ok(())
    }

    fn equal(&mut self, _left: Cell, _right: Cell) {}
}
