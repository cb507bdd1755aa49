//! A powers-of-tau ceremony made with the pinned npm `snarkjs` (`powersoftau new` → `contribute`
//! → `prepare phase2`), shared by the SRS crate's import tests and the prover's ceremony test
//! (included with `#[path]`: the workspace's shared test-support crate is the place for it once
//! it exists).

// Each test binary that includes this uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A ceremony of some power, made with the pinned snarkjs.
pub struct Ceremony {
    /// Its power: the files hold 2^power points.
    pub power: u32,
    /// `powersoftau new` output: τ = 1, nobody contributed.
    pub fresh: PathBuf,
    /// After one contribution.
    pub contributed: PathBuf,
    /// After `prepare phase2` (adds the Lagrange sections 12–15).
    pub prepared: PathBuf,
}

/// Runs the pinned-tools installer and returns the snarkjs launcher; fails (never skips) if absent.
fn snarkjs() -> PathBuf {
    let tools = repo().join("verifier-contract");
    let status = Command::new("bash")
        .arg(tools.join("scripts/ensure-tools.sh"))
        .status()
        .expect("bash runs verifier-contract/scripts/ensure-tools.sh");
    assert!(
        status.success(),
        "verifier-contract/scripts/ensure-tools.sh failed ({status}); it needs node and npm"
    );
    let snarkjs = tools.join("node_modules/.bin/snarkjs");
    assert!(
        snarkjs.exists(),
        "{} is missing after ensure-tools.sh: the pinned snarkjs (verifier-contract/package.json) did not install",
        snarkjs.display()
    );
    snarkjs
}

fn run_snarkjs(snarkjs: &Path, dir: &Path, args: &[&str]) {
    let output = Command::new(snarkjs).args(args).current_dir(dir).output().expect("snarkjs starts");
    assert!(
        output.status.success(),
        "snarkjs {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The ceremony files of `power`, made once per power and kept in the target's temporary folder
/// (a fresh checkout makes them in about a minute; later runs, and other test binaries asking
/// for the same power, reuse them).
pub fn ceremony(power: u32) -> Ceremony {
    {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ptau-snarkjs-power{power}"));
        let files = ["pot_0000.ptau", "pot_0001.ptau", "final.ptau"].map(|f| dir.join(f));
        if !files.iter().all(|f| f.exists()) {
            let snarkjs = snarkjs();
            std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
            // Made in a private folder and renamed into place, so concurrent test binaries never
            // see half-written files.
            let work = tempfile::tempdir_in(dir.parent().unwrap()).unwrap();
            let p = power.to_string();
            run_snarkjs(&snarkjs, work.path(), &["powersoftau", "new", "bn128", &p, "pot_0000.ptau"]);
            run_snarkjs(
                &snarkjs,
                work.path(),
                &[
                    "powersoftau",
                    "contribute",
                    "pot_0000.ptau",
                    "pot_0001.ptau",
                    "--name=first",
                    "-e=some entropy",
                ],
            );
            run_snarkjs(
                &snarkjs,
                work.path(),
                &["powersoftau", "prepare", "phase2", "pot_0001.ptau", "final.ptau"],
            );
            let made = work.keep();
            if std::fs::rename(&made, &dir).is_err() {
                // Another test binary got there first; its files are as good.
                std::fs::remove_dir_all(&made).ok();
            }
        }
        let [fresh, contributed, prepared] = files;
        Ceremony { power, fresh, contributed, prepared }
    }
}
