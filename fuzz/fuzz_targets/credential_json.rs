//! Credential files: parsing, then every check a holder or a batch prover runs on one. An
//! accepted file must survive a JSON round trip, and no field may make a check panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use loopx_credentials::Credential;
use loopx_models::Schema;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(credential) = Credential::from_json(text, "fuzz.json") else { return };
    let json = serde_json::to_string(&credential).expect("serializes");
    assert_eq!(Credential::from_json(&json, "fuzz.json").expect("reads back"), credential);
    let _ = credential.check(1_800_000_000, None);
    let _ = credential.recover_signer();
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    let schema = SCHEMA.get_or_init(|| {
        Schema::from_toml_str(include_str!("../../fixtures/risk_mlp.schema.toml")).expect("bundled schema")
    });
    let _ = credential.check_schema(schema);
});
