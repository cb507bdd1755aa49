//! The model package: what `loopx compile` writes and every later command reads.
//!
//! A package is a directory holding `model.json` (pretty JSON): the quantized model, its feature
//! schema, the quantization report, a summary of the source graph, and the `model_id` — the
//! Keccak-256 of a canonical binary encoding of the quantized model, which names the model in
//! proofs and on chain. Loading re-validates the model and recomputes the id, so a hand-edited
//! package is refused rather than proven against.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

use crate::error::ModelError;
use crate::graph::Graph;
#[cfg(feature = "onnx")]
use crate::input::load_rows;
use crate::input::parse_input_row;
#[cfg(feature = "onnx")]
use crate::onnx::load_onnx;
use crate::quantize::{quantize, OutputRequest, QuantizationReport};
use crate::quantized::{Activation, OutputSpec, QuantizedModel};
use crate::schema::Schema;

/// Version of the package format this crate reads and writes.
pub const PACKAGE_FORMAT_VERSION: u32 = 1;
/// File name of the package inside its directory.
pub const PACKAGE_FILE: &str = "model.json";
/// Domain tag that starts the canonical encoding hashed into the model id.
const MODEL_ID_DOMAIN: &[u8] = b"loopx-quantized-model-v1";

/// Where the float model came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphSummary {
    /// Producer of the ONNX file (empty for graphs built in code).
    pub producer: String,
    /// ONNX opset, if imported.
    pub opset: Option<i64>,
    /// Name of the input tensor.
    pub input_name: String,
    /// Number of input features.
    pub inputs: usize,
    /// Width of the graph's output.
    pub outputs: usize,
    /// One line per op: `name: Op in→out`.
    pub ops: Vec<String>,
}

impl GraphSummary {
    /// Summarises a graph.
    pub fn of(graph: &Graph, producer: impl Into<String>, opset: Option<i64>) -> Self {
        GraphSummary {
            producer: producer.into(),
            opset,
            input_name: graph.input_name().to_string(),
            inputs: graph.inputs(),
            outputs: graph.output_len(),
            ops: graph.describe(),
        }
    }
}

/// A compiled wallet model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelPackage {
    /// [`PACKAGE_FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// Human-readable model name.
    pub name: String,
    /// `0x`-prefixed Keccak-256 of the quantized model (see [`model_id`]).
    pub model_id: String,
    /// The model the circuit proves.
    pub quantized: QuantizedModel,
    /// Feature names, units and ranges, if the model was compiled with a schema.
    pub schema: Option<Schema>,
    /// Scales and agreement on the calibration rows.
    pub report: QuantizationReport,
    /// The source graph.
    pub source: GraphSummary,
    /// What the circuit's layout optimises for (`loopx compile --optimize`). Packages written
    /// before the option were laid out for gas.
    #[serde(default = "LayoutGoal::before_the_option")]
    pub layout: LayoutGoal,
}

/// What the circuit's layout optimises for; the layouter (`loopx-circuits`) interprets it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayoutGoal {
    /// The cheapest on-chain verification: fewest committed columns.
    Gas,
    /// The least proving work, whatever the verifier costs.
    Speed,
    /// The least proving work among layouts whose verifier costs at most a documented margin
    /// more gas than the cheapest.
    #[default]
    Balanced,
}

impl LayoutGoal {
    /// Every goal, as `loopx compile --optimize` names them.
    pub const ALL: [LayoutGoal; 3] = [LayoutGoal::Gas, LayoutGoal::Speed, LayoutGoal::Balanced];

    /// The layout of packages written before the option existed.
    pub fn before_the_option() -> Self {
        LayoutGoal::Gas
    }

    /// The goal's name.
    pub fn name(self) -> &'static str {
        match self {
            LayoutGoal::Gas => "gas",
            LayoutGoal::Speed => "speed",
            LayoutGoal::Balanced => "balanced",
        }
    }
}

