//! The pinned npm toolchain (solc-js, anvil, snarkjs): where it lives and how it gets installed.
//!
//! The pins are in `verifier-contract/package.json` + `package-lock.json`; `node_modules` is
//! never committed. The first use in a process runs `scripts/ensure-tools.sh`, which runs
//! `npm ci` only when `node_modules` is missing or does not match the lock.

use crate::VerifierError;
use std::{
    collections::HashSet,
    io::ErrorKind,
    path::{Path, PathBuf},
    process::Command,
    sync::Mutex,
};

/// Environment variable that overrides the tools directory (the one holding `package.json`).
pub const TOOLS_DIR_ENV: &str = "LOOPX_TOOLS_DIR";

/// Tool directories already checked by this process, so the install script runs once each.
static READY: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// The directory holding `package.json`, `package-lock.json`, `scripts/` and `node_modules/`:
/// `$LOOPX_TOOLS_DIR` when set, else this crate's source directory.
pub fn tools_dir() -> PathBuf {
    match std::env::var_os(TOOLS_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    }
}

/// Makes sure the pinned tools are installed in [`tools_dir`] and returns that directory.
///
/// Fails with [`VerifierError::ToolchainMissing`] when node or npm is absent.
pub fn ensure_tools() -> Result<PathBuf, VerifierError> {
    let dir = tools_dir();
    // A poisoned lock only means another thread panicked mid-install; the script is
    // idempotent, so running it again is the right recovery.
    let mut ready = READY.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if ready.as_ref().is_some_and(|set| set.contains(&dir)) {
        return Ok(dir);
    }
    require_program("node")?;
    require_program("npm")?;
    let script = dir.join("scripts").join("ensure-tools.sh");
    if !script.is_file() {
        return Err(VerifierError::ToolInstall {
            dir: dir.clone(),
            message: format!(
                "{} not found; set {TOOLS_DIR_ENV} to the verifier-contract directory",
                script.display()
            ),
        });
    }
    let output = Command::new("bash")
        .arg(&script)
        .arg(&dir)
        .output()
        .map_err(|err| VerifierError::io(format!("running {}", script.display()), err))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        if output.status.code() == Some(127) {
            return Err(VerifierError::ToolchainMissing(stderr));
        }
        return Err(VerifierError::ToolInstall { dir, message: stderr });
    }
    ready.get_or_insert_with(HashSet::new).insert(dir.clone());
    Ok(dir)
}

/// Path of an npm-installed executable (`node_modules/.bin/NAME`) inside `dir`.
pub(crate) fn npm_bin(dir: &Path, name: &str) -> PathBuf {
    dir.join("node_modules").join(".bin").join(name)
}

/// Fails with a message naming the fix when `program --version` cannot be run.
fn require_program(program: &str) -> Result<(), VerifierError> {
    match Command::new(program).arg("--version").output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(VerifierError::ToolchainMissing(format!(
            "`{program} --version` failed ({}): {}; reinstall Node.js >= 18 (it ships npm)",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))),
        Err(err) if err.kind() == ErrorKind::NotFound => Err(VerifierError::ToolchainMissing(format!(
            "`{program}` is not on PATH: the Solidity compiler and the local chain are npm packages; \
             install Node.js >= 18 (it ships npm), e.g. `apt-get install nodejs npm` or from https://nodejs.org"
        ))),
        Err(err) => Err(VerifierError::io(format!("running `{program} --version`"), err)),
    }
}
