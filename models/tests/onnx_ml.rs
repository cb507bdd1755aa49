//! ONNX-ML tree ensembles built by hand: the attribute forms converters other than skl2onnx
//! write (`<` and `≥` splits, nodes out of order, `AVERAGE`, softmax) evaluate as the ONNX-ML
//! spec says, and unsupported or inconsistent attributes are clear errors naming the node.

mod common;

use common::value;
use loopx_models::{import_onnx_bytes, ModelError, OnnxModel};
use prost::Message;
use tract_onnx::pb::{
    attribute_proto::AttributeType, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
};

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn floats(name: &str, v: &[f32]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Floats as i32,
        floats: v.to_vec(),
        ..Default::default()
    }
}

fn string(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::String as i32,
        s: s.into(),
        ..Default::default()
    }
}

fn strings(name: &str, v: &[&str]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Strings as i32,
        strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..Default::default()
    }
}

fn import(op: &str, attribute: Vec<AttributeProto>, outputs: &[&str]) -> Result<OnnxModel, ModelError> {
    let node = NodeProto {
        op_type: op.into(),
        domain: "ai.onnx.ml".into(),
        name: "trees".into(),
        input: vec!["x".into()],
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute,
        ..Default::default()
    };
    let proto = ModelProto {
        ir_version: 8,
        opset_import: vec![
            OperatorSetIdProto { domain: String::new(), version: 13 },
            OperatorSetIdProto { domain: "ai.onnx.ml".into(), version: 3 },
        ],
        graph: Some(GraphProto {
            node: vec![node],
            input: vec![value("x", &[None, Some(2)])],
            output: outputs.iter().map(|o| value(o, &[None, Some(1)])).collect(),
            ..Default::default()
        }),
        ..Default::default()
    };
    import_onnx_bytes(&proto.encode_to_vec(), "trees.onnx")
}

/// Two trees, nodes listed out of order (the root, id 0, comes last in tree 1):
/// tree 0: `x0 < 1.5 ? 10 : (x1 >= 0 ? 20 : 30)`; tree 1: `x1 > 2 ? 4 : 8`.
fn regressor(aggregate: &str, extra: Vec<AttributeProto>) -> Vec<AttributeProto> {
    let mut a = vec![
        ints("nodes_treeids", &[0, 0, 0, 0, 0, 1, 1, 1]),
        ints("nodes_nodeids", &[0, 1, 2, 3, 4, 2, 1, 0]),
        ints("nodes_featureids", &[0, 0, 1, 0, 0, 0, 0, 1]),
        floats("nodes_values", &[1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]),
        strings(
            "nodes_modes",
            &["BRANCH_LT", "LEAF", "BRANCH_GTE", "LEAF", "LEAF", "LEAF", "LEAF", "BRANCH_GT"],
        ),
        ints("nodes_truenodeids", &[1, 0, 3, 0, 0, 0, 0, 1]),
        ints("nodes_falsenodeids", &[2, 0, 4, 0, 0, 0, 0, 2]),
        ints("target_treeids", &[0, 0, 0, 1, 1]),
        ints("target_nodeids", &[1, 3, 4, 1, 2]),
        ints("target_ids", &[0, 0, 0, 0, 0]),
        floats("target_weights", &[10.0, 20.0, 30.0, 4.0, 8.0]),
        floats("base_values", &[0.5]),
        string("aggregate_function", aggregate),
    ];
    a.extend(extra);
    a
}

fn reference(x: [f64; 2]) -> f64 {
    let t0 = if x[0] < 1.5 {
        10.0
    } else if x[1] >= 0.0 {
        20.0
    } else {
        30.0
    };
    let t1 = if x[1] > 2.0 { 4.0 } else { 8.0 };
    t0 + t1
}

#[test]
fn lt_gte_gt_splits_out_of_order_nodes_and_average_follow_the_spec() {
    let sum = import("TreeEnsembleRegressor", regressor("SUM", vec![]), &["y"]).expect("import").graph;
    let avg = import("TreeEnsembleRegressor", regressor("AVERAGE", vec![]), &["y"]).expect("import").graph;
    for x0 in [-1.0, 1.0, 1.5, 2.0] {
        for x1 in [-1.0, 0.0, 1.0, 2.0, 3.0] {
            let want = reference([x0, x1]);
            assert_eq!(sum.eval(&[x0, x1]).expect("eval"), vec![0.5 + want], "x = ({x0}, {x1})");
            assert_eq!(avg.eval(&[x0, x1]).expect("eval"), vec![0.5 + want / 2.0], "x = ({x0}, {x1})");
        }
    }
}

