//! What the LoopX test suites share, kept out of every production crate: the bundled fixtures
//! ([`fixtures`]), bundled models set up as package directories and cached per test binary
//! ([`packages`]), the runner of the `loopx` binary ([`cli`]), the catalog of witness edits by
//! which soundness tests play a cheating prover ([`tamper`]) and the MockProver runs that put them
//! to the circuit ([`mock`]), and synthetic layers for circuit tests ([`synthetic`]). Only
//! `dev-dependencies` name this crate.

pub mod cli;
pub mod fixtures;
pub mod mock;
pub mod packages;
pub mod synthetic;
pub mod tamper;

pub use fixtures::{compile_bundled, fixture, fixtures_dir, model_file, BUNDLED_MODELS};
pub use packages::{set_up_bundled, set_up_bundled_with, shared_bundled};
