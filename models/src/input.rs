//! Input and calibration files.
//!
//! Accepted JSON shapes (`n` = the model's feature count):
//! - EZKL-style `{"input_data": [[f1, …, fn]]}` (other keys, e.g. `output_data`, are ignored);
//!   `input_data` may hold several rows (calibration) or one flat list; for rows (calibration),
//!   one inner list holding a multiple of `n` values is EZKL's flattened calibration layout and
//!   is cut into rows of `n`;
//! - a bare list of rows `[[…], […]]`;
//! - one flat list whose length is a multiple of `n`, cut into rows of `n`;
//! - with a schema, `{"features": {"name": value, …}}` (one row) or `{"features": [{…}, …]}`.
//!
//! Parsing returns rows of floats; range checks against the schema happen where the rows are
//! used, so each caller reports them in its own terms.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::ModelError;
use crate::schema::Schema;

/// Parses a document holding exactly one row of `features` values (an input for proving).
pub fn parse_input_row(
    text: &str,
    what: &str,
    schema: Option<&Schema>,
    features: usize,
) -> Result<Vec<f64>, ModelError> {
    let mut rows = parse_rows_inner(text, what, schema, features, false)?;
    if rows.len() != 1 {
        return Err(ModelError::InvalidInput {
            what: what.into(),
            message: format!("expected exactly one row of {features} features, found {} rows", rows.len()),
        });
    }
    Ok(rows.remove(0))
}

/// Parses a document holding one or more rows of `features` values (calibration or test rows).
pub fn parse_rows(
    text: &str,
    what: &str,
    schema: Option<&Schema>,
    features: usize,
) -> Result<Vec<Vec<f64>>, ModelError> {
    let rows = parse_rows_inner(text, what, schema, features, true)?;
    if rows.is_empty() {
        return Err(ModelError::InvalidInput { what: what.into(), message: "the file holds no rows".into() });
    }
    Ok(rows)
}

/// Reads and parses an input file with exactly one row.
pub fn load_input_row(
    path: impl AsRef<Path>,
    schema: Option<&Schema>,
    features: usize,
) -> Result<Vec<f64>, ModelError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
    parse_input_row(&text, &path.display().to_string(), schema, features)
}

/// Reads and parses a file of rows.
pub fn load_rows(
    path: impl AsRef<Path>,
    schema: Option<&Schema>,
    features: usize,
) -> Result<Vec<Vec<f64>>, ModelError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
    parse_rows(&text, &path.display().to_string(), schema, features)
}

fn parse_rows_inner(
    text: &str,
    what: &str,
    schema: Option<&Schema>,
    features: usize,
    many: bool,
) -> Result<Vec<Vec<f64>>, ModelError> {
    let invalid = |message: String| ModelError::InvalidInput { what: what.into(), message };
    let value: Value = serde_json::from_str(text).map_err(|e| ModelError::json(what, &e))?;
    let rows = match &value {
        Value::Array(items) => rows_from_array(items, features, many).map_err(invalid)?,
        Value::Object(obj) => match (obj.get("input_data"), obj.get("features")) {
            (Some(_), Some(_)) => {
                return Err(invalid("give either `input_data` or `features`, not both".into()))
            }
            (Some(Value::Array(items)), None) => rows_from_array(items, features, many).map_err(invalid)?,
            (Some(_), None) => return Err(invalid("`input_data` must be a list".into())),
            (None, Some(named)) => {
                let schema = schema.ok_or_else(|| {
                    invalid(
                        "a `features` object needs a model with a feature schema; use `input_data`".into(),
                    )
                })?;
                match named {
                    Value::Object(map) => vec![row_from_named(map, schema, what)?],
                    Value::Array(items) => items
                        .iter()
                        .map(|item| match item {
                            Value::Object(map) => row_from_named(map, schema, what),
                            _ => Err(invalid("every entry of `features` must be an object".into())),
                        })
                        .collect::<Result<_, _>>()?,
                    _ => return Err(invalid("`features` must be an object of name → value".into())),
                }
            }
            (None, None) => return Err(invalid("expected an `input_data` or `features` key".into())),
        },
        _ => return Err(invalid("expected a JSON object or list".into())),
    };
    for (i, row) in rows.iter().enumerate() {
        if row.len() != features {
            let err = ModelError::FeatureCount { expected: features, got: row.len() };
            return Err(if many {
                ModelError::InvalidInput { what: what.into(), message: format!("row {i}: {err}") }
            } else {
                err
            });
        }
    }
    Ok(rows)
}

fn number(v: &Value, at: impl Fn() -> String) -> Result<f64, String> {
    v.as_f64().ok_or_else(|| format!("{} is {v}, not a number", at()))
}

/// A list that is either rows of numbers or one flat list of numbers.
fn rows_from_array(items: &[Value], features: usize, many: bool) -> Result<Vec<Vec<f64>>, String> {
    if items.iter().all(Value::is_array) {
        let rows: Vec<Vec<f64>> = items
            .iter()
            .enumerate()
            .map(|(r, row)| {
                let values = row.as_array().map(Vec::as_slice).unwrap_or_default();
                values.iter().enumerate().map(|(c, v)| number(v, || format!("row {r}, value {c}"))).collect()
            })
            .collect::<Result<_, _>>()?;
        // EZKL writes calibration data as one flattened row, `[[r1 ‖ r2 ‖ …]]`.
        if let [only] = rows.as_slice() {
            if many && features > 0 && only.len() > features && only.len().is_multiple_of(features) {
                return Ok(only.chunks(features).map(<[f64]>::to_vec).collect());
            }
        }
        return Ok(rows);
    }
    let flat: Vec<f64> = items
        .iter()
        .enumerate()
        .map(|(i, v)| number(v, || format!("value {i}")))
        .collect::<Result<_, _>>()?;
    if features == 0 || flat.is_empty() || !flat.len().is_multiple_of(features) {
        return Err(format!(
            "a flat list must hold a multiple of the model's {features} features, but it has {} values",
            flat.len()
        ));
    }
    if !many && flat.len() != features {
        return Err(format!("expected {features} features, found {} values", flat.len()));
    }
    Ok(flat.chunks(features).map(<[f64]>::to_vec).collect())
}

fn row_from_named(map: &Map<String, Value>, schema: &Schema, what: &str) -> Result<Vec<f64>, ModelError> {
    if let Some(unknown) = map.keys().find(|k| !schema.features.iter().any(|f| &f.name == *k)) {
        return Err(ModelError::UnknownFeature { name: unknown.clone(), known: schema.names().join(", ") });
    }
    schema
        .features
        .iter()
        .map(|f| {
            let v = map.get(&f.name).ok_or_else(|| ModelError::MissingFeature { name: f.name.clone() })?;
            v.as_f64().ok_or_else(|| ModelError::InvalidInput {
                what: what.into(),
                message: format!("feature `{}` is {v}, not a number", f.name),
            })
        })
        .collect()
}
