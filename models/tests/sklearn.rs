//! Real scikit-learn exports (skl2onnx, zipmap off, default opsets; `fixtures/generate_sklearn.py`)
//! and PyTorch-style MLPs with LeakyRelu, Softplus, a spelled-out softmax and 64 sigmoids
//! (`fixtures/generate_activations.py`) load unchanged: the float import matches onnxruntime, the quantized model agrees with it on
//! held-out rows from 32 calibration rows in EZKL's layout and no schema, and what the circuit
//! cannot prove is refused with a precise error.

use std::path::PathBuf;

use loopx_models::graph::row_view;
use loopx_models::{agreement_on_rows, compile, import_onnx_bytes, load_onnx, ModelError, OutputRequest};
use prost::Message;
use serde_json::Value;
use tract_onnx::pb;

/// The fixtures that import (folder under `fixtures/`, name), and whether their output is a class
/// (argmax or positive-class probability ≥ 0.5) to compare with onnxruntime's label.
const IMPORTED: [(&str, &str, bool); 12] = [
    ("sklearn", "sk_scaler_logreg", true),
    ("sklearn", "sk_scaler_logreg_multi", true),
    ("sklearn", "sk_mlp_tanh", true),
    ("sklearn", "sk_mlp_logistic_binary", true),
    ("sklearn", "sk_linreg", false),
    ("sklearn", "sk_minmax_mlp_relu", true),
    ("sklearn", "sk_scaler_gbt", true),
    ("sklearn", "sk_binarizer_logreg", true),
    ("activations", "act_leaky_relu", true),
    ("activations", "act_softplus", true),
    ("activations", "act_exp_softmax", true),
    ("activations", "act_sigmoid64", true),
];

fn fixture(folder: &str, file: String) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(folder).join(file)
}

fn dir() -> PathBuf {
    fixture("sklearn", String::new())
}

struct Heldout {
    rows: Vec<Vec<f64>>,
    /// onnxruntime's outputs: probabilities (classifiers) or predictions (the regressor).
    reference: Vec<Vec<f64>>,
    labels: Option<Vec<usize>>,
}

fn heldout(folder: &str, name: &str) -> Heldout {
    let text = std::fs::read_to_string(fixture(folder, format!("{name}.heldout.json"))).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let matrix = |v: &Value| -> Vec<Vec<f64>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
            .collect()
    };
    let reference =
        doc.get("probabilities").or_else(|| doc.get("output")).map(matrix).expect("reference outputs");
    let labels = doc
        .get("label")
        .map(|l| l.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect());
    Heldout { rows: matrix(&doc["input_data"]), reference, labels }
}

#[test]
fn float_import_matches_onnxruntime() {
    for (folder, name, _) in IMPORTED {
        let onnx =
            load_onnx(fixture(folder, format!("{name}.onnx"))).unwrap_or_else(|e| panic!("{name}: {e}"));
        let h = heldout(folder, name);
        let mut worst = 0.0f64;
        for (row, reference) in h.rows.iter().zip(&h.reference) {
            let ours = onnx.graph.eval_rows(row_view(row)).unwrap().into_raw_vec_and_offset().0;
            // A binary classifier is imported as P(positive) — the second of onnxruntime's pair.
            let expected: &[f64] =
                if ours.len() == 1 && reference.len() == 2 { &reference[1..] } else { reference };
            assert_eq!(ours.len(), expected.len(), "{name}");
            for (a, b) in ours.iter().zip(expected) {
                worst = worst.max((a - b).abs());
            }
        }
        eprintln!("{name}: max |float import − onnxruntime| = {worst:.2e}");
        assert!(worst <= 1e-5, "{name}: {worst}");
    }
}

