//! Running the `loopx` binary as a user does, shared by the command-line test binaries.

use std::process::{Command, Output};

use serde_json::Value;

/// Runs `loopx` with `args`, keys never taken from the caller's environment.
pub fn loopx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loopx"))
        .args(args)
        .env_remove("LOOPX_PRIVATE_KEY")
        .env_remove("LOOPX_ISSUER_KEY")
        .output()
        .expect("loopx runs")
}

/// The one JSON object a `--json` run printed.
pub fn json(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}"))
}

/// What the run wrote on stderr.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
