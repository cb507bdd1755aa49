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

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{ConstraintSystem, Error, Selector};
use halo2curves::bn256::Fr;

use super::pool::{ColumnPool, PoolQuery};
use super::range::RangeStrip;
use crate::sheet::Sheet;
use crate::wire::{fr_from_i64, Wire};

/// The two multiplexer gates over the pool.
#[derive(Clone, Debug)]
pub struct MuxConfig {
    q_constants: Selector,
    q_wires: Selector,
    pool: ColumnPool,
}

/// The values of a multiplexer tree's nodes, level by level: level 0 chooses between pairs of
/// constants, each level above between two nodes below, and the last level holds the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MuxWitness {
    /// `levels[l][j]`: node `j` of level `l`.
    pub levels: Vec<Vec<i64>>,
}

impl MuxWitness {
    /// The nodes of the tree over `table` (`2^levels` constants) when node `j` of level `l` takes
    /// its second input iff `bit(l, j)`.
    pub fn read(table: &[i64], levels: u32, bit: impl Fn(u32, usize) -> bool) -> Self {
        let mut current: Vec<i64> =
            table.chunks(2).enumerate().map(|(j, pair)| pair[usize::from(bit(0, j))]).collect();
        let mut all = Vec::with_capacity(levels as usize);
        for level in 1..levels {
            let next =
                current.chunks(2).enumerate().map(|(j, pair)| pair[usize::from(bit(level, j))]).collect();
            all.push(std::mem::replace(&mut current, next));
        }
        all.push(current);
        MuxWitness { levels: all }
    }

    /// The tree's output (0 for an empty tree).
    pub fn output(&self) -> i64 {
        self.levels.last().and_then(|l| l.first()).copied().unwrap_or(0)
    }
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
        sheet: &mut impl Sheet,
        strip: &mut RangeStrip<'_>,
        b: &Wire,
        [lo, hi]: [i64; 2],
        out: Value<Fr>,
    ) -> Result<Wire, Error> {
        let pool = &self.pool;
        let row = strip.take(pool.rows_for(2));
        sheet.enable(&self.q_constants, row)?;
        pool.fix(sheet, row, 0, fr_from_i64(lo));
        pool.fix(sheet, row, 1, fr_from_i64(hi - lo));
        pool.copy(sheet, row, 0, b);
        Ok(pool.assign(sheet, row, 1, out))
    }

    /// `b ? hi : lo` for wires.
    fn wires(
        &self,
        sheet: &mut impl Sheet,
        strip: &mut RangeStrip<'_>,
        b: &Wire,
        [lo, hi]: [&Wire; 2],
        out: Value<Fr>,
    ) -> Result<Wire, Error> {
        let pool = &self.pool;
        let row = strip.take(pool.rows_for(4));
        sheet.enable(&self.q_wires, row)?;
        pool.copy(sheet, row, 0, b);
        pool.copy(sheet, row, 1, lo);
        pool.copy(sheet, row, 2, hi);
        Ok(pool.assign(sheet, row, 3, out))
    }

    /// Reads `table[index]` (`2^levels` constants) through a tree of multiplexers whose node
    /// values are `nodes`, where the index's bits are given per node: `bit(level, j)` chooses
    /// between the pair `j` of the level (`level` 0 pairs the constants; the top level has one
    /// pair).
    pub fn table<'w>(
        &self,
        sheet: &mut impl Sheet,
        strip: &mut RangeStrip<'_>,
        table: &[i64],
        levels: u32,
        bit: impl Fn(u32, usize) -> &'w Wire,
        nodes: Value<&MuxWitness>,
    ) -> Result<Wire, Error> {
        if table.len() != 1 << levels || levels == 0 {
            return Err(Error::Synthesis);
        }
        let node = |level: u32, j: usize| nodes.map(|n| fr_from_i64(n.levels[level as usize][j]));
        let mut current = Vec::with_capacity(table.len() / 2);
        for (j, pair) in table.chunks(2).enumerate() {
            current.push(self.constants(sheet, strip, bit(0, j), [pair[0], pair[1]], node(0, j))?);
        }
        for level in 1..levels {
            let mut next = Vec::with_capacity(current.len() / 2);
            for (j, pair) in current.chunks(2).enumerate() {
                next.push(self.wires(sheet, strip, bit(level, j), [&pair[0], &pair[1]], node(level, j))?);
            }
            current = next;
        }
        current.pop().ok_or(Error::Synthesis)
    }
}
