//! Input rows and calibration files against the bundled packages (with and without a schema).
#![no_main]
use libfuzzer_sys::fuzz_target;
use loopx_models::{parse_input_row, parse_rows};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let packages = loopx_fuzz::bundled_packages();
    let package = &packages[usize::from(selector) % packages.len()];
    let schema = if selector & 0x80 == 0 { package.schema.as_ref() } else { None };
    let features = if selector & 0x40 == 0 { package.features() } else { usize::from(selector & 7) };
    let _ = parse_input_row(text, "fuzz", schema, features);
    let _ = parse_rows(text, "fuzz", schema, features);
    let _ = package.input_from_json(text, "fuzz");
});
