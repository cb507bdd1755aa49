//! snarkjs `.ptau` ceremony files, from memory (the file's power, then k = 1).
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use loopx_srs::ptau::{import_ptau_bytes, PtauFile};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.ptau");
    if PtauFile::from_bytes(path, data.to_vec()).is_ok() {
        let _ = import_ptau_bytes(path, data.to_vec(), None);
        let _ = import_ptau_bytes(path, data.to_vec(), Some(1));
    }
});