#[test]
fn a_softmax_classifier_keeps_its_classes_and_drops_the_label() {
    // One stump voting for class 2 (x0 <= 0) or class 0, three classes, softmax.
    let attribute = vec![
        ints("nodes_treeids", &[0, 0, 0]),
        ints("nodes_nodeids", &[0, 1, 2]),
        ints("nodes_featureids", &[0, 0, 0]),
        floats("nodes_values", &[0.0, 0.0, 0.0]),
        strings("nodes_modes", &["BRANCH_LEQ", "LEAF", "LEAF"]),
        ints("nodes_truenodeids", &[1, 0, 0]),
        ints("nodes_falsenodeids", &[2, 0, 0]),
        ints("class_treeids", &[0, 0]),
        ints("class_nodeids", &[1, 2]),
        ints("class_ids", &[2, 0]),
        floats("class_weights", &[1.0, 1.0]),
        ints("classlabels_int64s", &[0, 1, 2]),
        string("post_transform", "SOFTMAX"),
    ];
    let g = import("TreeEnsembleClassifier", attribute, &["label", "probabilities"]).expect("import").graph;
    let kinds: Vec<&str> = g.nodes().iter().map(|n| n.op.kind()).collect();
    assert_eq!(kinds, ["TreeEnsemble", "Softmax"]);
    assert!(g.has_classifier_head());
    let p = g.eval(&[-1.0, 0.0]).expect("eval");
    assert!(p[2] > p[0] && p[2] > p[1] && (p.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{p:?}");
}

#[test]
fn unsupported_or_inconsistent_attributes_are_clear_errors() {
    let replace = |name: &str, with: AttributeProto| {
        let mut a = regressor("SUM", vec![]);
        a.retain(|x| x.name != name);
        a.push(with);
        a
    };
    let cases: Vec<(Vec<AttributeProto>, &str)> = vec![
        (regressor("MIN", vec![]), "aggregate_function MIN"),
        (
            replace(
                "nodes_modes",
                strings(
                    "nodes_modes",
                    &["BRANCH_EQ", "LEAF", "BRANCH_GTE", "LEAF", "LEAF", "LEAF", "LEAF", "BRANCH_GT"],
                ),
            ),
            "BRANCH_EQ",
        ),
        (replace("nodes_values", floats("nodes_values", &[1.5])), "`nodes_values` has 1 entries"),
        (
            replace("nodes_truenodeids", ints("nodes_truenodeids", &[9, 0, 3, 0, 0, 0, 0, 1])),
            "node 9 does not exist",
        ),
        (replace("target_nodeids", ints("target_nodeids", &[0, 3, 4, 1, 2])), "not a leaf"),
        (replace("target_ids", ints("target_ids", &[0, 0, 5, 0, 0])), "output 5"),
        (regressor("SUM", vec![string("post_transform", "PROBIT")]), "post_transform PROBIT"),
        (
            {
                let mut a = regressor("SUM", vec![]);
                a.retain(|x| x.name != "nodes_featureids");
                a
            },
            "`nodes_featureids` is missing",
        ),
        (replace("nodes_featureids", ints("nodes_featureids", &[0, 0, 7, 0, 0, 0, 0, 1])), "feature 7"),
    ];
    for (attribute, expected) in cases {
        let err = import("TreeEnsembleRegressor", attribute, &["y"]).expect_err(expected);
        let message = err.to_string();
        assert!(message.contains(expected) && message.contains("trees"), "`{message}` lacks `{expected}`");
    }
}

#[test]
fn truncated_or_corrupted_converter_files_never_panic() {
    for name in ["sybil_gbt.onnx", "tree/risk_xgb.onnx", "tree/sybil_lgbm.onnx"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(name);
        let bytes = std::fs::read(&path).expect("fixture");
        assert!(import_onnx_bytes(&bytes, name).is_ok(), "{name} imports");
        let step = (bytes.len() / 400).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = import_onnx_bytes(&bytes[..cut], name);
        }
        for i in (0..bytes.len()).step_by((bytes.len() / 3000).max(1)) {
            for mask in [0x01, 0x80, 0xff] {
                let mut corrupt = bytes.clone();
                corrupt[i] ^= mask;
                if let Ok(m) = import_onnx_bytes(&corrupt, name) {
                    // Whatever still parses must evaluate without panicking too.
                    let _ = m.graph.eval(&vec![1.0; m.graph.inputs()]);
                }
            }
        }
    }
}
