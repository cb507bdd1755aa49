//! What the LoopX test suites share, kept out of every production crate: the catalog of witness
//! edits by which soundness tests play a cheating prover ([`tamper`]). Only `dev-dependencies`
//! name this crate.

pub mod tamper;
