//! Quantized inference against the float graph, for every activation and output kind.

use loopx_models::graph::random_rows;
use loopx_models::quantize::{MAX_SHIFT, SIGMOID_HALF_RANGE, SIGMOID_PRE_SCALE_BITS};
use loopx_models::{
    agreement_on_rows, quantize, Activation, Bounds, FeatureSpec, Graph, ModelError, Node, Op, OutputRequest,
    OutputSpec, QuantizedModel, Schema,
};
use ndarray::{arr1, arr2};

fn graph(inputs: usize, ops: Vec<Op>) -> Graph {
    let nodes = ops.into_iter().enumerate().map(|(i, op)| Node { name: format!("n{i}"), op }).collect();
    Graph::new("x", inputs, nodes).expect("graph")
}

fn schema(n: usize, min: f64, max: f64) -> Schema {
    let features = (0..n)
        .map(|i| FeatureSpec {
            name: format!("f{i}"),
            unit: String::new(),
            min,
            max,
            description: None,
            scale_bits: None,
        })
        .collect();
    Schema::new(features).expect("schema")
}

/// Every corner-ish input stays within the layer bounds the model declares.
fn assert_bounds_hold(model: &QuantizedModel, rows: &[Vec<f64>]) {
    let extremes =
        [model.inputs.iter().map(|i| i.min).collect(), model.inputs.iter().map(|i| i.max).collect()];
    let quantized = rows.iter().map(|r| model.quantize_features(r).expect("in range"));
    for q in quantized.chain(extremes) {
        let trace = model.forward(&q).expect("forward");
        for (layer, t) in model.layers.iter().zip(&trace.layers) {
            let within = |v: &i64, b: &Bounds| b.min <= *v && *v <= b.max;
            assert!(t.pre.iter().zip(&layer.pre_bounds).all(|(v, b)| within(v, b)));
            assert!(t.out.iter().zip(&layer.out_bounds).all(|(v, b)| within(v, b)));
        }
    }
}

#[test]
fn quantized_relu_mlp_matches_float_argmax_on_calibration_rows() {
    let g = Graph::mlp(&[32, 64, 32, 4], Op::Relu, None, 3).expect("mlp");
    let rows = random_rows(32, 300, 11);
    let (model, report) = quantize(&g, &rows, None, &OutputRequest::Auto).expect("quantize");
    assert_eq!(model.output, OutputSpec::ArgMax);
    assert_eq!(model.layers.len(), 3);
    assert!(matches!(model.layers[0].activation, Activation::Relu));
    assert!(matches!(model.layers[2].activation, Activation::Identity));
    assert!(report.calibration.max_abs_error < 0.01, "{:?}", report.calibration);
    assert!(report.calibration.argmax_agreement.expect("multi") >= 0.98, "{:?}", report.calibration);
    assert!(model.layers.iter().all(|l| l.shift <= MAX_SHIFT));
    assert_bounds_hold(&model, &rows);
}

#[test]
fn quantized_sigmoid_regression_tracks_the_float_probability() {
    let g = Graph::logistic_regression(16, 5).expect("lr");
    let rows = random_rows(16, 200, 2);
    let (model, report) = quantize(&g, &rows, Some(&schema(16, -1.0, 1.0)), &OutputRequest::Auto).expect("q");
    assert_eq!(model.output, OutputSpec::Vector);
    let layer = &model.layers[0];
    assert_eq!(layer.pre_scale_bits, SIGMOID_PRE_SCALE_BITS);
    let Activation::Sigmoid(table) = &layer.activation else { panic!("sigmoid expected") };
    assert_eq!((table.half_range, table.values.len(), table.out_scale_bits), (SIGMOID_HALF_RANGE, 1024, 12));
    assert!(report.calibration.max_abs_error < 0.005, "{:?}", report.calibration);
    let held_out = random_rows(16, 200, 99);
    assert!(agreement_on_rows(&g, &model, &held_out).expect("agreement").max_abs_error < 0.005);
    assert_bounds_hold(&model, &rows);
}

