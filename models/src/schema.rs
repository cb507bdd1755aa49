//! Wallet feature schemas: each feature's name, unit and allowed range.
//!
//! A schema is written in TOML (or the same structure in JSON):
//!
//! ```toml
//! name = "sybil_lr"                 # optional
//! description = "Sybil detector"    # optional
//!
//! [[feature]]
//! name = "tx_count"
//! unit = "transactions"
//! min = 0
//! max = 100000
//! description = "Outgoing transactions in the last year"
//! ```
//!
//! The ranges are part of the model's contract: an input outside them is refused (never clamped
//! silently), and the quantizer sizes the fixed-point scales and the circuit's range checks from
//! them.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// One input feature of a schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// Feature name, unique within the schema.
    pub name: String,
    /// Unit of measure (free text, e.g. "ETH", "days", "count").
    #[serde(default)]
    pub unit: String,
    /// Smallest allowed value (inclusive).
    pub min: f64,
    /// Largest allowed value (inclusive).
    pub max: f64,
    /// What the feature means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The ordered list of a model's input features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Optional model name the schema belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Optional description of the model's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Features, in the order the model takes them.
    #[serde(rename = "feature", alias = "features")]
    pub features: Vec<FeatureSpec>,
}

impl Schema {
    /// Builds and validates a schema.
    pub fn new(features: Vec<FeatureSpec>) -> Result<Self, ModelError> {
        let schema = Schema { name: None, description: None, features };
        schema.validate()?;
        Ok(schema)
    }

    /// Parses a TOML schema.
    pub fn from_toml_str(text: &str) -> Result<Self, ModelError> {
        let schema: Schema = toml::from_str(text).map_err(|e| ModelError::InvalidSchema(e.to_string()))?;
        schema.validate()?;
        Ok(schema)
    }

    /// Parses a JSON schema.
    pub fn from_json_str(text: &str) -> Result<Self, ModelError> {
        let schema: Schema = serde_json::from_str(text).map_err(|e| ModelError::json("schema", &e))?;
        schema.validate()?;
        Ok(schema)
    }

    /// Loads a schema file: JSON if its extension is `.json`, TOML otherwise.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ModelError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
        let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let parsed = if is_json { Self::from_json_str(&text) } else { Self::from_toml_str(&text) };
        parsed.map_err(|e| match e {
            ModelError::InvalidSchema(msg) => ModelError::InvalidSchema(format!("{}: {msg}", path.display())),
            ModelError::Json { line, column, message, .. } => {
                ModelError::Json { what: path.display().to_string(), line, column, message }
            }
            other => other,
        })
    }

    /// Checks names are unique and non-empty and every range is a finite interval.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.features.is_empty() {
            return Err(ModelError::InvalidSchema("the schema declares no features".into()));
        }
        let mut seen = HashSet::new();
        for f in &self.features {
            if f.name.trim().is_empty() {
                return Err(ModelError::InvalidSchema("a feature has an empty name".into()));
            }
            if !seen.insert(f.name.as_str()) {
                return Err(ModelError::InvalidSchema(format!("feature `{}` is declared twice", f.name)));
            }
            if !f.min.is_finite() || !f.max.is_finite() || f.min > f.max {
                return Err(ModelError::InvalidSchema(format!(
                    "feature `{}` has range [{}, {}], which is not a finite interval",
                    f.name, f.min, f.max
                )));
            }
        }
        Ok(())
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether the schema has no features (never true for a validated schema).
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Feature names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.features.iter().map(|f| f.name.as_str()).collect()
    }

    /// Checks a row: right count, every value finite and within its feature's range.
    pub fn check_row(&self, row: &[f64]) -> Result<(), ModelError> {
        if row.len() != self.features.len() {
            return Err(ModelError::FeatureCount { expected: self.features.len(), got: row.len() });
        }
        for (f, v) in self.features.iter().zip(row) {
            if !v.is_finite() {
                return Err(ModelError::NonFiniteFeature { name: f.name.clone() });
            }
            if *v < f.min || *v > f.max {
                return Err(ModelError::FeatureOutOfRange {
                    name: f.name.clone(),
                    value: *v,
                    min: f.min,
                    max: f.max,
                });
            }
        }
        Ok(())
    }
}