#[test]
fn quantized_models_from_32_ezkl_rows_agree_with_onnxruntime_on_heldout_rows() {
    for (folder, name, classifier) in IMPORTED {
        let calibration =
            loopx_models::load_rows(fixture(folder, format!("{name}.calibration.json")), None, 24).unwrap();
        assert_eq!(calibration.len(), 32, "{name}: EZKL's flattened layout reads as 32 rows");
        let (package, _) =
            compile(fixture(folder, format!("{name}.onnx")), &calibration, None, &OutputRequest::Auto, name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let h = heldout(folder, name);
        let accepted: Vec<usize> =
            (0..h.rows.len()).filter(|i| package.quantize_row(&h.rows[*i]).is_ok()).collect();
        assert!(
            accepted.len() * 100 >= 99 * h.rows.len(),
            "{name}: {} of {} accepted",
            accepted.len(),
            h.rows.len()
        );
        let rows: Vec<Vec<f64>> = accepted.iter().map(|i| h.rows[*i].clone()).collect();
        let onnx = load_onnx(fixture(folder, format!("{name}.onnx"))).unwrap();
        let agreement = agreement_on_rows(&onnx.graph, &package.quantized, &rows).unwrap();
        if classifier {
            // The class the circuit would publish against onnxruntime's label.
            let labels = h.labels.as_ref().expect("labels");
            let same = accepted
                .iter()
                .filter(|i| {
                    let q = package.quantize_row(&h.rows[**i]).unwrap();
                    let trace = package.quantized.forward(&q).unwrap();
                    let scores = package.quantized.dequantize_vector(trace.final_vector());
                    let class = if scores.len() == 1 {
                        usize::from(scores[0] >= 0.5)
                    } else {
                        loopx_models::graph::argmax_f64(scores.iter().copied())
                    };
                    class == labels[**i]
                })
                .count();
            eprintln!("{name}: class = onnxruntime label on {same}/{} rows", accepted.len());
            assert!(same * 100 >= 99 * accepted.len(), "{name}: {same}/{}", accepted.len());
        }
        eprintln!("{name}: max |score error| {:.5}", agreement.max_abs_error);
    }
}

/// The fixture's ONNX proto with `edit` applied to the first node of type (or named) `op`.
fn edited(name: &str, op: &str, edit: impl Fn(&mut pb::NodeProto)) -> Vec<u8> {
    edited_in("sklearn", name, op, edit)
}

/// [`edited`] for a fixture of another folder.
fn edited_in(folder: &str, name: &str, op: &str, edit: impl Fn(&mut pb::NodeProto)) -> Vec<u8> {
    let bytes = std::fs::read(fixture(folder, format!("{name}.onnx"))).unwrap();
    let mut model = pb::ModelProto::decode(bytes.as_slice()).unwrap();
    let node = model
        .graph
        .as_mut()
        .unwrap()
        .node
        .iter_mut()
        .find(|n| n.op_type == op || n.name == op)
        .expect("node");
    edit(node);
    model.encode_to_vec()
}

fn set_floats(node: &mut pb::NodeProto, attr: &str, values: Vec<f32>) {
    node.attribute.iter_mut().find(|a| a.name == attr).expect("attribute").floats = values;
}

#[test]
fn what_the_circuit_cannot_prove_is_refused_precisely() {
    let refused = |bytes: &[u8], needle: &str| {
        let err = import_onnx_bytes(bytes, "model.onnx").expect_err(needle).to_string();
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
    };
    let file = |name: &str| std::fs::read(dir().join(format!("{name}.onnx"))).unwrap();
    refused(&file("sk_normalizer_logreg"), "not affine");
    let err = import_onnx_bytes(
        &edited("sk_binarizer_logreg", "Binarizer", |n| n.op_type = "Softplus".into()),
        "m",
    )
    .unwrap_err();
    assert!(matches!(err, ModelError::UnsupportedOp { ref op, .. } if op == "ai.onnx.ml.Softplus"), "{err}");
    refused(
        &edited("sk_binarizer_logreg", "Binarizer", |n| {
            n.attribute.iter_mut().find(|a| a.name == "threshold").unwrap().f = f32::NAN;
        }),
        "not a finite number",
    );
    // Malformed variants of the new ops.
    refused(
        &edited("sk_scaler_logreg", "Scaler", |n| set_floats(n, "offset", vec![1.0; 5])),
        "5 values for 24 features",
    );
    refused(
        &edited("sk_scaler_logreg", "LinearClassifier", |n| set_floats(n, "coefficients", vec![0.5; 25])),
        "coefficients",
    );
    refused(
        &edited("sk_scaler_logreg", "LinearClassifier", |n| set_floats(n, "intercepts", vec![0.5; 3])),
        "intercepts",
    );
    refused(
        &edited("sk_scaler_logreg", "LinearClassifier", |n| {
            n.attribute.iter_mut().find(|a| a.name == "post_transform").unwrap().s = b"PROBIT".to_vec();
        }),
        "PROBIT",
    );
    refused(
        &edited("sk_linreg", "LinearRegressor", |n| set_floats(n, "coefficients", vec![])),
        "coefficients",
    );
    // The binary pair must be built from the chain's probability.
    refused(&edited("sk_mlp_logistic_binary", "Concat", |n| n.input.swap(0, 1)), "not supported");

    // Activations: a slope that is no number; a softmax spelled over the wrong axis, or divided
    // the wrong way round, is not a softmax (its parts stay unsupported on their own).
    refused(
        &edited_in("activations", "act_leaky_relu", "LeakyRelu", |n| {
            n.attribute.iter_mut().find(|a| a.name == "alpha").unwrap().f = f32::INFINITY;
        }),
        "not a finite slope",
    );
    let exp_refused = |bytes: Vec<u8>| {
        let err = import_onnx_bytes(&bytes, "m").unwrap_err();
        assert!(matches!(err, ModelError::UnsupportedOp { ref op, .. } if op == "ReduceMax"), "{err}");
        assert!(err.to_string().contains("softmax spelled out"), "{err}");
    };
    exp_refused(edited_in("activations", "act_exp_softmax", "ReduceSum", |n| {
        n.attribute.iter_mut().find(|a| a.name == "keepdims").unwrap().i = 0;
    }));
    exp_refused(edited_in("activations", "act_exp_softmax", "/head/Div", |n| n.input.swap(0, 1)));
    exp_refused(edited_in("activations", "act_exp_softmax", "ReduceSum", |n| {
        n.input[0] = "shifted".into();
    }));
    refused(
        &edited_in("activations", "act_softplus", "Softplus", |n| n.input.push("fc1.bias".into())),
        "takes one input, got 2",
    );
}