#[test]
fn quantized_clip_and_identity_layers_track_the_float_scores() {
    let g = graph(
        3,
        vec![
            Op::Gemm {
                b: arr2(&[[0.7, -0.2, 0.4], [-1.1, 0.3, 0.9]]),
                c: None,
                alpha: 1.0,
                beta: 1.0,
                trans_b: true,
            },
            Op::Clip { min: -0.25, max: f64::INFINITY },
            Op::MatMul { b: arr2(&[[1.5, -0.5], [0.25, 2.0]]) },
            Op::Add { c: arr1(&[0.125]) },
        ],
    );
    let rows = random_rows(3, 100, 4);
    let (model, report) = quantize(&g, &rows, None, &OutputRequest::Vector).expect("q");
    let Activation::Clip { lo, hi } = model.layers[0].activation else { panic!("clip expected") };
    assert_eq!(lo, (-0.25 * f64::from(1u32 << model.layers[0].pre_scale_bits)).round() as i64);
    // The infinite upper bound became the largest reachable pre-activation.
    assert_eq!(hi, model.layers[0].pre_bounds.iter().map(|b| b.max).max().expect("bounds"));
    assert_eq!(model.output, OutputSpec::Vector);
    assert!(report.calibration.max_abs_error < 0.002, "{:?}", report.calibration);
    assert_bounds_hold(&model, &rows);
}

#[test]
fn bias_holds_the_rounding_offset_and_weights_the_scaled_values() {
    let g = graph(
        1,
        vec![Op::Gemm { b: arr2(&[[0.75]]), c: Some(arr1(&[0.5])), alpha: 1.0, beta: 1.0, trans_b: true }],
    );
    let (model, _) = quantize(&g, &[vec![-1.0], vec![1.0]], None, &OutputRequest::Vector).expect("q");
    let (layer, input) = (&model.layers[0], &model.inputs[0]);
    let acc_bits = layer.pre_scale_bits + layer.shift;
    assert_eq!(
        layer.weights[0][0],
        (0.75 * 2f64.powi(acc_bits as i32 - input.scale_bits as i32)).round() as i64
    );
    assert_eq!(layer.bias[0], (0.5 * 2f64.powi(acc_bits as i32)) as i64 + (1 << (layer.shift - 1)));
    // 0.75·0.3 + 0.5 = 0.725 after round-to-nearest.
    let q = model.quantize_features(&[0.3]).expect("q");
    let out = model.forward(&q).expect("forward");
    assert!((model.dequantize_vector(out.final_vector())[0] - 0.725).abs() < 1e-3);
}

#[test]
fn input_scales_follow_the_feature_ranges() {
    let g = graph(3, vec![Op::Relu]);
    let s = Schema::new(vec![
        FeatureSpec {
            name: "ratio".into(),
            unit: "".into(),
            min: 0.0,
            max: 1.0,
            description: None,
            scale_bits: None,
        },
        FeatureSpec {
            name: "count".into(),
            unit: "".into(),
            min: 0.0,
            max: 100_000.0,
            description: None,
            scale_bits: None,
        },
        FeatureSpec {
            name: "signed".into(),
            unit: "".into(),
            min: -40.0,
            max: 10.0,
            description: None,
            scale_bits: None,
        },
    ])
    .expect("schema");
    let (model, _) = quantize(&g, &[vec![0.5, 10.0, 0.0]], Some(&s), &OutputRequest::Vector).expect("q");
    let bits: Vec<u32> = model.inputs.iter().map(|i| i.scale_bits).collect();
    assert_eq!(bits, vec![16, 3, 14]);
    assert_eq!((model.inputs[1].min, model.inputs[1].max), (0, 800_000));
    assert_eq!((model.inputs[2].min, model.inputs[2].max), (-40 << 14, 10 << 14));
    assert!(model.inputs.iter().all(|i| i.min.abs().max(i.max.abs()) <= 1 << 20));
    assert_eq!(model.inputs[0].name, "ratio");
}

#[test]
fn softmax_graphs_quantize_only_to_an_argmax_output() {
    let g = Graph::mlp(&[4, 3], Op::Relu, Some(Op::Softmax), 9).expect("mlp");
    let rows = random_rows(4, 50, 1);
    let (model, report) = quantize(&g, &rows, None, &OutputRequest::Auto).expect("auto");
    assert_eq!(model.output, OutputSpec::ArgMax);
    assert!(report.calibration.argmax_agreement.is_some());
    let err = quantize(&g, &rows, None, &OutputRequest::Vector).expect_err("vector of a softmax");
    assert!(matches!(err, ModelError::InvalidOutputSpec(m) if m.contains("Softmax")));
}

#[test]
fn threshold_outputs_are_quantized_at_the_output_scale() {
    let g = Graph::logistic_regression(6, 8).expect("lr");
    let rows = random_rows(6, 100, 3);
    let request = OutputRequest::Threshold { index: 0, threshold: 0.5 };
    let (model, report) = quantize(&g, &rows, None, &request).expect("q");
    assert_eq!(model.output, OutputSpec::Threshold { index: 0, threshold: 1 << 11 });
    assert!(report.calibration.decision_agreement.expect("threshold") >= 0.97);
    let bad = quantize(&g, &rows, None, &OutputRequest::Threshold { index: 1, threshold: 0.5 });
    assert!(matches!(bad, Err(ModelError::InvalidOutputSpec(_))));
}

