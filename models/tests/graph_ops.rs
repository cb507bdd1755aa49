//! Float evaluation of every IR op, graph validation, and lowering into dense layers.

use loopx_models::graph::{random_rows, row_view, rows_to_array};
use loopx_models::lower::{FloatActivation, LoweredModel};
use loopx_models::{Graph, ModelError, Node, Op};
use ndarray::{arr1, arr2, Array1};

fn node(op: Op) -> Node {
    Node { name: op.kind().to_lowercase(), op }
}

fn eval(inputs: usize, ops: Vec<Op>, row: &[f64]) -> Vec<f64> {
    Graph::new("x", inputs, ops.into_iter().map(node).collect())
        .expect("valid graph")
        .eval(row)
        .expect("eval")
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
    }
}

#[test]
fn gemm_applies_alpha_beta_and_transposed_b() {
    // B stored [out=2, in=3] with transB.
    let b = arr2(&[[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]]);
    let op = Op::Gemm { b, c: Some(arr1(&[0.5, -0.5])), alpha: 2.0, beta: 3.0, trans_b: true };
    close(&eval(3, vec![op], &[1.0, 1.0, 2.0]), &[2.0 * 9.0 + 1.5, 2.0 * 1.0 - 1.5]);
}

#[test]
fn gemm_without_transpose_and_scalar_bias() {
    let b = arr2(&[[1.0, -1.0], [2.0, 0.0]]); // [in=2, out=2]
    let op = Op::Gemm { b, c: Some(arr1(&[1.0])), alpha: 1.0, beta: 1.0, trans_b: false };
    close(&eval(2, vec![op], &[3.0, 4.0]), &[3.0 + 8.0 + 1.0, -3.0 + 1.0]);
}

#[test]
fn matmul_multiplies_row_by_matrix() {
    let op = Op::MatMul { b: arr2(&[[1.0], [2.0], [3.0]]) };
    close(&eval(3, vec![op], &[1.0, 0.5, -1.0]), &[1.0 + 1.0 - 3.0]);
}

#[test]
fn add_sub_mul_div_broadcast_scalars_and_vectors() {
    let row = [1.0, 2.0];
    close(&eval(2, vec![Op::Add { c: arr1(&[10.0]) }], &row), &[11.0, 12.0]);
    close(&eval(2, vec![Op::Add { c: arr1(&[1.0, -1.0]) }], &row), &[2.0, 1.0]);
    close(&eval(2, vec![Op::Sub { c: arr1(&[1.0, 1.0]), reversed: false }], &row), &[0.0, 1.0]);
    close(&eval(2, vec![Op::Sub { c: arr1(&[5.0]), reversed: true }], &row), &[4.0, 3.0]);
    close(&eval(2, vec![Op::Mul { c: arr1(&[2.0, -3.0]) }], &row), &[2.0, -6.0]);
    close(&eval(2, vec![Op::Div { c: arr1(&[4.0]) }], &row), &[0.25, 0.5]);
}

#[test]
fn relu_sigmoid_and_clip_are_elementwise() {
    let row = [-2.0, 0.0, 3.0];
    close(&eval(3, vec![Op::Relu], &row), &[0.0, 0.0, 3.0]);
    let s = eval(3, vec![Op::Sigmoid], &row);
    close(&s, &[1.0 / (1.0 + 2f64.exp()), 0.5, 1.0 / (1.0 + (-3f64).exp())]);
    close(&eval(3, vec![Op::Clip { min: -1.0, max: 1.0 }], &row), &[-1.0, 0.0, 1.0]);
    close(&eval(3, vec![Op::Clip { min: 0.0, max: f64::INFINITY }], &row), &[0.0, 0.0, 3.0]);
}

#[test]
fn shape_ops_leave_the_row_unchanged() {
    let ops = ["Flatten", "Reshape", "Identity", "Squeeze", "Unsqueeze"]
        .map(|k| Op::Reshape { onnx_op: k.into() })
        .to_vec();
    close(&eval(3, ops, &[1.0, -2.0, 3.5]), &[1.0, -2.0, 3.5]);
}

#[test]
fn softmax_normalises_and_keeps_order() {
    let p = eval(3, vec![Op::Softmax], &[1.0, 3.0, 2.0]);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(p[1] > p[2] && p[2] > p[0]);
    // Large logits do not overflow.
    let p = eval(2, vec![Op::Softmax], &[1000.0, 999.0]);
    assert!(p.iter().all(|v| v.is_finite()));
}

#[test]
fn argmax_returns_the_first_largest_index() {
    close(&eval(4, vec![Op::ArgMax], &[1.0, 5.0, 5.0, -1.0]), &[1.0]);
    close(&eval(3, vec![Op::Softmax, Op::ArgMax], &[0.0, -1.0, 2.0]), &[2.0]);
}