/// Imports an ONNX model, quantizes it with `calibration_rows`, and packages it (what
/// `loopx compile` does).
#[cfg(feature = "onnx")]
pub fn compile(
    onnx_path: impl AsRef<Path>,
    calibration_rows: &[Vec<f64>],
    schema: Option<Schema>,
    output: &OutputRequest,
    name: &str,
) -> Result<(ModelPackage, QuantizationReport), ModelError> {
    let onnx = load_onnx(onnx_path)?;
    let source = GraphSummary::of(&onnx.graph, onnx.producer.clone(), Some(onnx.opset));
    ModelPackage::from_graph(&onnx.graph, source, calibration_rows, schema, output, name)
}

/// [`compile`] from files: the ONNX model, a calibration file (any shape `input` accepts) and an
/// optional schema file (TOML, or JSON by extension).
#[cfg(feature = "onnx")]
pub fn compile_files(
    onnx_path: impl AsRef<Path>,
    calibration_path: impl AsRef<Path>,
    schema_path: Option<&Path>,
    output: &OutputRequest,
    name: &str,
) -> Result<(ModelPackage, QuantizationReport), ModelError> {
    let onnx = load_onnx(onnx_path)?;
    let schema = schema_path.map(Schema::load).transpose()?;
    let rows = load_rows(calibration_path, schema.as_ref(), onnx.graph.inputs())?;
    let source = GraphSummary::of(&onnx.graph, onnx.producer.clone(), Some(onnx.opset));
    ModelPackage::from_graph(&onnx.graph, source, &rows, schema, output, name)
}

/// The wallet models bundled in `fixtures/` (each as `NAME.onnx`, `NAME.calibration.json`,
/// `NAME.schema.toml`, `NAME.input.json`, `NAME.heldout.json`), the default one first.
pub const BUNDLED_MODELS: [&str; 4] = ["risk_mlp", "sybil_lr", "credit_mlp", "sybil_gbt"];

/// Compiles the model `NAME` laid out as the bundled fixtures are: `dir/NAME.onnx`, calibrated
/// on `dir/NAME.calibration.json`, with `dir/NAME.schema.toml` when it exists; output `Auto`.
#[cfg(feature = "onnx")]
pub fn compile_named(
    dir: impl AsRef<Path>,
    name: &str,
) -> Result<(ModelPackage, QuantizationReport), ModelError> {
    let file = |suffix: &str| dir.as_ref().join(format!("{name}.{suffix}"));
    let schema = file("schema.toml");
    let schema = schema.exists().then_some(schema);
    compile_files(file("onnx"), file("calibration.json"), schema.as_deref(), &OutputRequest::Auto, name)
}

impl ModelPackage {
    /// Quantizes a float graph (imported or built in code) and packages it.
    pub fn from_graph(
        graph: &Graph,
        source: GraphSummary,
        calibration_rows: &[Vec<f64>],
        schema: Option<Schema>,
        output: &OutputRequest,
        name: &str,
    ) -> Result<(Self, QuantizationReport), ModelError> {
        let (quantized, report) = quantize(graph, calibration_rows, schema.as_ref(), output)?;
        let package = ModelPackage {
            format_version: PACKAGE_FORMAT_VERSION,
            name: name.to_string(),
            model_id: model_id(&quantized),
            quantized,
            schema,
            report: report.clone(),
            source,
            layout: LayoutGoal::default(),
        };
        Ok((package, report))
    }

    /// Number of input features.
    pub fn features(&self) -> usize {
        self.quantized.inputs.len()
    }

    /// Checks and quantizes one float row: the schema's ranges (errors name the feature), then
    /// the quantized ranges.
    pub fn quantize_row(&self, row: &[f64]) -> Result<Vec<i64>, ModelError> {
        if let Some(schema) = &self.schema {
            schema.check_row(row)?;
        }
        self.quantized.quantize_features(row)
    }

