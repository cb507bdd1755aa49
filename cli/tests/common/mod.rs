//! The `loopx` binary Cargo built for these tests, run through the shared test support.

use std::process::Output;

use loopx_test_support::cli::Loopx;
pub use loopx_test_support::cli::{json, stderr};

/// The binary under test.
pub const LOOPX: Loopx = Loopx::at(env!("CARGO_BIN_EXE_loopx"));

/// Runs `loopx` with `args`.
pub fn loopx(args: &[&str]) -> Output {
    LOOPX.run(args)
}