#[test]
fn bench_sized_mlp_quantizes_with_bounded_accumulators() {
    let g = Graph::mlp(&[64, 256, 256, 8], Op::Relu, None, 1).expect("mlp");
    let rows = random_rows(64, 64, 1);
    let (model, report) = quantize(&g, &rows, None, &OutputRequest::Auto).expect("q");
    assert!(report.layers.iter().all(|l| l.accumulator_bits <= 100));
    assert!(report.calibration.max_abs_error < 0.01, "{:?}", report.calibration);
    model.validate().expect("valid");
}

#[test]
fn calibration_rows_outside_the_schema_are_refused_by_feature_name() {
    let g = Graph::logistic_regression(2, 1).expect("lr");
    let err =
        quantize(&g, &[vec![0.0, 0.5], vec![0.0, 2.0]], Some(&schema(2, -1.0, 1.0)), &OutputRequest::Auto)
            .expect_err("out of range");
    let msg = err.to_string();
    assert!(msg.contains("row 1") && msg.contains("`f1`") && msg.contains("2"), "{msg}");
    assert!(matches!(quantize(&g, &[], None, &OutputRequest::Auto), Err(ModelError::Calibration(_))));
    let err = quantize(&g, &[vec![1.0]], None, &OutputRequest::Auto).expect_err("short row");
    assert!(err.to_string().contains("expected 2 features"), "{err}");
    let err = quantize(&g, &[vec![0.0, 0.0]], Some(&schema(3, 0.0, 1.0)), &OutputRequest::Auto)
        .expect_err("schema");
    assert!(matches!(err, ModelError::InvalidSchema(_)));
}

#[test]
fn unrepresentable_weights_are_a_quantization_error() {
    let g = graph(1, vec![Op::Mul { c: arr1(&[f64::NAN]) }]);
    let err = quantize(&g, &[vec![1.0]], None, &OutputRequest::Vector).expect_err("nan weight");
    assert!(matches!(err, ModelError::Quantization { layer: 0, .. }), "{err}");
}

#[test]
fn quantized_inputs_outside_the_declared_range_are_refused() {
    let g = Graph::logistic_regression(2, 1).expect("lr");
    let (model, _) = quantize(&g, &[vec![0.0, 0.0], vec![1.0, 1.0]], None, &OutputRequest::Auto).expect("q");
    // Calibration saw [0, 1]; the headroom reaches 64 (see `headroom_range`), not 100.
    model.quantize_features(&[0.5, 3.0]).expect("within the headroom");
    let err = model.quantize_features(&[0.5, 100.0]).expect_err("out of the widened range");
    assert!(matches!(err, ModelError::FeatureOutOfRange { ref name, .. } if name == "x1"), "{err}");
    assert!(matches!(model.quantize_features(&[f64::NAN, 0.0]), Err(ModelError::NonFiniteFeature { .. })));
    assert!(matches!(model.quantize_features(&[0.0]), Err(ModelError::FeatureCount { .. })));
}

#[test]
fn schema_less_ranges_have_headroom_so_wallets_of_the_same_distribution_are_accepted() {
    // 32 calibration rows in EZKL's flattened layout, no schema: the scenario. Wallets
    // drawn from the same distribution (the held-out rows) must be accepted ≥ 99 % of the time.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    for name in ["sybil_lr", "risk_mlp"] {
        let all = loopx_models::load_rows(dir.join(format!("{name}.calibration.json")), None, 24).unwrap();
        let flat: Vec<f64> = all[..32].concat();
        let ezkl = serde_json::json!({ "input_data": [flat] }).to_string();
        let rows =
            loopx_models::parse_rows(&ezkl, "calibration", None, 24).expect("EZKL layout reads as rows");
        assert_eq!(rows, all[..32].to_vec());
        let (package, _) = loopx_models::compile(
            dir.join(format!("{name}.onnx")),
            &rows,
            None,
            &loopx_models::OutputRequest::Auto,
            name,
        )
        .unwrap();
        let heldout = loopx_models::load_rows(dir.join(format!("{name}.heldout.json")), None, 24).unwrap();
        let accepted = heldout.iter().filter(|row| package.quantize_row(row).is_ok()).count();
        eprintln!("{name}: {accepted}/{} held-out wallets accepted", heldout.len());
        assert!(accepted * 100 >= 99 * heldout.len(), "{name}: {accepted}/{}", heldout.len());
        // The widened range still binds: far outside it is refused.
        let mut far = heldout[0].clone();
        far[0] = 1e12;
        assert!(package.quantize_row(&far).is_err());
    }
}