    /// Parses an input document (EZKL `input_data`, or `features` by name) into quantized features.
    pub fn input_from_json(&self, text: &str, what: &str) -> Result<Vec<i64>, ModelError> {
        let row = parse_input_row(text, what, self.schema.as_ref(), self.features())?;
        self.quantize_row(&row)
    }

    /// Reads an input file into quantized features.
    pub fn load_input(&self, path: impl AsRef<Path>) -> Result<Vec<i64>, ModelError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
        self.input_from_json(&text, &path.display().to_string())
    }

    /// Writes `dir/model.json` (creating `dir`), atomically; returns the file's path.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<PathBuf, ModelError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
        let path = dir.join(PACKAGE_FILE);
        let tmp = dir.join(format!(".{PACKAGE_FILE}.tmp"));
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| ModelError::Package { path: path.clone(), message: e.to_string() })?;
        std::fs::write(&tmp, json + "\n").map_err(|e| ModelError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| ModelError::io(&path, e))?;
        Ok(path)
    }

    /// Reads a package from its directory (or directly from its `model.json`) and re-validates it.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, ModelError> {
        let dir = dir.as_ref();
        let fail = |path: &Path, message: String| ModelError::Package { path: path.to_path_buf(), message };
        if !dir.exists() {
            return Err(fail(dir, "does not exist; create it with `loopx compile`".into()));
        }
        let path = if dir.is_dir() { dir.join(PACKAGE_FILE) } else { dir.to_path_buf() };
        if !path.is_file() {
            return Err(fail(dir, format!("holds no {PACKAGE_FILE}; create it with `loopx compile`")));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| ModelError::io(&path, e))?;
        Self::parse_json(&text, &path)
    }

    /// Parses the text of a `model.json` and re-validates it, as [`ModelPackage::load`] does
    /// (errors name the file as `model.json`).
    pub fn from_json_str(text: &str) -> Result<Self, ModelError> {
        Self::parse_json(text, Path::new(PACKAGE_FILE))
    }

    /// [`ModelPackage::from_json_str`] with errors naming `path`.
    fn parse_json(text: &str, path: &Path) -> Result<Self, ModelError> {
        let fail = |message: String| ModelError::Package { path: path.to_path_buf(), message };
        let what = path.display().to_string();
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| ModelError::json(&what, &e))?;
        match value.get("format_version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(PACKAGE_FORMAT_VERSION) => {}
            Some(v) => {
                return Err(fail(format!(
                    "format version {v} is not supported (this build reads {PACKAGE_FORMAT_VERSION}); recompile the model"
                )))
            }
            None => return Err(fail("not a model package (no `format_version`)".into())),
        }
        let package: ModelPackage = serde_json::from_str(text).map_err(|e| ModelError::json(&what, &e))?;
        package.validate().map_err(|e| fail(e.to_string()))?;
        Ok(package)
    }

    /// Checks the quantized model, the schema's agreement with it, and the model id.
    pub fn validate(&self) -> Result<(), ModelError> {
        self.quantized.validate()?;
        if let Some(schema) = &self.schema {
            schema.validate()?;
            if schema.len() != self.features() {
                return Err(ModelError::InvalidSchema(format!(
                    "the schema declares {} features but the model takes {}",
                    schema.len(),
                    self.features()
                )));
            }
        }
        let id = model_id(&self.quantized);
        if id != self.model_id {
            return Err(ModelError::InvalidModel(format!(
                "model_id {} does not match the model's hash {id}; the package was modified",
                self.model_id
            )));
        }
        Ok(())
    }
}

/// `0x`-prefixed hex of [`model_id_bytes`].
pub fn model_id(model: &QuantizedModel) -> String {
    format!("0x{}", hex::encode(model_id_bytes(model)))
}

/// Keccak-256 of [`canonical_encoding`].
pub fn model_id_bytes(model: &QuantizedModel) -> [u8; 32] {
    Keccak256::digest(canonical_encoding(model)).into()
}

