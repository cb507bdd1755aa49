//! Two-way multiplexers, and tables of constants read through a tree of them.
//!
//! One gate takes every node, whatever its inputs; a second, narrower one takes a node between
//! two constants where the model has no tree ensemble (a sigmoid's table):
//!
//! ```text
//! multiplexer:  b | lo | hi | out   fixed k_lo | c_lo | k_hi | c_hi   out = lo + b·(hi − lo),
//!                                                                   k_lo·lo = c_lo, k_hi·hi = c_hi
//! constants:    b | out             fixed lo | hi − lo                out = lo + b·(hi − lo)
//! ```
//!
//! In a `multiplexer` record an input that is a wire is a copy (`k = c = 0`), one that is a
//! constant is pinned by `k = 1, c = ` the constant. One gate for all three kinds of node (two
//! constants, a constant and a wire, two wires) keeps a tree ensemble at one selector besides
//! its thermometers': every selector is a fixed column the on-chain verifier pays ~7k gas for,
//! and a gate choosing its side by a fixed flag (`c + (side·b + (1 − side)(1 − b))·(w − c)`)
//! would be of degree 4, which packs worse with the other selectors. The `constants` record,
//! half as wide, keeps the 1,024-entry tables of an MLP as short as before.
//!
//! `b` is a wire proven boolean elsewhere (a range check's digit, a tree's comparison bit), so
//! `out` is exactly one of the two inputs. One selected row holds as many records side by side as
//! the pool's advice and fixed columns allow (its *slots*); the gate constrains every slot, so an
//! unused slot holds zeros, which satisfy it. A wide pool thus packs many nodes per row. A table
//! of `2^n` constants indexed by `n` bits is a tree of them (see [`super::mux_tree`]): a sigmoid
//! (1,024 entries) or a tree's leaves read this way need no lookup argument.

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{ConstraintSystem, Error, Expression, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::mux_tree::{MuxInput, MuxKind, MuxNode, MuxTree};
use super::pool::{ColumnPool, PoolQuery};
use super::range::RangeStrip;
use crate::sheet::Sheet;
use crate::wire::{fr_from_i64, Wire};

pub use super::mux_tree::MuxWitness;

/// Which record a node takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MuxRecord {
    /// `b | lo | hi | out`, fixed `k_lo | c_lo | k_hi | c_hi`: any node.
    General,
    /// `b | out`, fixed `lo | hi − lo`: two constants, where the gate exists.
    Constants,
}

impl MuxRecord {
    /// Advice and fixed cells of one record.
    fn cells(self) -> (usize, usize) {
        match self {
            MuxRecord::General => (4, 4),
            MuxRecord::Constants => (2, 2),
        }
    }
}

/// The multiplexer gates over the pool.
#[derive(Clone, Debug)]
pub struct MuxConfig {
    q_general: Selector,
    q_constants: Option<Selector>,
    pool: ColumnPool,
}

/// Records one selected row holds in a pool of `advice` and `fixed` columns (at least one; a
/// record wider than the pool spans rows). Slot `s` holds its advice cells from `s·a` on and its
/// fixed cells from `s·f` on (`(a, f)` the record's cells).
pub fn slots(advice: usize, fixed: usize, record: MuxRecord) -> usize {
    let (a, f) = record.cells();
    (advice / a).min(fixed / f).max(1)
}

fn slots_in(pool: &ColumnPool, record: MuxRecord) -> usize {
    slots(pool.width(), pool.fixed.len(), record)
}

/// Rows one selected row takes with all its slots.
fn rows(pool: &ColumnPool, record: MuxRecord) -> usize {
    let (advice, fixed) = record.cells();
    let n = slots_in(pool, record);
    pool.rows_for(advice * n).max((fixed * n).div_ceil(pool.fixed.len()))
}

