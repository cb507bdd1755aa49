//! The batch JSON Lines / CSV row reader, on in-memory file content.
#![no_main]
use libfuzzer_sys::fuzz_target;
use loopx_batch::{BatchInput, InputFormat};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let packages = loopx_fuzz::bundled_packages();
    let package = &packages[usize::from(selector) % packages.len()];
    let mut package_without_schema;
    let package = if selector & 0x80 != 0 {
        package_without_schema = package.clone();
        package_without_schema.schema = None;
        &package_without_schema
    } else {
        package
    };
    let format = if selector & 0x40 == 0 { InputFormat::JsonLines } else { InputFormat::Csv };
    if let Ok(rows) = BatchInput::with_format("fuzz.input", format).parse_bytes(rest, package) {
        for row in rows.into_iter().flatten() {
            let _ = package.quantize_row(&row.values);
        }
    }
});
