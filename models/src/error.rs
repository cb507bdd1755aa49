//! Errors of model loading, quantization and input parsing.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong while loading, quantizing or feeding a model.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The input row has the wrong number of features.
    #[error("expected {expected} features but the input has {got}; check the input row against the model's schema")]
    FeatureCount {
        /// Features the model takes.
        expected: usize,
        /// Features given.
        got: usize,
    },
    /// A feature lies outside its allowed range.
    #[error("feature `{name}` = {value} is outside its allowed range [{min}, {max}]")]
    FeatureOutOfRange {
        /// Feature name.
        name: String,
        /// The offending value.
        value: f64,
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// A feature is NaN or infinite.
    #[error("feature `{name}` is not a finite number")]
    NonFiniteFeature {
        /// Feature name.
        name: String,
    },
    /// A `{"features": {…}}` input lacks a feature the schema declares.
    #[error("the input lacks feature `{name}` that the model's schema declares")]
    MissingFeature {
        /// Feature name.
        name: String,
    },
    /// A `{"features": {…}}` input names a feature the schema does not declare.
    #[error("the input has feature `{name}` that the model's schema does not declare (known: {known})")]
    UnknownFeature {
        /// Feature name.
        name: String,
        /// The schema's feature names, comma separated.
        known: String,
    },
    /// A file could not be read or written.
    #[error("cannot access `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A JSON document does not parse.
    #[error("malformed JSON in {what} at line {line}, column {column}: {message}")]
    Json {
        /// What was being read (a file name, "input", …).
        what: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// An input or calibration document parses but does not have an accepted shape.
    #[error("invalid input in {what}: {message}")]
    InvalidInput {
        /// What was being read.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// A feature schema is malformed or inconsistent.
    #[error("invalid feature schema: {0}")]
    InvalidSchema(String),
    /// The ONNX file is not a decodable ONNX protobuf.
    #[error("`{path}` is not a valid ONNX model (corrupt or truncated file?): {message}")]
    OnnxDecode {
        /// The file (or "<bytes>").
        path: String,
        /// The decoder's message.
        message: String,
    },
    /// The ONNX graph uses an operator this importer does not support.
    #[error("node `{node}`: operator `{op}` is not supported; supported operators: {supported}")]
    UnsupportedOp {
        /// Node name (or its index when unnamed).
        node: String,
        /// ONNX operator type (with its domain when not the default one).
        op: String,
        /// The supported operators, comma separated.
        supported: String,
    },
    /// A supported operator is used in a way the importer cannot represent.
    #[error("node `{node}` ({op}): {reason}; supported operators: {supported}")]
    UnsupportedNode {
        /// Node name (or its index when unnamed).
        node: String,
        /// ONNX operator type.
        op: String,
        /// Why the node cannot be imported.
        reason: String,
        /// The supported operators, comma separated.
        supported: String,
    },
    /// The ONNX graph as a whole cannot be imported (inputs, outputs, shapes, opset).
    #[error("unsupported ONNX graph: {0}")]
    UnsupportedGraph(String),
    /// The float graph is inconsistent (shapes, operator order).
    #[error("invalid model graph: {0}")]
    InvalidGraph(String),
    /// Calibration data is missing or unusable.
    #[error("calibration: {0}")]
    Calibration(String),
    /// One calibration row is unusable.
    #[error("calibration row {row}: {source}")]
    CalibrationRow {
        /// 0-based row index.
        row: usize,
        /// What is wrong with it.
        source: Box<ModelError>,
    },
    /// One row of a data set (e.g. held-out rows) is unusable.
    #[error("row {row}: {source}")]
    DataRow {
        /// 0-based row index.
        row: usize,
        /// What is wrong with it.
        source: Box<ModelError>,
    },
    /// The model cannot be quantized within the fixed-point limits.
    #[error("quantization of layer {layer}: {message}")]
    Quantization {
        /// 0-based dense layer index.
        layer: usize,
        /// What overflowed or is unrepresentable.
        message: String,
    },
    /// The requested output specification does not fit the model.
    #[error("invalid output specification: {0}")]
    InvalidOutputSpec(String),
    /// The text of an output request (`auto`, `vector`, `argmax`, `threshold:VALUE[:INDEX]`)
    /// does not parse.
    #[error("invalid output request `{text}`: {reason}")]
    InvalidOutputRequest {
        /// The text.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A quantized model is structurally inconsistent (e.g. a hand-edited package).
    #[error("invalid quantized model: {0}")]
    InvalidModel(String),
    /// A model package could not be read, or is inconsistent.
    #[error("model package `{}`: {message}", path.display())]
    Package {
        /// The package directory or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl ModelError {
    /// Wraps a serde_json error with its line and column.
    pub fn json(what: impl Into<String>, err: &serde_json::Error) -> Self {
        // serde_json's Display appends " at line L column C"; the variant prints those itself.
        let full = err.to_string();
        let suffix = format!(" at line {} column {}", err.line(), err.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
        ModelError::Json { what: what.into(), line: err.line(), column: err.column(), message }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io { path: path.into(), source }
    }
}
