//! Bundled models as set-up package directories: compiled, saved and given keys under a dev SRS
//! of their own size, as `loopx compile` + `loopx setup --dev-srs` leave them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use loopx_models::OutputRequest;
use loopx_prover::Package;
use loopx_srs::{Srs, SrsPolicy};

use crate::fixtures::compile_bundled;

/// Bundled model `name` compiled with `output` into `dir` and set up with a dev SRS of its k.
pub fn set_up_bundled(dir: &Path, name: &str, output: &OutputRequest) -> Package {
    set_up_bundled_with(dir, name, output, |k| Srs::dev(k).expect("dev SRS"))
}

/// [`set_up_bundled`] under the dev SRS `srs_for(k)` returns, e.g. a larger one shared with an
/// aggregation circuit (setup cuts it to the model's k).
pub fn set_up_bundled_with(
    dir: &Path,
    name: &str,
    output: &OutputRequest,
    srs_for: impl FnOnce(u32) -> Srs,
) -> Package {
    compile_bundled(name, output).save(dir).expect("package saved");
    let package = Package::open(dir).expect("package opens");
    let srs = srs_for(package.plan().shape.k);
    package.setup(&srs, SrsPolicy::AllowDev).expect("setup");
    package
}

/// Bundled model `name` (output `Auto`) set up once per test binary and shared by its tests; the
/// directory lives until the process ends. Tests that write into a package use
/// [`set_up_bundled`] on a directory of their own instead.
pub fn shared_bundled(name: &str) -> &'static Package {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static Package>>> = OnceLock::new();
    // Held across the setup so that two tests asking for one model set it up once.
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    cache.entry(name.to_string()).or_insert_with(|| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        Box::leak(Box::new(set_up_bundled(&dir, name, &OutputRequest::Auto)))
    })
}
