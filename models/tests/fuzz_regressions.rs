//! One test per crash the fuzz targets (`fuzz/`) found, on the normal test run.

use loopx_models::Schema;

/// `schema_toml`: a bound written with more digits than an f64 holds read back one ulp off
/// after a round trip (serde_json's fast float parser is not correctly rounded), so a package's
/// stored schema could move a range boundary. serde_json's `float_roundtrip` parses exactly.
#[test]
fn schema_bounds_survive_a_json_round_trip_exactly() {
    let long = format!("1{}", "2".repeat(90));
    let text = format!(
        r#"{{"name":"m","features":[{{"name":"a","unit":"x","min":0,"max":{long}}},{{"name":"b","min":-0,"max":4,"description":"d"}}]}}"#
    );
    let schema = Schema::from_json_str(&text).expect("a valid schema");
    let again = Schema::from_json_str(&serde_json::to_string(&schema).unwrap()).unwrap();
    assert_eq!(again, schema);
    assert_eq!(schema.features[0].max, long.parse::<f64>().unwrap(), "not the nearest f64");
}
