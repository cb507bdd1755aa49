//! Feature schemas in TOML and JSON; an accepted schema must survive a JSON round trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use loopx_models::Schema;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for parsed in [Schema::from_toml_str(text), Schema::from_json_str(text)] {
        if let Ok(schema) = parsed {
            let json = serde_json::to_string(&schema).expect("serializes");
            assert_eq!(Schema::from_json_str(&json).expect("reads back"), schema);
        }
    }
});
