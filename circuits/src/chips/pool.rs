//! The shared columns every row-oriented chip lays its cells into.

use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

/// Advice and fixed columns shared by the dense, rescale, argmax, threshold and Poseidon chips.
/// Chips use disjoint rows, so one wide pool serves them all.
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
}

/// Queries of a gate over the pool at one rotation.
pub struct PoolQuery<'a, 'm> {
    meta: &'a mut halo2_proofs::plonk::VirtualCells<'m, Fr>,
    pool: &'a ColumnPool,
}

impl<'a, 'm> PoolQuery<'a, 'm> {
    /// Wraps the gate's virtual cells.
    pub fn new(meta: &'a mut halo2_proofs::plonk::VirtualCells<'m, Fr>, pool: &'a ColumnPool) -> Self {
        PoolQuery { meta, pool }
    }

    /// Advice column `i` at the current row.
    pub fn a(&mut self, i: usize) -> Expression<Fr> {
        self.meta.query_advice(self.pool.advice[i], Rotation::cur())
    }

    /// Advice column `i` at the given rotation.
    pub fn a_at(&mut self, i: usize, rotation: i32) -> Expression<Fr> {
        self.meta.query_advice(self.pool.advice[i], Rotation(rotation))
    }

    /// Fixed column `i` at the current row.
    pub fn f(&mut self, i: usize) -> Expression<Fr> {
        self.meta.query_fixed(self.pool.fixed[i], Rotation::cur())
    }

    /// A gate selector.
    pub fn q(&mut self, selector: Selector) -> Expression<Fr> {
        self.meta.query_selector(selector)
    }
}

/// Boolean constraint `b·(1 − b)`.
pub fn boolean(b: Expression<Fr>) -> Expression<Fr> {
    b.clone() * (Expression::Constant(Fr::ONE) - b)
}

/// The constant one.
pub fn one() -> Expression<Fr> {
    Expression::Constant(Fr::ONE)
}
