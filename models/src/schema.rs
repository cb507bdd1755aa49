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
//!
//! **Canonical encoding.** A schema that gives every feature `scale_bits` fixes how a value is
//! written as an integer: `round(value · 2^scale_bits)`. That encoding is what issuers' credentials
//! commit to, and every model compiled against the schema reads exactly those integers (the
//! quantizer takes the declared scales instead of choosing its own), so one credential serves
//! every model of the schema. The encoding (names, scales, encoded ranges) is hashed into the
//! [`SchemaId`]; names of the schema and of units and descriptions are not part of it.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

use crate::error::ModelError;
use crate::quantized::QuantizedInput;

/// Version tag hashed into every [`SchemaId`]; bumped if the canonical encoding ever changes.
pub const SCHEMA_ENCODING_FORMAT: &str = "loopx-feature-schema/1";

/// Largest `|value · 2^scale_bits|` an encoding may reach: encoded values stay exact in an `f64`
/// and far from the `i64` limits of the layers that follow.
pub const MAX_ENCODED_MAGNITUDE: f64 = (1u64 << 52) as f64;

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
    /// Fractional bits of the canonical encoding, `round(value · 2^scale_bits)` (see the module
    /// docs); declared for every feature or for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_bits: Option<u32>,
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
            if let Some(bits) = f.scale_bits {
                let magnitude = f.min.abs().max(f.max.abs()) * 2f64.powi(bits as i32);
                if bits > 62 || magnitude > MAX_ENCODED_MAGNITUDE {
                    return Err(ModelError::InvalidSchema(format!(
                        "feature `{}`: scale_bits = {bits} encodes its range [{}, {}] past 2^52; lower scale_bits",
                        f.name, f.min, f.max
                    )));
                }
            }
        }
        let declared = self.features.iter().filter(|f| f.scale_bits.is_some()).count();
        if declared != 0 && declared != self.features.len() {
            let missing = self.features.iter().find(|f| f.scale_bits.is_none()).map_or("", |f| &f.name);
            return Err(ModelError::InvalidSchema(format!(
                "feature `{missing}` declares no scale_bits while others do: a canonical encoding gives \
                 every feature its scale_bits"
            )));
        }
        Ok(())
    }

    /// The canonical encoding of every feature (scale and encoded range), or an error saying that
    /// the schema declares none (credentials need one).
    pub fn encoding(&self) -> Result<Vec<QuantizedInput>, ModelError> {
        self.features
            .iter()
            .map(|f| {
                let bits = f.scale_bits.ok_or_else(|| {
                    ModelError::InvalidSchema(format!(
                        "feature `{}` declares no scale_bits: the schema has no canonical encoding; add \
                         `scale_bits = N` (fractional bits) to every [[feature]]",
                        f.name
                    ))
                })?;
                Ok(encoded_input(f, bits))
            })
            .collect()
    }

    /// The schema's id: see [`SchemaId`]. Fails when the schema declares no canonical encoding.
    pub fn id(&self) -> Result<SchemaId, ModelError> {
        Ok(SchemaId::of_encoding(&self.encoding()?))
    }

    /// Checks a row against the ranges and encodes it canonically.
    pub fn encode_row(&self, row: &[f64]) -> Result<Vec<i64>, ModelError> {
        self.check_row(row)?;
        Ok(self
            .encoding()?
            .iter()
            .zip(row)
            .map(|(e, v)| (v * 2f64.powi(e.scale_bits as i32)).round() as i64)
            .collect())
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

/// A feature's quantized input at `bits` fractional bits: its encoded range.
pub(crate) fn encoded_input(f: &FeatureSpec, bits: u32) -> QuantizedInput {
    let scale = 2f64.powi(bits as i32);
    QuantizedInput {
        name: f.name.clone(),
        scale_bits: bits,
        min: (f.min * scale).round() as i64,
        max: (f.max * scale).round() as i64,
    }
}

/// The id of a canonical feature encoding: Keccak-256 of the canonical JSON
/// `{"format":"loopx-feature-schema/1","features":[{"name","scale_bits","min","max"},…]}` (no
/// whitespace, fields in that order, encoded integer ranges), with its first byte cleared so the
/// same 32 bytes are a BN254 scalar (the circuit hashes it) and a Solidity `bytes32` (EIP-712
/// credentials and EAS attestations carry it).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SchemaId(pub [u8; 32]);

impl SchemaId {
    /// The id of the encoding `features` (a schema's, or a compiled model's inputs).
    pub fn of_encoding(features: &[QuantizedInput]) -> Self {
        #[derive(Serialize)]
        struct Canonical<'a> {
            format: &'a str,
            features: &'a [QuantizedInput],
        }
        let bytes = serde_json::to_vec(&Canonical { format: SCHEMA_ENCODING_FORMAT, features })
            .expect("plain structs serialize");
        let mut id: [u8; 32] = Keccak256::digest(bytes).into();
        id[0] = 0;
        SchemaId(id)
    }

    /// `0x` + 64 hex digits.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.0))
    }

    /// Parses `0x` + 64 hex digits (a first byte other than zero is not a schema id).
    pub fn from_hex(text: &str) -> Result<Self, ModelError> {
        let bad = || {
            ModelError::InvalidSchema(format!(
                "`{text}` is not a schema id (0x + 64 hex digits, first byte 00)"
            ))
        };
        let digits = text.trim().strip_prefix("0x").ok_or_else(bad)?;
        let bytes: [u8; 32] = hex::decode(digits).map_err(|_| bad())?.try_into().map_err(|_| bad())?;
        if bytes[0] != 0 {
            return Err(bad());
        }
        Ok(SchemaId(bytes))
    }
}

impl std::fmt::Debug for SchemaId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::fmt::Display for SchemaId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for SchemaId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SchemaId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SchemaId::from_hex(&text).map_err(serde::de::Error::custom)
    }
}