/// A canonical binary encoding of everything that defines the model's computation and interface:
/// a domain tag, then inputs (name, scale, range), layers (shape, weights, bias, shift, scale,
/// activation with its parameters) and the output spec. Integers are big-endian, counts `u64`,
/// strings length-prefixed UTF-8. Bounds are omitted: they are derived from the rest.
pub fn canonical_encoding(model: &QuantizedModel) -> Vec<u8> {
    let mut out = Vec::new();
    let u64_ = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_be_bytes());
    let i64_ = |out: &mut Vec<u8>, v: i64| out.extend_from_slice(&v.to_be_bytes());
    out.extend_from_slice(MODEL_ID_DOMAIN);
    u64_(&mut out, model.inputs.len() as u64);
    for input in &model.inputs {
        u64_(&mut out, input.name.len() as u64);
        out.extend_from_slice(input.name.as_bytes());
        u64_(&mut out, u64::from(input.scale_bits));
        i64_(&mut out, input.min);
        i64_(&mut out, input.max);
    }
    u64_(&mut out, model.layers.len() as u64);
    for layer in &model.layers {
        u64_(&mut out, layer.outputs() as u64);
        u64_(&mut out, layer.inputs() as u64);
        for w in layer.weights.iter().flatten() {
            i64_(&mut out, *w);
        }
        for b in &layer.bias {
            i64_(&mut out, *b);
        }
        u64_(&mut out, u64::from(layer.shift));
        u64_(&mut out, u64::from(layer.pre_scale_bits));
        encode_activation(&mut out, &layer.activation);
        // Two-part activations were added later: layers without a lead keep their encoding.
        if let Some(lead) = &layer.lead {
            out.extend_from_slice(b"lead");
            u64_(&mut out, lead.outputs as u64);
            encode_activation(&mut out, &lead.activation);
        }
    }
    // Tree ensembles were added later: models without one keep their original id.
    if let Some(trees) = &model.trees {
        out.extend_from_slice(b"trees");
        u64_(&mut out, u64::from(trees.depth));
        u64_(&mut out, u64::from(trees.leaf_scale_bits));
        u64_(&mut out, trees.base.len() as u64);
        for b in &trees.base {
            i64_(&mut out, *b);
        }
        u64_(&mut out, trees.trees.len() as u64);
        for tree in &trees.trees {
            for s in &tree.splits {
                u64_(&mut out, s.feature as u64);
                i64_(&mut out, s.threshold);
            }
            u64_(&mut out, tree.targets.len() as u64);
            for t in &tree.targets {
                u64_(&mut out, *t as u64);
            }
            for v in tree.leaves.iter().flatten() {
                i64_(&mut out, *v);
            }
        }
    }
    match &model.output {
        OutputSpec::Vector => out.push(0),
        OutputSpec::ArgMax => out.push(1),
        OutputSpec::Threshold { index, threshold } => {
            out.push(2);
            u64_(&mut out, *index as u64);
            i64_(&mut out, *threshold);
        }
    }
    out
}

/// One activation's tag and parameters.
fn encode_activation(out: &mut Vec<u8>, activation: &Activation) {
    let mut table = |tag: u8, table: &crate::ActivationTable| {
        out.push(tag);
        out.extend_from_slice(&table.half_range.to_be_bytes());
        out.extend_from_slice(&u64::from(table.out_scale_bits).to_be_bytes());
        out.extend_from_slice(&(table.values.len() as u64).to_be_bytes());
        for v in &table.values {
            out.extend_from_slice(&v.to_be_bytes());
        }
    };
    match activation {
        Activation::Identity => out.push(0),
        Activation::Relu => out.push(1),
        Activation::Clip { lo, hi } => {
            out.push(2);
            out.extend_from_slice(&lo.to_be_bytes());
            out.extend_from_slice(&hi.to_be_bytes());
        }
        Activation::Sigmoid(t) => table(3, t),
        Activation::SoftplusTail(t) => table(4, t),
    }
}
