//! Running the `loopx` binary as a user does. Integration tests of the CLI crate name the binary
//! Cargo built for them (`env!("CARGO_BIN_EXE_loopx")`), which only they can see.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::fixtures::model_file;

/// The `loopx` binary under test.
#[derive(Clone, Copy, Debug)]
pub struct Loopx {
    bin: &'static str,
}

impl Loopx {
    /// The binary at `bin`.
    pub const fn at(bin: &'static str) -> Self {
        Self { bin }
    }

    /// Runs `loopx` with `args`; keys are never taken from the caller's environment.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(self.bin)
            .args(args)
            .env_remove("LOOPX_PRIVATE_KEY")
            .env_remove("LOOPX_ISSUER_KEY")
            .output()
            .unwrap_or_else(|e| panic!("{} runs: {e}", self.bin))
    }

    /// `loopx compile` of bundled model `name` into `dir/name`, then `loopx setup --dev-srs`;
    /// returns the package path and the vk digest setup printed.
    pub fn set_up_bundled(&self, dir: &Path, name: &str) -> (String, String) {
        let pkg = dir.join(name).display().to_string();
        let file = |suffix: &str| model_file(name, suffix).display().to_string();
        let calibration = file("calibration.json");
        let schema = file("schema.toml");
        let compile =
            ["compile", &file("onnx"), "--calibration", &calibration, "--schema", &schema, "-o", &pkg];
        let out = self.run(&compile);
        assert!(out.status.success(), "loopx compile {name}: {}", stderr(&out));
        let out = self.run(&["setup", &pkg, "--dev-srs", "--json"]);
        assert!(out.status.success(), "loopx setup {name}: {}", stderr(&out));
        let digest = json(&out)["vk_digest"].as_str().expect("setup prints the vk digest").to_string();
        (pkg, digest)
    }
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
