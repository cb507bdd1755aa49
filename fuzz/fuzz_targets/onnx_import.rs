//! ONNX / ONNX-ML import from raw bytes: must return an error, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = loopx_models::import_onnx_bytes(data, "fuzz.onnx") {
        let _ = model.graph.describe();
    }
});