/// One multiplexer tree to lay out: its shape, the bit that drives each of its nodes, and the
/// nodes' values.
pub struct MuxJob<'a> {
    /// The records.
    pub tree: &'a MuxTree,
    /// `bits[i]` drives `tree.nodes[i]`.
    pub bits: Vec<&'a Wire>,
    /// The nodes' values (unknown without a witness).
    pub values: Value<&'a MuxWitness>,
}

impl MuxConfig {
    /// Creates the `multiplexer` gate on `q_general`, and the `constants` gate on `q_constants`
    /// if given.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        pool: &ColumnPool,
        q_general: Selector,
        q_constants: Option<Selector>,
    ) -> Self {
        meta.create_gate("multiplexer", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(q_general);
            let mut constraints: Vec<Expression<Fr>> = Vec::new();
            for s in 0..slots_in(pool, MuxRecord::General) {
                let (a, f) = (4 * s, 4 * s);
                let (b, lo, hi, out) = (p.a(a), p.a(a + 1), p.a(a + 2), p.a(a + 3));
                let (k_lo, c_lo, k_hi, c_hi) = (p.f(f), p.f(f + 1), p.f(f + 2), p.f(f + 3));
                constraints.push(q.clone() * (out - lo.clone() - b * (hi.clone() - lo.clone())));
                constraints.push(q.clone() * (k_lo * lo - c_lo));
                constraints.push(q.clone() * (k_hi * hi - c_hi));
            }
            constraints
        });
        if let Some(q_constants) = q_constants {
            meta.create_gate("mux of constants", |meta| {
                let mut p = PoolQuery::new(meta, pool);
                let q = p.q(q_constants);
                (0..slots_in(pool, MuxRecord::Constants))
                    .map(|s| q.clone() * (p.a(2 * s + 1) - p.f(2 * s) - p.a(2 * s) * p.f(2 * s + 1)))
                    .collect::<Vec<Expression<Fr>>>()
            });
        }
        MuxConfig { q_general, q_constants, pool: pool.clone() }
    }

    /// The record `node` takes.
    fn record_of(&self, node: &MuxNode) -> MuxRecord {
        match (node.kind(), self.q_constants) {
            (MuxKind::Constants, Some(_)) => MuxRecord::Constants,
            _ => MuxRecord::General,
        }
    }

    /// Lays out the records of every tree of `jobs`, level by level, packing each level's
    /// records of a gate into shared rows (a node's inputs are then placed before it); returns
    /// each tree's output wire (`None` where the tree is a constant).
    pub fn lay_out(
        &self,
        sheet: &mut impl Sheet,
        strip: &mut RangeStrip<'_>,
        jobs: &[MuxJob<'_>],
    ) -> Result<Vec<Option<Wire>>, Error> {
        if jobs.iter().any(|job| job.bits.len() != job.tree.nodes.len()) {
            return Err(Error::Synthesis);
        }
        let mut wires: Vec<Vec<Option<Wire>>> = jobs.iter().map(|j| vec![None; j.tree.nodes.len()]).collect();
        let levels = jobs.iter().map(|j| j.tree.levels).max().unwrap_or(0);
        for level in 0..levels {
            for record in [MuxRecord::Constants, MuxRecord::General] {
                let batch: Vec<(usize, usize)> = jobs
                    .iter()
                    .enumerate()
                    .flat_map(|(t, job)| {
                        job.tree
                            .nodes
                            .iter()
                            .enumerate()
                            .filter(move |(_, n)| n.level == level && self.record_of(n) == record)
                            .map(move |(i, _)| (t, i))
                    })
                    .collect();
                let selector = match record {
                    MuxRecord::General => self.q_general,
                    MuxRecord::Constants => match self.q_constants {
                        Some(q) => q,
                        None => continue,
                    },
                };
                let slots = slots_in(&self.pool, record);
                for chunk in batch.chunks(slots) {
                    let row = strip.take(rows(&self.pool, record));
                    sheet.enable(&selector, row)?;
                    for s in 0..slots {
                        let Some(&(t, i)) = chunk.get(s) else {
                            self.empty_slot(sheet, row, record, s);
                            continue;
                        };
                        let job = &jobs[t];
                        let node = job.tree.nodes[i];
                        let wire = self.record(
                            sheet,
                            (row, s, record),
                            &node,
                            job.bits[i],
                            &wires[t],
                            job.values,
                            i,
                        )?;
                        wires[t][i] = Some(wire);
                    }
                }
            }
        }
        jobs.iter()
            .zip(&wires)
            .map(|(job, w)| match job.tree.output {
                MuxInput::Constant(_) => Ok(None),
                MuxInput::Node(i) => w[i].ok_or(Error::Synthesis).map(Some),
            })
            .collect()
    }

    /// Fills slot `s` of the row at `row` with the record of node `i`, `node`; returns its
    /// output wire. The cells come from the witness (`values`): the constraints, not the
    /// witness, pin the constants.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        sheet: &mut impl Sheet,
        (row, s, record): (usize, usize, MuxRecord),
        node: &MuxNode,
        b: &Wire,
        placed: &[Option<Wire>],
        values: Value<&MuxWitness>,
        i: usize,
    ) -> Result<Wire, Error> {
        let pool = &self.pool;
        let (a, f) = (s * record.cells().0, s * record.cells().1);
        let out = values.map(|w| fr_from_i64(w.nodes[i]));
        pool.copy(sheet, row, a, b);
        if record == MuxRecord::Constants {
            let (MuxInput::Constant(lo), MuxInput::Constant(hi)) = (node.lo, node.hi) else {
                return Err(Error::Synthesis);
            };
            pool.fix(sheet, row, f, fr_from_i64(lo));
            pool.fix(sheet, row, f + 1, fr_from_i64(hi) - fr_from_i64(lo));
            return Ok(pool.assign(sheet, row, a + 1, out));
        }
        for (side, input) in [node.lo, node.hi].into_iter().enumerate() {
            let cell = a + 1 + side;
            match input {
                MuxInput::Node(j) => {
                    pool.copy(sheet, row, cell, &placed.get(j).copied().flatten().ok_or(Error::Synthesis)?);
                    pool.fix(sheet, row, f + 2 * side, Fr::ZERO);
                    pool.fix(sheet, row, f + 2 * side + 1, Fr::ZERO);
                }
                MuxInput::Constant(c) => {
                    pool.assign(sheet, row, cell, values.map(|w| fr_from_i64(w.inputs[i][side])));
                    pool.fix(sheet, row, f + 2 * side, Fr::ONE);
                    pool.fix(sheet, row, f + 2 * side + 1, fr_from_i64(c));
                }
            }
        }
        Ok(pool.assign(sheet, row, a + 3, out))
    }

    /// Zeros in slot `s`: the gate holds on them.
    fn empty_slot(&self, sheet: &mut impl Sheet, row: usize, record: MuxRecord, s: usize) {
        let (advice, fixed) = record.cells();
        for i in 0..advice {
            self.pool.assign(sheet, row, s * advice + i, Value::known(Fr::ZERO));
        }
        for i in 0..fixed {
            self.pool.fix(sheet, row, s * fixed + i, Fr::ZERO);
        }
    }

    /// Reads `table[index]` (`2^levels` constants) through the full tree of multiplexers whose
    /// node values are `nodes`, where the index's bits are given per node: `bit(level, j)` drives
    /// node `j` of the level (`level` 0 pairs the constants; the top level has one node).
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
        let tree = MuxTree::full(table, levels);
        let bits = tree.nodes.iter().map(|n| bit(n.level, n.j)).collect();
        let job = MuxJob { tree: &tree, bits, values: nodes };
        self.lay_out(sheet, strip, &[job])?.pop().flatten().ok_or(Error::Synthesis)
    }
}
