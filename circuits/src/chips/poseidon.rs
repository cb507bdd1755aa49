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

use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{ConstraintSystem, Error, Expression, Selector};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

use super::pool::{ColumnPool, PoolQuery};
use crate::poseidon::{self, constants, is_full_round, ROUNDS, WIDTH};
use crate::sheet::Sheet;
use crate::wire::Wire;

/// Cells of a full-round record (state and three squares).
const FULL_CELLS: usize = 2 * WIDTH;
/// Cells of a partial-round record (state and one square).
const PARTIAL_CELLS: usize = WIDTH + 1;
/// Cells of an absorb record (state and two message elements).
const ABSORB_CELLS: usize = WIDTH + 2;

/// The chip's selectors and the pool it writes into.
#[derive(Clone, Debug)]
pub struct PoseidonConfig {
    q_full: Selector,
    q_partial: Selector,
    q_absorb: Selector,
    q_init: Selector,
    pool: ColumnPool,
}

/// The values of the sponge's records: per chunk of the message, the state it is absorbed into
/// and the state at the start of each round, then the final state (its first rate word is the
/// digest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpongeWitness {
    /// The absorbed elements.
    pub message: Vec<Fr>,
    /// The states, in record order.
    pub states: Vec<[Fr; WIDTH]>,
}

impl SpongeWitness {
    /// The sponge over `message` starting from the capacity word `capacity`.
    pub fn absorb(capacity: Fr, message: Vec<Fr>) -> Self {
        let mut state = [capacity, Fr::ZERO, Fr::ZERO];
        let mut states = Vec::with_capacity(message.len().div_ceil(2) * (ROUNDS + 1) + 1);
        for chunk in poseidon::chunks(&message) {
            states.push(state);
            state[1] += chunk[0];
            state[2] += chunk[1];
            for r in 0..ROUNDS {
                states.push(state);
                state = poseidon::round(&state, r);
            }
        }
        states.push(state);
        SpongeWitness { message, states }
    }

    /// The digest: the final state's first rate word.
    pub fn digest(&self) -> Fr {
        self.states.last().map_or(Fr::ZERO, |s| s[1])
    }
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

    /// Hashes the wires `message` from `row` through the sponge records of `witness`, whose
    /// init record is pinned to the capacity word `capacity`; returns the digest wire and the
    /// rows used.
    pub fn hash(
        &self,
        sheet: &mut impl Sheet,
        row: usize,
        capacity: Fr,
        message: &[Wire],
        witness: Option<&SpongeWitness>,
    ) -> Result<(Wire, usize), Error> {
        let pool = &self.pool;
        let rc = &constants().round_constants;
        let mut states = (0..).map(|s| witness.map_or(Value::unknown(), |w| Value::known(w.states[s])));
        let mut next_state = || states.next().unwrap_or(Value::unknown());
        let element = |i: usize| witness.map_or(Value::unknown(), |w| Value::known(w.message[i]));
        sheet.enable(&self.q_init, row)?;
        pool.fix(sheet, row, 0, capacity);
        let mut at = row;
        for (c, pair) in message.chunks(2).enumerate() {
            let state = next_state();
            for i in 0..WIDTH {
                pool.assign(sheet, at, i, state.map(|s| s[i]));
            }
            // The sponge's cells hold the witness's message; the copy constraint ties them to
            // the wires the model read.
            for (k, wire) in pair.iter().enumerate() {
                let cell = pool.assign(sheet, at, WIDTH + k, element(2 * c + k));
                sheet.equal(cell.cell, wire.cell);
            }
            if pair.len() == 1 {
                pool.fix(sheet, at, 1, Fr::ONE);
                pool.assign(sheet, at, WIDTH + 1, Value::known(Fr::ZERO));
            }
            sheet.enable(&self.q_absorb, at)?;
            at += pool.rows_for(ABSORB_CELLS);
            for (r, round_constants) in rc.iter().enumerate().take(ROUNDS) {
                let state = next_state();
                for i in 0..WIDTH {
                    pool.assign(sheet, at, i, state.map(|s| s[i]));
                    pool.fix(sheet, at, i, round_constants[i]);
                }
                let full = is_full_round(r);
                let squares = if full { WIDTH } else { 1 };
                for i in 0..squares {
                    pool.assign(sheet, at, WIDTH + i, state.map(|s| (s[i] + round_constants[i]).square()));
                }
                let q = if full { self.q_full } else { self.q_partial };
                sheet.enable(&q, at)?;
                at += pool.rows_for(if full { FULL_CELLS } else { PARTIAL_CELLS });
            }
        }
        // The record after the last round holds the final state; its first rate word is the digest.
        let state = next_state();
        let words: Vec<Wire> = (0..WIDTH).map(|i| pool.assign(sheet, at, i, state.map(|s| s[i]))).collect();
        Ok((words[1], at + pool.rows_for(WIDTH) - row))
    }
}
