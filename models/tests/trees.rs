//! Tree ensembles: skl2onnx exports import with the converter's own semantics (checked against
//! onnxruntime's outputs stored beside the fixtures), quantize faithfully, and hand-built
//! ensembles cover the split rules and malformed structures converters never write.

use std::path::PathBuf;

use loopx_models::{
    agreement_on_rows, compile_files, load_onnx, load_rows, Graph, ModelError, ModelPackage, Node, Op,
    OutputRequest, OutputSpec, Schema, SplitRule, Tree, TreeEnsemble, TreeNode,
};
use loopx_test_support::fixtures_dir;

struct Fixture {
    graph: Graph,
    package: ModelPackage,
    rows: Vec<Vec<f64>>,
    reference: Vec<Vec<f64>>,
}

fn load(path: &str) -> Fixture {
    let base = fixtures_dir().join(path);
    let file = |ext: &str| PathBuf::from(format!("{}.{ext}", base.display()));
    let (package, _) = compile_files(
        file("onnx"),
        file("calibration.json"),
        Some(&file("schema.toml")),
        &OutputRequest::Auto,
        path,
    )
    .unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema = Schema::load(file("schema.toml")).expect("schema");
    let graph = load_onnx(file("onnx")).expect("onnx").graph;
    let rows = load_rows(file("heldout.json"), Some(&schema), graph.inputs()).expect("rows");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file("reference.json")).expect("reference"))
            .expect("json");
    let reference = reference["outputs"]
        .as_array()
        .expect("outputs")
        .iter()
        .map(|r| r.as_array().expect("row").iter().map(|v| v.as_f64().expect("number")).collect())
        .collect();
    Fixture { graph, package, rows, reference }
}

impl Fixture {
    /// Asserts the quantized binary decision (`P > 0.5`) agrees with onnxruntime's on ≥ 99.5 %
    /// of the held-out rows.
    fn assert_binary_decisions_agree(&self, name: &str) {
        let model = &self.package.quantized;
        let mut same = 0;
        for (row, reference) in self.rows.iter().zip(&self.reference) {
            let q = model.quantize_features(row).expect("in range");
            let p = model.dequantize_vector(model.forward(&q).expect("forward").final_vector())[0];
            same += usize::from((p > 0.5) == (reference[1] > 0.5));
        }
        eprintln!("{name}: class agreement with onnxruntime {same}/{}", self.rows.len());
        assert!(same * 1000 >= 995 * self.rows.len(), "{name}: class agreement {same}/{}", self.rows.len());
    }

    /// Asserts a multiclass model's float probabilities equal onnxruntime's and its quantized
    /// argmax agrees with the float one on ≥ 99.5 % of the held-out rows.
    fn assert_multiclass_agrees(&self, name: &str) {
        for (row, reference) in self.rows.iter().zip(&self.reference) {
            let p = self.graph.eval(row).expect("eval");
            assert!(max_diff(p, reference.iter().copied()) < 1e-5, "{name}: float vs onnxruntime");
        }
        let agreement =
            agreement_on_rows(&self.graph, &self.package.quantized, &self.rows).expect("agreement");
        let argmax = agreement.argmax_agreement.expect("classes");
        eprintln!("{name}: argmax agreement {argmax}, max |score error| {:.6}", agreement.max_abs_error);
        assert!(argmax >= 0.995, "{name}: argmax agreement {argmax}");
    }
}

