//! What the LoopX test suites share, kept out of every production crate: the catalog of witness
//! edits by which soundness tests play a cheating prover ([`tamper`]) and the MockProver runs
//! that put them to the circuit ([`mock`]). Only `dev-dependencies`
//! name this crate.

pub mod mock;
pub mod tamper;
