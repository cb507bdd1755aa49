//! `model.json` parsing and re-validation; an accepted package must survive a round trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use loopx_models::ModelPackage;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(package) = ModelPackage::from_json_str(text) {
        let json = serde_json::to_string(&package).expect("an accepted package serializes");
        let again = ModelPackage::from_json_str(&json).expect("a written package reads back");
        assert_eq!(again.model_id, package.model_id);
    }
});
