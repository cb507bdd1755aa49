//! The Poseidon sponge in the circuit, round by round, mirroring [`crate::poseidon`].
//!
//! One record per round, cells `s0 s1 s2 x0 x1 x2` (state, then squares; a partial round has only
//! `x0`), fixed `rc0 rc1 rc2`; the next record starts with the next state `s'`:
//!
//! ```text
//! full round:    u_i = s_i + rc_i,  x_i = u_i²,  s'_i = Σ_j M_ij · x_j² · u_j
//! partial round: u_0 = s_0 + rc_0,  x_0 = u_0²,  s'_i = M_i0 · x_0² · u_0 + Σ_{j≥1} M_ij · (s_j + rc_j)
//! absorb:        s'_0 = s_0,  s'_1 = s_1 + m_0,  s'_2 = s_2 + m_1    (cells s0 s1 s2 m0 m1; pad·m_1 = 0)
//! init:          s_0 = rc_0 (the length-tagged capacity),  s_1 = s_2 = 0
//! ```
//!
//! Squares are witnessed so every gate stays at degree 4, within the system's degree 5.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, Expression, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::pool::{rows_for, ColumnPool, PoolQuery};
use crate::poseidon::{self, constants, is_full_round, FULL_ROUNDS, PARTIAL_ROUNDS, ROUNDS, WIDTH};
use crate::wire::Wire;

/// Cells of a full-round record (state and three squares).
const FULL_CELLS: usize = 2 * WIDTH;
/// Cells of a partial-round record (state and one square).
const PARTIAL_CELLS: usize = WIDTH + 1;
/// Cells of an absorb record (state and two message elements).
const ABSORB_CELLS: usize = WIDTH + 2;

/// Rows one hash of a `len`-element message takes in a pool `width` columns wide.
pub fn rows_for_message(width: usize, len: usize) -> usize {
    let permutation = rows_for(width, ABSORB_CELLS)
        + FULL_ROUNDS * rows_for(width, FULL_CELLS)
        + PARTIAL_ROUNDS * rows_for(width, PARTIAL_CELLS);
    len.div_ceil(2) * permutation + rows_for(width, WIDTH)
}

/// The chip's selectors and the pool it writes into.
#[derive(Clone, Debug)]
pub struct PoseidonConfig {
    q_full: Selector,
    q_partial: Selector,
    q_absorb: Selector,
    q_init: Selector,
    pool: ColumnPool,
}

/// Tampering with the sponge, for soundness tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpongeTamper {
    /// Add one to state word `word` at the start of round `round` of the first permutation.
    State {
        /// Round index.
        round: usize,
        /// State word.
        word: usize,
    },
    /// Start from this capacity word instead of the fixed one.
    Capacity(Fr),
    /// Absorb message element `index` plus one instead of its wire's value.
    Message {
        /// Message element.
        index: usize,
    },
}