#[test]
fn eval_rows_matches_row_by_row_evaluation() {
    let graph = Graph::mlp(&[5, 7, 3], Op::Relu, Some(Op::Softmax), 7).expect("mlp");
    let rows = random_rows(5, 9, 1);
    let batch = graph.eval_rows(rows_to_array(&rows, 5).expect("rows").view()).expect("eval");
    for (row, out) in rows.iter().zip(batch.rows()) {
        close(&graph.eval(row).expect("eval"), &out.to_vec());
    }
}

#[test]
fn graph_rejects_width_mismatch_and_misplaced_heads() {
    let bad = Graph::new("x", 2, vec![node(Op::MatMul { b: arr2(&[[1.0], [1.0], [1.0]]) })]);
    assert!(matches!(bad, Err(ModelError::InvalidGraph(m)) if m.contains("matmul") && m.contains("width 2")));
    let bad = Graph::new("x", 2, vec![node(Op::Add { c: arr1(&[1.0, 2.0, 3.0]) })]);
    assert!(matches!(bad, Err(ModelError::InvalidGraph(_))));
    let bad = Graph::new("x", 2, vec![node(Op::ArgMax), node(Op::Relu)]);
    assert!(matches!(bad, Err(ModelError::InvalidGraph(m)) if m.contains("ArgMax")));
    let bad = Graph::new("x", 2, vec![node(Op::Softmax), node(Op::Relu)]);
    assert!(matches!(bad, Err(ModelError::InvalidGraph(_))));
    let bad = Graph::new("x", 2, vec![node(Op::Div { c: arr1(&[0.0]) })]);
    assert!(matches!(bad, Err(ModelError::InvalidGraph(m)) if m.contains("division by zero")));
    let bad = Graph::new("x", 2, vec![node(Op::Clip { min: 1.0, max: -1.0 })]);
    assert!(bad.is_err());
    assert!(Graph::new("x", 0, vec![]).is_err());
}

#[test]
fn eval_refuses_a_row_of_the_wrong_width() {
    let graph = Graph::logistic_regression(4, 1).expect("lr");
    assert!(matches!(graph.eval(&[1.0, 2.0]), Err(ModelError::FeatureCount { expected: 4, got: 2 })));
}

#[test]
fn mlp_is_deterministic_in_its_seed() {
    let a = Graph::mlp(&[32, 64, 32, 4], Op::Relu, None, 42).expect("mlp");
    let b = Graph::mlp(&[32, 64, 32, 4], Op::Relu, None, 42).expect("mlp");
    let c = Graph::mlp(&[32, 64, 32, 4], Op::Relu, None, 43).expect("mlp");
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!((a.inputs(), a.output_len(), a.nodes().len()), (32, 4, 5));
    assert!(Graph::mlp(&[3], Op::Relu, None, 1).is_err());
    assert!(Graph::mlp(&[3, 2], Op::Softmax, None, 1).is_err());
}

#[test]
fn lowering_folds_normalisation_and_affine_ops_into_one_layer() {
    let ops = vec![
        Op::Sub { c: arr1(&[1.0, 2.0, 3.0]), reversed: false },
        Op::Div { c: arr1(&[2.0, 4.0, 0.5]) },
        Op::Mul { c: arr1(&[-1.0]) },
        Op::Gemm {
            b: arr2(&[[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]]),
            c: Some(arr1(&[0.1, 0.2])),
            alpha: 1.5,
            beta: 2.0,
            trans_b: true,
        },
        Op::Add { c: arr1(&[1.0]) },
        Op::Sigmoid,
        Op::Reshape { onnx_op: "Flatten".into() },
        Op::MatMul { b: arr2(&[[1.0, 2.0], [3.0, -4.0]]) },
        Op::Sub { c: arr1(&[1.0]), reversed: true },
        Op::Softmax,
        Op::ArgMax,
    ];
    let graph = Graph::new("x", 3, ops.into_iter().map(node).collect()).expect("graph");
    let lowered = LoweredModel::from_graph(&graph).expect("lower");
    assert_eq!(lowered.layers.len(), 2);
    assert_eq!(lowered.layers[0].activation, FloatActivation::Sigmoid);
    assert_eq!(lowered.layers[1].activation, FloatActivation::Identity);
    let rows = rows_to_array(&random_rows(3, 20, 5), 3).expect("rows");
    let want = graph.scores_rows(rows.view()).expect("scores");
    let got = lowered.scores_rows(rows.view());
    assert!((want - got).iter().all(|d| d.abs() < 1e-12));
}

#[test]
fn an_activation_without_affine_op_gets_an_identity_layer() {
    let graph =
        Graph::new("x", 2, vec![node(Op::Relu), node(Op::Clip { min: 0.0, max: 6.0 })]).expect("graph");
    let lowered = LoweredModel::from_graph(&graph).expect("lower");
    assert_eq!(lowered.layers.len(), 2);
    for layer in &lowered.layers {
        assert_eq!(layer.weights, ndarray::Array2::<f64>::eye(2));
        assert_eq!(layer.bias, Array1::<f64>::zeros(2));
    }
    let out = lowered.scores_rows(row_view(&[-1.0, 9.0]));
    assert_eq!(out.row(0).to_vec(), vec![0.0, 6.0]);
}