fn max_diff(a: impl IntoIterator<Item = f64>, b: impl IntoIterator<Item = f64>) -> f64 {
    a.into_iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn sybil_gbt_imports_with_onnxruntime_semantics() {
    let f = load("sybil_gbt");
    let kinds: Vec<&str> = f.graph.nodes().iter().map(|n| n.op.kind()).collect();
    assert_eq!(kinds, ["TreeEnsemble", "Sigmoid", "ZipMap"], "label and ZipMap handled");
    let (_, ensemble) = f.graph.tree_ensemble().expect("trees");
    assert_eq!((ensemble.trees.len(), ensemble.depth(), ensemble.outputs), (50, 4, 1));
    assert_eq!(f.reference.len(), 500);
    for (row, reference) in f.rows.iter().zip(&f.reference) {
        // The float graph gives P(sybil); onnxruntime's second probability.
        let p = f.graph.eval(row).expect("eval")[0];
        assert!((p - reference[1]).abs() < 1e-5, "P(sybil) {p} vs onnxruntime {}", reference[1]);
    }
}

#[test]
fn sybil_gbt_quantized_probability_and_decision_agree_on_heldout_rows() {
    let f = load("sybil_gbt");
    let model = &f.package.quantized;
    assert_eq!(model.output, OutputSpec::Vector);
    let trees = model.trees.as_ref().expect("quantized trees");
    assert_eq!((trees.trees.len(), trees.depth), (50, 4));
    let agreement = agreement_on_rows(&f.graph, model, &f.rows).expect("agreement");
    assert!(agreement.max_abs_error < 0.01, "max |P error| {}", agreement.max_abs_error);
    // Against onnxruntime's own class decisions on the converter's file.
    f.assert_binary_decisions_agree("sybil_gbt");
    eprintln!("sybil_gbt: max |P error| {:.5}", agreement.max_abs_error);
}

#[test]
fn sybil_gbt_paths_match_the_float_trees_exactly() {
    // The quantized paths must reach the leaf the float tree reaches (thresholds of integer
    // features are exact; fractional ones within half a quantization step).
    let f = load("sybil_gbt");
    let model = &f.package.quantized;
    let trees = model.trees.as_ref().expect("trees");
    let scale = 2f64.powi(trees.leaf_scale_bits as i32);
    let (_, ensemble) = f.graph.tree_ensemble().expect("trees");
    let mut worst = 0.0f64;
    for row in &f.rows {
        let q = model.quantize_features(row).expect("in range");
        let trace = model.forward(&q).expect("forward");
        let score = trace.trees.as_ref().expect("tree trace").scores[0] as f64 / scale;
        worst = worst.max((score - ensemble.scores(row)[0]).abs());
    }
    // 50 leaves each rounded to 2^-leaf_scale_bits.
    assert!(worst <= 50.0 / scale, "worst score error {worst}");
}

#[test]
fn risk_forest_multiclass_votes_match_onnxruntime_and_quantize() {
    let f = load("tree/risk_forest");
    let (_, ensemble) = f.graph.tree_ensemble().expect("trees");
    assert_eq!((ensemble.trees.len(), ensemble.outputs), (12, 4));
    assert_eq!(f.package.quantized.output, OutputSpec::ArgMax);
    f.assert_multiclass_agrees("risk_forest");
}

#[test]
fn risk_gbr_regression_is_within_a_thousandth() {
    let f = load("tree/risk_gbr");
    for (row, reference) in f.rows.iter().zip(&f.reference) {
        assert!((f.graph.eval(row).expect("eval")[0] - reference[0]).abs() < 1e-5);
    }
    let agreement = agreement_on_rows(&f.graph, &f.package.quantized, &f.rows).expect("agreement");
    eprintln!("risk_gbr: max |error| {:.6}", agreement.max_abs_error);
    assert!(agreement.max_abs_error < 1e-3, "max abs error {}", agreement.max_abs_error);
}

fn split(feature: usize, threshold: f64, rule: SplitRule, yes: usize, no: usize) -> TreeNode {
    TreeNode::Split { feature, threshold, rule, yes, no }
}

fn leaf(v: f64) -> TreeNode {
    TreeNode::Leaf { weights: vec![(0, v)] }
}

#[test]
fn every_split_rule_and_an_unbalanced_tree_quantize_exactly() {
    // Leaves at depths 2 and 3 (padded to 3), every split rule; thresholds and grid points are
    // exact at the inputs' scale, so quantized scores equal the float ones exactly.
    let nodes = vec![
        split(0, 1.0, SplitRule::Leq, 1, 2),
        split(1, 2.5, SplitRule::Lt, 3, 4),
        split(0, -1.0, SplitRule::Gte, 5, 6),
        leaf(-1.0),
        leaf(2.0),
        split(1, 0.25, SplitRule::Gt, 7, 8),
        leaf(3.0),
        leaf(4.0),
        leaf(5.0),
    ];
    let ensemble = TreeEnsemble::new(2, 1, vec![0.25], vec![Tree { nodes }]).expect("valid");
    let op = Op::TreeEnsemble(Box::new(ensemble.clone()));
    let graph = Graph::new("x", 2, vec![Node { name: "t".into(), op }]).expect("graph");
    let grid: Vec<Vec<f64>> =
        (-40..=40).flat_map(|a| (-40..=40).map(move |b| vec![a as f64 / 4.0, b as f64 / 4.0])).collect();
    let (model, _) = loopx_models::quantize(&graph, &grid, None, &OutputRequest::Vector).expect("quantize");
    assert_eq!(model.trees.as_ref().expect("trees").depth, 3);
    for row in &grid {
        let q = model.quantize_features(row).expect("in range");
        let got = model.dequantize_vector(model.forward(&q).expect("forward").final_vector())[0];
        assert_eq!(got, ensemble.scores(row)[0], "row {row:?}");
    }
}

#[test]
fn malformed_ensembles_are_clear_errors() {
    let cases: Vec<(Vec<TreeNode>, &str)> = vec![
        (vec![split(0, 0.0, SplitRule::Leq, 1, 7), leaf(1.0)], "does not exist"),
        (vec![split(0, 0.0, SplitRule::Leq, 0, 1), leaf(1.0)], "twice"),
        (vec![split(0, 0.0, SplitRule::Leq, 1, 1), leaf(1.0)], "twice"),
        (vec![leaf(1.0), leaf(2.0)], "unreachable"),
        (vec![split(5, 0.0, SplitRule::Leq, 1, 2), leaf(1.0), leaf(2.0)], "feature 5"),
        (vec![split(0, f64::NAN, SplitRule::Leq, 1, 2), leaf(1.0), leaf(2.0)], "non-finite"),
        (vec![TreeNode::Leaf { weights: vec![(3, 1.0)] }], "output 3"),
    ];
    for (nodes, expected) in cases {
        let err = TreeEnsemble::new(2, 1, vec![0.0], vec![Tree { nodes }]).expect_err(expected);
        assert!(matches!(err, ModelError::InvalidGraph(_)));
        assert!(err.to_string().contains(expected), "{err} lacks {expected}");
    }
    // Too deep: a chain of 11 splits, each with a leaf beside it.
    let mut nodes = Vec::new();
    for i in 0..11 {
        nodes.push(split(0, i as f64, SplitRule::Leq, 2 * i + 2, 2 * i + 1));
        nodes.push(leaf(1.0));
    }
    nodes.push(leaf(1.0));
    let err = TreeEnsemble::new(1, 1, vec![0.0], vec![Tree { nodes }]).expect_err("depth");
    assert!(err.to_string().contains("deeper than"), "{err}");
}

#[test]
fn a_tree_ensemble_after_other_ops_is_refused() {
    let ensemble = TreeEnsemble::new(1, 1, vec![0.0], vec![Tree { nodes: vec![leaf(1.0)] }]).expect("valid");
    let nodes = vec![
        Node { name: "relu".into(), op: Op::Relu },
        Node { name: "t".into(), op: Op::TreeEnsemble(Box::new(ensemble)) },
    ];
    let err = Graph::new("x", 1, nodes).expect_err("trees must come first");
    assert!(err.to_string().contains("first op"), "{err}");
}

#[test]
fn xgboost_softmax_trees_exported_by_onnxmltools_match_onnxruntime() {
    // `<` splits, per-class base values, 40 trees (one class each), softmax, no default opset.
    let f = load("tree/risk_xgb");
    let kinds: Vec<&str> = f.graph.nodes().iter().map(|n| n.op.kind()).collect();
    assert_eq!(kinds, ["TreeEnsemble", "Softmax"]);
    f.assert_multiclass_agrees("risk_xgb");
}

#[test]
fn lightgbm_binary_trees_exported_by_onnxmltools_match_onnxruntime() {
    // The converter's Identity/Cast label branch and its Mul-by-one on the probabilities.
    let f = load("tree/sybil_lgbm");
    for (row, reference) in f.rows.iter().zip(&f.reference) {
        let p = f.graph.eval(row).expect("eval")[0];
        assert!((p - reference[1]).abs() < 1e-5, "P(sybil) {p} vs onnxruntime {}", reference[1]);
    }
    f.assert_binary_decisions_agree("sybil_lgbm");
}

/// An in-place change to a package's `trees` JSON.
type EnsembleEdit = fn(&mut serde_json::Value);

#[test]
fn a_package_with_a_malformed_ensemble_is_refused_not_run() {
    let f = load("sybil_gbt");
    let tmp = tempfile::tempdir().expect("temp dir");
    let edits: [(&str, EnsembleEdit); 7] = [
        ("feature", |t| t["trees"][0]["splits"][0]["feature"] = 99.into()),
        ("depth", |t| t["depth"] = 0.into()),
        ("depth", |t| t["depth"] = 5.into()),
        ("leaves", |t| t["trees"][3]["leaves"].as_array_mut().expect("leaves").truncate(2)),
        ("threshold", |t| t["trees"][1]["splits"][2]["threshold"] = i64::MAX.into()),
        ("targets", |t| t["trees"][0]["targets"] = serde_json::json!([4])),
        ("leaves", |t| t["trees"][0]["leaves"][0][0] = (1i64 << 50).into()),
    ];
    for (what, edit) in edits {
        f.package.save(tmp.path()).expect("save");
        let file = tmp.path().join(loopx_models::PACKAGE_FILE);
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
        edit(&mut json["quantized"]["trees"]);
        std::fs::write(&file, json.to_string()).expect("write");
        let err = ModelPackage::load(tmp.path()).expect_err(what);
        assert!(err.to_string().contains("tree ensemble"), "{what}: {err}");
    }
}
