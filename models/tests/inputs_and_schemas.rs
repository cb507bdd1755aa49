//! Feature schemas and the accepted input / calibration file shapes, with their errors.

use loopx_models::{parse_input_row, parse_rows, ModelError, Schema};

const SCHEMA: &str = r#"
name = "demo"
description = "two features"

[[feature]]
name = "age_days"
unit = "days"
min = 0
max = 3650
description = "wallet age"

[[feature]]
name = "ratio"
unit = "ratio"
min = 0.0
max = 1.0
"#;

fn schema() -> Schema {
    Schema::from_toml_str(SCHEMA).expect("schema")
}

#[test]
fn toml_and_json_schemas_parse_to_the_same_features() {
    let toml = schema();
    assert_eq!(toml.names(), vec!["age_days", "ratio"]);
    assert_eq!((toml.features[0].min, toml.features[0].max), (0.0, 3650.0));
    assert_eq!(toml.name.as_deref(), Some("demo"));
    let json = Schema::from_json_str(&serde_json::to_string(&toml).expect("json")).expect("parse");
    assert_eq!(json, toml);
    let features = r#"{"features": [{"name": "a", "unit": "", "min": 0, "max": 1}]}"#;
    assert_eq!(Schema::from_json_str(features).expect("alias").len(), 1);
}

#[test]
fn malformed_schemas_are_refused_with_the_reason() {
    let dup = "[[feature]]\nname='a'\nmin=0\nmax=1\n[[feature]]\nname='a'\nmin=0\nmax=1\n";
    assert!(
        matches!(Schema::from_toml_str(dup), Err(ModelError::InvalidSchema(m)) if m.contains("`a` is declared twice"))
    );
    let inverted = "[[feature]]\nname='a'\nmin=2\nmax=1\n";
    assert!(
        matches!(Schema::from_toml_str(inverted), Err(ModelError::InvalidSchema(m)) if m.contains("[2, 1]"))
    );
    let typo = "[[feature]]\nname='a'\nmin=0\nmaxx=1\n";
    assert!(matches!(Schema::from_toml_str(typo), Err(ModelError::InvalidSchema(_))));
    assert!(matches!(Schema::from_toml_str(""), Err(ModelError::InvalidSchema(_))));
    let err = Schema::from_json_str("{\"feature\": [").expect_err("truncated json");
    assert!(matches!(err, ModelError::Json { line: 1, .. }), "{err}");
    assert!(matches!(Schema::load("/nonexistent/schema.toml"), Err(ModelError::Io { .. })));
}

#[test]
fn rows_outside_the_schema_name_the_feature() {
    let s = schema();
    s.check_row(&[100.0, 0.5]).expect("in range");
    let err = s.check_row(&[100.0, 1.5]).expect_err("ratio > 1");
    assert_eq!(err.to_string(), "feature `ratio` = 1.5 is outside its allowed range [0, 1]");
    assert!(matches!(s.check_row(&[1.0]), Err(ModelError::FeatureCount { expected: 2, got: 1 })));
    assert!(
        matches!(s.check_row(&[f64::INFINITY, 0.0]), Err(ModelError::NonFiniteFeature { name }) if name == "age_days")
    );
}

#[test]
fn ezkl_flat_and_named_inputs_give_the_same_row() {
    let s = schema();
    let want = vec![10.0, 0.25];
    assert_eq!(parse_input_row(r#"{"input_data": [[10, 0.25]]}"#, "in", None, 2).expect("ezkl"), want);
    assert_eq!(
        parse_input_row(r#"{"input_data": [10, 0.25], "output_data": [[1]]}"#, "in", None, 2).expect("flat"),
        want
    );
    assert_eq!(parse_input_row("[10, 0.25]", "in", None, 2).expect("bare"), want);
    let named = r#"{"features": {"ratio": 0.25, "age_days": 10}}"#;
    assert_eq!(parse_input_row(named, "in", Some(&s), 2).expect("named"), want);
}

#[test]
fn named_inputs_report_missing_and_unknown_features() {
    let s = schema();
    let err = parse_input_row(r#"{"features": {"age_days": 1}}"#, "in", Some(&s), 2).expect_err("missing");
    assert!(matches!(err, ModelError::MissingFeature { ref name } if name == "ratio"), "{err}");
    let err =
        parse_input_row(r#"{"features": {"age_days": 1, "ratio": 0, "balance": 3}}"#, "in", Some(&s), 2)
            .expect_err("unknown");
    assert!(err.to_string().contains("`balance`") && err.to_string().contains("age_days, ratio"), "{err}");
    let err = parse_input_row(r#"{"features": {"age_days": 1, "ratio": "x"}}"#, "in", Some(&s), 2)
        .expect_err("nan");
    assert!(err.to_string().contains("`ratio`"), "{err}");
    let err = parse_input_row(r#"{"features": {"age_days": 1}}"#, "in", None, 2).expect_err("no schema");
    assert!(err.to_string().contains("schema"), "{err}");
}

#[test]
fn proving_inputs_need_exactly_one_row_of_the_right_width() {
    let err =
        parse_input_row(r#"{"input_data": [[1, 2], [3, 4]]}"#, "in.json", None, 2).expect_err("two rows");
    assert!(err.to_string().contains("exactly one row"), "{err}");
    let err = parse_input_row(r#"{"input_data": [[1, 2, 3]]}"#, "in.json", None, 2).expect_err("width");
    assert!(matches!(err, ModelError::FeatureCount { expected: 2, got: 3 }), "{err}");
    let err = parse_input_row(r#"{"input_data": [[1, true]]}"#, "in.json", None, 2).expect_err("bool");
    assert!(err.to_string().contains("row 0, value 1"), "{err}");
    let err = parse_input_row(r#"{"wallet": "0x00"}"#, "in.json", None, 2).expect_err("no data");
    assert!(err.to_string().contains("input_data"), "{err}");
}

#[test]
fn malformed_json_reports_line_and_column() {
    let err =
        parse_input_row("{\"input_data\": [[1.0,\n 2.0,, 3]]}", "wallet.json", None, 2).expect_err("syntax");
    match &err {
        ModelError::Json { what, line, column, .. } => {
            assert_eq!((what.as_str(), *line, *column), ("wallet.json", 2, 6))
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().starts_with("malformed JSON in wallet.json at line 2, column 6"), "{err}");
}

#[test]
fn calibration_files_accept_rows_ezkl_and_flat_lists() {
    let want = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
    assert_eq!(parse_rows("[[1, 2], [3, 4]]", "cal", None, 2).expect("rows"), want);
    assert_eq!(
        parse_rows(r#"{"input_data": [[1, 2], [3, 4]], "labels": [0, 1]}"#, "cal", None, 2).expect("ezkl"),
        want
    );
    assert_eq!(parse_rows("[1, 2, 3, 4]", "cal", None, 2).expect("flat"), want);
    let named = r#"{"features": [{"age_days": 1, "ratio": 0.5}, {"age_days": 2, "ratio": 0.0}]}"#;
    assert_eq!(parse_rows(named, "cal", Some(&schema()), 2).expect("named").len(), 2);
    let err = parse_rows("[1, 2, 3]", "cal", None, 2).expect_err("not a multiple");
    assert!(err.to_string().contains("multiple"), "{err}");
    let err = parse_rows("[[1, 2], [3]]", "cal.json", None, 2).expect_err("short row");
    assert!(err.to_string().starts_with("invalid input in cal.json: row 1: expected 2 features"), "{err}");
    assert!(parse_rows("[]", "cal", None, 2).is_err());
    assert!(parse_rows("\"rows\"", "cal", None, 2).is_err());
}