impl PoseidonConfig {
    /// Creates the round, absorb and init gates on the selectors `[full, partial, absorb, init]`.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, pool: &ColumnPool, selectors: [Selector; 4]) -> Self {
        let [q_full, q_partial, q_absorb, q_init] = selectors;
        let config = PoseidonConfig { q_full, q_partial, q_absorb, q_init, pool: pool.clone() };
        let mds = constants().mds;
        let mix = |terms: &[Expression<Fr>; WIDTH], i: usize| -> Expression<Fr> {
            terms.iter().enumerate().fold(Expression::Constant(Fr::ZERO), |acc, (j, t)| {
                acc + t.clone() * Expression::Constant(mds[i][j])
            })
        };
        meta.create_gate("poseidon full round", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q_full);
            let down = p.pool().rows_for(FULL_CELLS) as i32;
            let u: [Expression<Fr>; WIDTH] = std::array::from_fn(|i| p.a(i) + p.f(i));
            let x: [Expression<Fr>; WIDTH] = std::array::from_fn(|i| p.a(WIDTH + i));
            let next: [Expression<Fr>; WIDTH] = std::array::from_fn(|i| p.a_shifted(i, down));
            let sboxed: [Expression<Fr>; WIDTH] =
                std::array::from_fn(|i| x[i].clone() * x[i].clone() * u[i].clone());
            let mut constraints: Vec<_> =
                (0..WIDTH).map(|i| q.clone() * (x[i].clone() - u[i].clone() * u[i].clone())).collect();
            constraints.extend((0..WIDTH).map(|i| q.clone() * (next[i].clone() - mix(&sboxed, i))));
            constraints
        });
        meta.create_gate("poseidon partial round", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q_partial);
            let down = p.pool().rows_for(PARTIAL_CELLS) as i32;
            let u: [Expression<Fr>; WIDTH] = std::array::from_fn(|i| p.a(i) + p.f(i));
            let x0 = p.a(WIDTH);
            let next: [Expression<Fr>; WIDTH] = std::array::from_fn(|i| p.a_shifted(i, down));
            let mut sboxed = u.clone();
            sboxed[0] = x0.clone() * x0.clone() * u[0].clone();
            let mut constraints = vec![q.clone() * (x0 - u[0].clone() * u[0].clone())];
            constraints.extend((0..WIDTH).map(|i| q.clone() * (next[i].clone() - mix(&sboxed, i))));
            constraints
        });
        meta.create_gate("poseidon absorb", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q_absorb);
            let down = p.pool().rows_for(ABSORB_CELLS) as i32;
            vec![
                q.clone() * (p.a_shifted(0, down) - p.a(0)),
                q.clone() * (p.a_shifted(1, down) - p.a(1) - p.a(WIDTH)),
                q.clone() * (p.a_shifted(2, down) - p.a(2) - p.a(WIDTH + 1)),
                // An odd message is padded with a zero the prover cannot choose.
                q * p.f(1) * p.a(WIDTH + 1),
            ]
        });
        meta.create_gate("poseidon init", |meta| {
            let mut p = PoolQuery::new(meta, pool);
            let q = p.q(config.q_init);
            vec![q.clone() * (p.a(0) - p.f(0)), q.clone() * p.a(1), q * p.a(2)]
        });
        config
    }

    /// Hashes `message` from `row`, the sponge starting from the fixed capacity word `capacity`;
    /// returns the digest wire and the rows used.
    pub fn hash(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        capacity: Fr,
        message: &[Wire],
        tamper: Option<SpongeTamper>,
    ) -> Result<(Wire, usize), Error> {
        let pool = &self.pool;
        let rc = &constants().round_constants;
        let start = match tamper {
            Some(SpongeTamper::Capacity(other)) => other,
            _ => capacity,
        };
        let mut state: [Value<Fr>; WIDTH] =
            [Value::known(start), Value::known(Fr::ZERO), Value::known(Fr::ZERO)];
        self.q_init.enable(region, row)?;
        pool.fix(region, row, 0, capacity);
        let mut at = row;
        for (c, pair) in message.chunks(2).enumerate() {
            for (i, s) in state.iter().enumerate() {
                pool.assign(region, at, i, *s);
            }
            let m0 = self.absorbed(region, at, WIDTH, &pair[0], 2 * c, tamper);
            let m1 = match pair.get(1) {
                Some(w) => self.absorbed(region, at, WIDTH + 1, w, 2 * c + 1, tamper),
                None => {
                    pool.fix(region, at, 1, Fr::ONE);
                    pool.assign(region, at, WIDTH + 1, Value::known(Fr::ZERO))
                }
            };
            self.q_absorb.enable(region, at)?;
            state[1] = state[1] + m0.value;
            state[2] = state[2] + m1.value;
            at += pool.rows_for(ABSORB_CELLS);
            for (r, round_constants) in rc.iter().enumerate().take(ROUNDS) {
                if let Some(SpongeTamper::State { round, word }) = tamper {
                    if c == 0 && round == r {
                        state[word] = state[word].map(|v| v + Fr::ONE);
                    }
                }
                for (i, s) in state.iter().enumerate() {
                    pool.assign(region, at, i, *s);
                    pool.fix(region, at, i, round_constants[i]);
                }
                let full = is_full_round(r);
                let squares = if full { WIDTH } else { 1 };
                for i in 0..squares {
                    pool.assign(region, at, WIDTH + i, state[i].map(|s| (s + round_constants[i]).square()));
                }
                if full { self.q_full } else { self.q_partial }.enable(region, at)?;
                let values: Value<Vec<Fr>> = Value::from_iter(state.iter().copied());
                let next = values.map(|v| poseidon::round(&[v[0], v[1], v[2]], r));
                state = std::array::from_fn(|i| next.map(|n| n[i]));
                at += pool.rows_for(if full { FULL_CELLS } else { PARTIAL_CELLS });
            }
        }
        // The record after the last round holds the final state; its first rate word is the digest.
        let words: Vec<Wire> =
            state.iter().enumerate().map(|(i, s)| pool.assign(region, at, i, *s)).collect();
        Ok((words[1], at + pool.rows_for(WIDTH) - row))
    }

    /// Copies message element `index` into cell `cell` of the absorb record at `row`; a message
    /// tamper writes a different value under the same copy constraint.
    fn absorbed(
        &self,
        region: &mut Region<'_, Fr>,
        row: usize,
        cell: usize,
        wire: &Wire,
        index: usize,
        tamper: Option<SpongeTamper>,
    ) -> Wire {
        let copy = self.pool.copy(region, row, cell, wire);
        match tamper {
            Some(SpongeTamper::Message { index: i }) if i == index => {
                self.pool.assign(region, row, cell, copy.value.map(|v| v + Fr::ONE))
            }
            _ => copy,
        }
    }
}
