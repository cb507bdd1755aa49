//! MockProver specifications of the tree-ensemble chip on models exported by skl2onnx: honest
//! paths satisfy every constraint, and each way of cheating on a comparison, a leaf or a sum is
//! caught.

use halo2curves::bn256::Fr;
use loopx_circuits::chips::trees::{ones, thresholds};
use loopx_circuits::choose_shape;
use loopx_models::{compile_named, load_rows, QuantizedModel};
use loopx_test_support::fixtures_dir;
use loopx_test_support::mock::{self, prove_mock};
use loopx_test_support::tamper::Tamper;

/// The compiled model and its first `count` quantized held-out rows.
fn compiled(dir: &str, name: &str, count: usize) -> (QuantizedModel, Vec<Vec<i64>>) {
    let dir = fixtures_dir().join(dir);
    let (package, _) = compile_named(&dir, name).expect("compiles");
    let rows = load_rows(dir.join(format!("{name}.heldout.json")), None, package.features()).expect("rows");
    let q = rows.iter().take(count).map(|r| package.quantize_row(r).expect("in range")).collect();
    (package.quantized, q)
}

/// The tamper is caught, and by the constraint meant to catch it (`by` names it), since the rest
/// of the witness follows the corrupted value consistently.
fn assert_rejected(m: &QuantizedModel, q: &[i64], tamper: Tamper, by: &str) {
    let failures = mock::failures(m, q, tamper);
    assert!(failures.iter().all(|f| f.contains(by)), "{tamper:?} failed elsewhere: {failures:?}");
}

#[test]
fn honest_paths_satisfy_every_exported_ensemble() {
    let (gbt, rows) = compiled("", "sybil_gbt", 4);
    let plan = choose_shape(&gbt);
    assert!(plan.shape.trees && plan.shape.k <= 14, "sybil_gbt plan {plan:?}");
    for q in &rows {
        prove_mock(&gbt, q, None).0.assert_satisfied();
    }
    // A forest: every leaf votes for four classes, published as the argmax.
    let (forest, rows) = compiled("tree", "risk_forest", 3);
    for q in &rows {
        prove_mock(&forest, q, None).0.assert_satisfied();
    }
    // A regressor (the score itself is published); XGBoost's `<` splits with softmax, and
    // LightGBM's binary trees, as onnxmltools exports them.
    for name in ["risk_gbr", "risk_xgb", "sybil_lgbm"] {
        let (model, rows) = compiled("tree", name, 2);
        for q in &rows {
            prove_mock(&model, q, None).0.assert_satisfied();
        }
    }
}

#[test]
fn a_path_that_does_not_follow_the_thresholds_is_rejected() {
    let (m, rows) = compiled("", "sybil_gbt", 1);
    let depth = m.trees.as_ref().expect("trees").depth as usize;
    for tree in [0, 17, 49] {
        for level in 0..depth {
            // The thermometer no longer brackets the feature: one of its bounds goes negative.
            assert_rejected(&m, &rows[0], Tamper::TreeDirection { tree, level }, "range check by bits");
        }
    }
}

#[test]
fn wrong_thermometers_leaves_and_sums_are_rejected() {
    let (m, rows) = compiled("", "sybil_gbt", 1);
    let q = &rows[0];
    for tree in [0, 25, 49] {
        assert_rejected(&m, q, Tamper::TreeLeaf { tree }, "multiplexer");
    }
    assert_rejected(&m, q, Tamper::TreeSum { output: 0 }, "dense multiply-accumulate");
    let (forest, rows) = compiled("tree", "risk_forest", 1);
    for output in 0..4 {
        assert_rejected(&forest, &rows[0], Tamper::TreeSum { output }, "dense multiply-accumulate");
    }
    assert_rejected(&forest, &rows[0], Tamper::TreeLeaf { tree: 5 }, "multiplexer");
    // Thermometers that are not ones-then-zeros: a non-boolean cell, a zero among the ones, a one
    // among the zeros. Each is refused by the thermometer's own gate, whatever the bounds do.
    let lists = thresholds(m.trees.as_ref().unwrap(), &m.inputs);
    let mut non_monotone = 0;
    for feature in (0..lists.len()).filter(|f| lists[*f].len() >= 3).take(4) {
        let (len, k) = (lists[feature].len(), ones(&lists[feature], q[feature]));
        let mut edits = vec![(0, 2)];
        if k >= 2 {
            edits.push((0, 0));
        }
        if k + 2 <= len {
            edits.push((len - 1, 1));
        }
        non_monotone += edits.len() - 1;
        for (cell, value) in edits {
            let failures = mock::failures(&m, q, Tamper::TreeThermometer { feature, cell, value });
            assert!(
                failures.iter().any(|f| f.contains("'thermometer'")),
                "feature {feature}, cell {cell} = {value}: {failures:?}"
            );
        }
    }
    assert!(non_monotone >= 4, "{non_monotone} non-monotone thermometers tried");
}

#[test]
fn every_changed_public_instance_is_rejected() {
    let (m, rows) = compiled("", "sybil_gbt", 1);
    mock::assert_every_changed_instance_rejected(&m, &rows[0]);
}

#[test]
fn every_constraint_fits_halo2_axioms_degree_cap() {
    // halo2-axiom silently caps the quotient degree at 5 (its MAX_DEGREE), so a degree-6
    // constraint would make honest proofs fail to verify rather than fail to build.
    let (gbt, _) = compiled("", "sybil_gbt", 0);
    for shape in
        [choose_shape(&gbt).shape, loopx_circuits::CircuitShape { trees: false, ..choose_shape(&gbt).shape }]
    {
        let mut cs = halo2_proofs::plonk::ConstraintSystem::<Fr>::default();
        loopx_circuits::ModelConfig::configure(&mut cs, shape);
        let gates = cs.gates().iter().flat_map(|g| g.polynomials()).map(|p| p.degree()).max().unwrap_or(0);
        assert!(cs.lookups().is_empty(), "no lookup argument");
        assert!(
            gates <= 5 && cs.degree() == 5,
            "gate degree {gates}, system degree {} for {shape:?}",
            cs.degree()
        );
    }
}
