//! Wallet-profile models for LoopX prover: a small tensor-op IR, ONNX import, float reference
//! inference, fixed-point quantization with calibration, and wallet feature schemas.
//!
//! This crate knows nothing of halo2: it hands the circuits a [`QuantizedModel`] whose integer
//! inference is bit-exact with what the circuit constrains.
//!
//! The path of a model: [`load_onnx`] (or [`Graph::mlp`]) gives a float [`Graph`];
//! [`quantize()`] lowers it to dense layers and picks fixed-point scales from calibration rows;
//! [`ModelPackage`] stores the result with its [`Schema`] and [`QuantizationReport`] under a
//! [`model_id`]. [`compile`] / [`compile_files`] do all of it, as `loopx compile` does.
//!
//! Modules: [`graph`] (float IR and inference), [`onnx`] (import), [`lower`] (folding into dense
//! layers), [`mod@quantize`] (scales, report), [`quantized`] (the integer model the circuit proves),
//! [`schema`], [`input`] (input and calibration files), [`package`].

// Dependency lists stay honest; test builds see the dev-dependencies too, so they are exempt.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod activation;
pub mod error;
pub mod graph;
pub mod input;
pub mod lower;
#[cfg(feature = "onnx")]
pub mod onnx;
#[cfg(feature = "onnx")]
mod onnx_constant;
#[cfg(feature = "onnx")]
mod onnx_ml;
#[cfg(feature = "onnx")]
mod onnx_outputs;
pub mod package;
pub mod quantize;
pub mod quantized;
pub mod schema;
pub mod trees;

pub use error::ModelError;
pub use graph::{Graph, Node, Op};
pub use input::{load_input_row, load_rows, parse_input_row, parse_rows};
#[cfg(feature = "onnx")]
pub use onnx::{import_onnx_bytes, load_onnx, OnnxModel, SUPPORTED_OPS};
#[cfg(feature = "onnx")]
pub use package::{compile, compile_files, compile_named, BUNDLED_MODELS};
pub use package::{model_id, GraphSummary, LayoutGoal, ModelPackage, PACKAGE_FILE, PACKAGE_FORMAT_VERSION};
pub use quantize::{agreement_on_rows, quantize, Agreement, LayerScales, OutputRequest, QuantizationReport};
pub use quantized::{
    Activation, ActivationTable, Bounds, DenseLayer, InferenceTrace, LayerTrace, LeadActivation, OutputSpec,
    QuantizedInput, QuantizedModel,
};
pub use schema::{FeatureSpec, Schema, SchemaId, SCHEMA_ENCODING_FORMAT};
pub use trees::{
    QuantizedSplit, QuantizedTree, QuantizedTrees, SplitRule, Tree, TreeEnsemble, TreeNode, TreePath,
    TreesTrace,
};
