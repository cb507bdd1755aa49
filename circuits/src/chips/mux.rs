//! Two-way multiplexers, and tables of constants read through a tree of them.
//!
//! ```text
//! constants:  b | out            fixed lo | hi − lo     out = lo + b·(hi − lo)
//! wires:      b | lo | hi | out                         out = lo + b·(hi − lo)
//! ```
//!
//! `b` is a wire proven boolean elsewhere (a range check's digit, a tree's comparison bit), so
//! `out` is exactly one of the two inputs. A table of `2^n` constants indexed by `n` bits is a
//! tree of them: the leaves are pairs of constants, each level up chooses between two wires. A
//! sigmoid (1,024 entries) or a tree's leaves read this way need no lookup argument.

use halo2_proofs::circuit::Region;
use halo2_proofs::plonk::{ConstraintSystem, Error, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::pool::{ColumnPool, PoolQuery};
use super::range::RangeStrip;
use crate::wire::{fr_from_i64, Wire};

/// The two multiplexer gates over the pool.
#[derive(Clone, Debug)]
pub struct MuxConfig {
    q_constants: Selector,
    q_wires: Selector,
    pool: ColumnPool,
}

/// Rows of the multiplexer tree over `2^levels` constants in a pool `width` columns wide.
pub fn tree_rows(levels: u32, width: usize) -> usize {
    if levels == 0 {
        return 0;
    }
    let half = 1usize << (levels - 1);
    half * super::pool::rows_for(width, 2) + (half - 1) * super::pool::rows_for(width, 4)
}

impl MuxConfig {
    /// Creates the gates on the selectors `[constants, wires]`.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, selectors: [Selector; 2]) -> Self {
        let [q_constants, q_wires] = selectors;
        meta.create_gate("mux of constants", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(q_constants);
            vec![q * (p.a(1) - p.f(0) - p.a(0) * p.f(1))]
        });
        meta.create_gate("mux of wires", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(q_wires);
            let (b, lo, hi, out) = (p.a(0), p.a(1), p.a(2), p.a(3));
            vec![q * (out - lo.clone() - b * (hi - lo))]
        });
        MuxConfig { q_constants, q_wires, pool: pool.clone() }
    }

    /// `b ? hi : lo` for constants.
    fn constants(
        &self,
        region: &mut Region<'_, Fr>,
        strip: &mut RangeStrip<'_>,
        b: &Wire,
        [lo, hi]: [i64; 2],
        delta: Fr,
    ) -> Result<Wire, Error> {
        let pool = &self.pool;
        let row = strip.take(pool.rows_for(2));
        self.q_constants.enable(region, row)?;
        pool.fix(region, row, 0, fr_from_i64(lo));
        pool.fix(region, row, 1, fr_from_i64(hi - lo));
        pool.copy(region, row, 0, b);
        let out = b.value.map(|b| fr_from_i64(lo) + b * fr_from_i64(hi - lo) + delta);
        Ok(pool.assign(region, row, 1, out))
    }

    /// `b ? hi : lo` for wires.
    fn wires(
        &self,
        region: &mut Region<'_, Fr>,
        strip: &mut RangeStrip<'_>,
        b: &Wire,
        [lo, hi]: [&Wire; 2],
        delta: Fr,
    ) -> Result<Wire, Error> {
        let pool = &self.pool;
        let row = strip.take(pool.rows_for(4));
        self.q_wires.enable(region, row)?;
        pool.copy(region, row, 0, b);
        pool.copy(region, row, 1, lo);
        pool.copy(region, row, 2, hi);
        let out = b.value.zip(lo.value).zip(hi.value).map(|((b, lo), hi)| lo + b * (hi - lo) + delta);
        Ok(pool.assign(region, row, 3, out))
    }

    /// Reads `table[index]` (`2^levels` constants) through a tree of multiplexers, where the
    /// index's bits are given per node: `bit(level, j)` chooses between the pair `j` of the
    /// level (`level` 0 pairs the constants; the top level has one pair). `tamper_level` adds
    /// one to the output of that level's first multiplexer (soundness tests).
    pub fn table<'w>(
        &self,
        region: &mut Region<'_, Fr>,
        strip: &mut RangeStrip<'_>,
        table: &[i64],
        levels: u32,
        bit: impl Fn(u32, usize) -> &'w Wire,
        tamper_level: Option<u32>,
    ) -> Result<Wire, Error> {
        if table.len() != 1 << levels || levels == 0 {
            return Err(Error::Synthesis);
        }
        let delta =
            |level: u32, j: usize| if tamper_level == Some(level) && j == 0 { Fr::ONE } else { Fr::ZERO };
        let mut current = Vec::with_capacity(table.len() / 2);
        for (j, pair) in table.chunks(2).enumerate() {
            current.push(self.constants(region, strip, bit(0, j), [pair[0], pair[1]], delta(0, j))?);
        }
        for level in 1..levels {
            let mut next = Vec::with_capacity(current.len() / 2);
            for (j, pair) in current.chunks(2).enumerate() {
                next.push(self.wires(region, strip, bit(level, j), [&pair[0], &pair[1]], delta(level, j))?);
            }
            current = next;
        }
        let result = current.pop().ok_or(Error::Synthesis)?;
        Ok(result)
    }
}
