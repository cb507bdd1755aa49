//! ONNX import of hand-built protobufs: supported chains evaluate like the ONNX semantics, and
//! every unsupported or corrupt file is a clear error, never a panic.

mod common;

use common::value;
use loopx_models::onnx::import_onnx_proto;
use loopx_models::{import_onnx_bytes, load_onnx, ModelError};
use prost::Message;
use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, AttributeProto, GraphProto, ModelProto,
    NodeProto, OperatorSetIdProto, TensorProto,
};

fn tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: values.to_vec(),
        ..Default::default()
    }
}

fn raw_tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn attr_i(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i, ..Default::default() }
}

fn attr_f(name: &str, f: f32) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Float as i32, f, ..Default::default() }
}

fn node(op: &str, name: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: name.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute,
        ..Default::default()
    }
}

fn model(
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    features: i64,
    output: &str,
    opset: i64,
) -> ModelProto {
    ModelProto {
        ir_version: 8,
        producer_name: "loopx-tests".into(),
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: opset }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: nodes,
            initializer: inits,
            input: vec![value("x", &[None, Some(features)])],
            output: vec![value(output, &[None, None])],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `Sub(mean) → Div(std) → Gemm(transB) → Relu → MatMul → Add → Sigmoid`, 3 → 2 → 1.
fn mlp_proto() -> ModelProto {
    model(
        vec![
            node("Sub", "center", &["x", "mean"], "c", vec![]),
            node("Div", "scale", &["c", "std"], "z", vec![]),
            node("Gemm", "fc1", &["z", "w1", "b1"], "h", vec![attr_i("transB", 1), attr_f("alpha", 2.0)]),
            node("Relu", "relu", &["h"], "r", vec![]),
            node("MatMul", "fc2", &["r", "w2"], "m", vec![]),
            node("Add", "bias2", &["b2", "m"], "l", vec![]),
            node("Sigmoid", "sigmoid", &["l"], "p", vec![]),
        ],
        vec![
            tensor("mean", &[1, 3], &[1.0, 2.0, 3.0]),
            tensor("std", &[3], &[2.0, 4.0, 0.5]),
            tensor("w1", &[2, 3], &[0.5, -1.0, 0.25, 1.0, 1.0, -0.5]),
            raw_tensor("b1", &[2], &[0.1, -0.2]),
            tensor("w2", &[2, 1], &[1.5, -2.0]),
            tensor("b2", &[], &[0.3]),
        ],
        3,
        "p",
        13,
    )
}

fn mlp_reference(x: [f64; 3]) -> f64 {
    let z = [(x[0] - 1.0) / 2.0, (x[1] - 2.0) / 4.0, (x[2] - 3.0) / 0.5];
    let w1 = [[0.5, -1.0, 0.25], [1.0, 1.0, -0.5]];
    let b1 = [0.1f32 as f64, -0.2f32 as f64];
    let h: Vec<f64> =
        (0..2).map(|j| (2.0 * (0..3).map(|i| w1[j][i] * z[i]).sum::<f64>() + b1[j]).max(0.0)).collect();
    let l = 1.5 * h[0] - 2.0 * h[1] + 0.3f32 as f64;
    1.0 / (1.0 + (-l).exp())
}

fn import(proto: &ModelProto) -> Result<loopx_models::OnnxModel, ModelError> {
    import_onnx_bytes(&proto.encode_to_vec(), "test.onnx")
}

#[test]
fn imports_a_normalised_mlp_and_evaluates_like_onnx() {
    let m = import(&mlp_proto()).expect("import");
    assert_eq!((m.graph.inputs(), m.graph.output_len(), m.opset), (3, 1, 13));
    assert_eq!(m.producer, "loopx-tests");
    for x in [[1.0, 2.0, 3.0], [4.0, -1.0, 2.5], [0.0, 7.0, 3.2]] {
        let got = m.graph.eval(&x).expect("eval")[0];
        assert!((got - mlp_reference(x)).abs() < 1e-9, "{got} vs {}", mlp_reference(x));
    }
}

#[test]
fn imports_constants_clip_batchnorm_shape_ops_and_classifier_head() {
    let constant = |name: &str, out: &str, a: AttributeProto| node("Constant", name, &[], out, vec![a]);
    let value_t =
        AttributeProto { name: "value".into(), t: Some(tensor("", &[], &[-1.0])), ..Default::default() };
    let proto = model(
        vec![
            constant("lo", "lo", value_t),
            constant("hi", "hi", attr_f("value_float", 1.0)),
            node("Flatten", "flat", &["x"], "f", vec![attr_i("axis", 1)]),
            node(
                "BatchNormalization",
                "bn",
                &["f", "s", "b", "mu", "var"],
                "n",
                vec![attr_f("epsilon", 0.0)],
            ),
            node("Clip", "clip", &["n", "lo", "hi"], "k", vec![]),
            node("Identity", "id", &["k"], "i", vec![]),
            node("Reshape", "reshape", &["i", "shape"], "rs", vec![]),
            node("Cast", "cast", &["rs"], "cs", vec![attr_i("to", 1)]),
            node("Mul", "neg", &["cs", "minus"], "ng", vec![]),
            node("Softmax", "softmax", &["ng"], "sm", vec![attr_i("axis", -1)]),
            node("ArgMax", "argmax", &["sm"], "cls", vec![attr_i("axis", 1), attr_i("keepdims", 1)]),
        ],
        vec![
            tensor("s", &[2], &[2.0, 1.0]),
            tensor("b", &[2], &[0.0, 0.5]),
            tensor("mu", &[2], &[1.0, 0.0]),
            tensor("var", &[2], &[4.0, 1.0]),
            TensorProto {
                name: "shape".into(),
                dims: vec![2],
                data_type: DataType::Int64 as i32,
                int64_data: vec![1, -1],
                ..Default::default()
            },
            TensorProto {
                name: "minus".into(),
                dims: vec![1],
                data_type: DataType::Double as i32,
                double_data: vec![-1.0],
                ..Default::default()
            },
        ],
        2,
        "cls",
        13,
    );
    let m = import(&proto).expect("import");
    // bn: [(x0-1)·2/2, x1 + 0.5] → clip to [-1, 1] → negate → argmax = index of the smaller.
    assert_eq!(m.graph.eval(&[3.0, -0.2]).expect("eval"), vec![1.0]);
    assert_eq!(m.graph.eval(&[0.5, 0.3]).expect("eval"), vec![0.0]);
    assert!(m.graph.has_classifier_head());
    assert_eq!(m.graph.scores_len(), 2);
}

#[test]
fn clip_bounds_come_from_attributes_before_opset_11() {
    let proto = model(
        vec![node("Clip", "clip", &["x"], "y", vec![attr_f("min", 0.0), attr_f("max", 6.0)])],
        vec![],
        2,
        "y",
        9,
    );
    assert_eq!(import(&proto).expect("import").graph.eval(&[-3.0, 9.0]).expect("eval"), vec![0.0, 6.0]);
}

fn expect_node_error(proto: &ModelProto, node: &str, op: &str, words: &str) {
    let err = import(proto).expect_err("must fail");
    let msg = err.to_string();
    assert!(msg.contains(&format!("`{node}`")) && msg.contains(op) && msg.contains(words), "{msg}");
    assert!(msg.contains("supported operators: Gemm, MatMul"), "{msg}");
}

#[test]
fn unsupported_op_error_names_the_node_and_the_op() {
    let mut proto = mlp_proto();
    let g = proto.graph.as_mut().expect("graph");
    g.node[3] = node("Elu", "act1", &["h"], "r", vec![]);
    let err = import(&proto).expect_err("elu");
    assert!(matches!(&err, ModelError::UnsupportedOp { node, op, .. } if node == "act1" && op == "Elu"));
    expect_node_error(&proto, "act1", "Elu", "not supported");
}

#[test]
fn non_chain_graphs_are_refused() {
    // A residual connection: Add(h, x) reads two tensors.
    let proto = model(
        vec![node("Relu", "relu", &["x"], "h", vec![]), node("Add", "residual", &["h", "x"], "y", vec![])],
        vec![],
        2,
        "y",
        13,
    );
    expect_node_error(&proto, "relu", "node `residual` (Add)", "two tensor inputs");
    let proto = model(vec![node("Add", "double", &["x", "x"], "y", vec![])], vec![], 2, "y", 13);
    expect_node_error(&proto, "double", "Add", "twice");
    let proto = model(
        vec![node("Div", "inv", &["one", "x"], "y", vec![])],
        vec![tensor("one", &[], &[1.0])],
        2,
        "y",
        13,
    );
    expect_node_error(&proto, "inv", "Div", "not affine");
    let proto = model(
        vec![node("Gemm", "fc", &["x", "w"], "y", vec![attr_i("transA", 1)])],
        vec![tensor("w", &[2, 2], &[1.0; 4])],
        2,
        "y",
        13,
    );
    expect_node_error(&proto, "fc", "Gemm", "transA");
    let proto = model(
        vec![node("MatMul", "mm", &["x", "w"], "y", vec![])],
        vec![tensor("w", &[3, 2], &[1.0; 6])],
        2,
        "y",
        13,
    );
    expect_node_error(&proto, "mm", "MatMul", "width 2");
    let proto = model(
        vec![node("Reshape", "rs", &["x", "s"], "y", vec![])],
        vec![tensor("s", &[2], &[1.0, 3.0])],
        2,
        "y",
        13,
    );
    expect_node_error(&proto, "rs", "Reshape", "target shape");
    let proto = model(
        vec![
            node("ArgMax", "am", &["x"], "a", vec![attr_i("axis", 1)]),
            node("Relu", "relu", &["a"], "y", vec![]),
        ],
        vec![],
        2,
        "y",
        13,
    );
    assert!(matches!(import(&proto), Err(ModelError::InvalidGraph(m)) if m.contains("ArgMax")));
}

#[test]
fn graph_level_problems_are_refused() {
    let mut two_inputs = mlp_proto();
    two_inputs.graph.as_mut().expect("g").input.push(value("y", &[None, Some(3)]));
    assert!(matches!(import(&two_inputs), Err(ModelError::UnsupportedGraph(m)) if m.contains("2 inputs")));
    let mut dynamic = mlp_proto();
    dynamic.graph.as_mut().expect("g").input[0] = value("x", &[None, None]);
    assert!(matches!(import(&dynamic), Err(ModelError::UnsupportedGraph(m)) if m.contains("dynamic")));
    let mut batch = mlp_proto();
    batch.graph.as_mut().expect("g").input[0] = value("x", &[Some(5), Some(3)]);
    assert!(matches!(import(&batch), Err(ModelError::UnsupportedGraph(m)) if m.contains("batch of 5")));
    let mut rank1 = mlp_proto();
    rank1.graph.as_mut().expect("g").input[0] = value("x", &[Some(3)]);
    assert!(import(&rank1).is_ok());
    let mut old = mlp_proto();
    old.opset_import[0].version = 3;
    assert!(matches!(import(&old), Err(ModelError::UnsupportedGraph(m)) if m.contains("opset 3")));
    let mut missing = mlp_proto();
    missing.graph.as_mut().expect("g").initializer.remove(0);
    expect_node_error(&missing, "center", "Sub", "`mean`");
    let mut wrong_output = mlp_proto();
    wrong_output.graph.as_mut().expect("g").output[0].name = "h".into();
    assert!(import(&wrong_output).is_err());
    let mut bad_tensor = mlp_proto();
    bad_tensor.graph.as_mut().expect("g").initializer[0].float_data.pop();
    assert!(matches!(import(&bad_tensor), Err(ModelError::UnsupportedGraph(m)) if m.contains("mean")));
    let mut external = mlp_proto();
    external.graph.as_mut().expect("g").initializer[2].data_location = Some(1);
    assert!(matches!(import(&external), Err(ModelError::UnsupportedGraph(m)) if m.contains("external")));
    assert!(import_onnx_proto(&ModelProto::default()).is_err());
}

#[test]
fn truncated_or_corrupt_files_are_errors_not_panics() {
    let bytes = mlp_proto().encode_to_vec();
    let half = import_onnx_bytes(&bytes[..bytes.len() / 2], "half.onnx").expect_err("truncated");
    assert!(
        half.to_string().contains("half.onnx") || matches!(half, ModelError::UnsupportedGraph(_)),
        "{half}"
    );
    // Every prefix, and every single-byte corruption, is handled without panicking.
    for cut in 0..bytes.len() {
        let _ = import_onnx_bytes(&bytes[..cut], "prefix");
    }
    for i in 0..bytes.len() {
        let mut corrupt = bytes.clone();
        corrupt[i] ^= 0xa5;
        let _ = import_onnx_bytes(&corrupt, "corrupt");
    }
    assert!(matches!(
        import_onnx_bytes(b"not an onnx file at all", "junk"),
        Err(ModelError::OnnxDecode { .. })
    ));
}

#[test]
fn bundled_model_cut_in_half_is_a_clear_error() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/risk_mlp.onnx");
    let bytes = std::fs::read(&path).expect("fixture");
    let err = import_onnx_bytes(&bytes[..bytes.len() / 2], "risk_mlp.onnx").expect_err("truncated");
    assert!(!err.to_string().is_empty());
    assert!(matches!(load_onnx("/nonexistent/model.onnx"), Err(ModelError::Io { .. })));
}
