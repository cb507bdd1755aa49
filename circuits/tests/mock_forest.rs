//! MockProver specifications of the tree-ensemble multiplexers and thermometers on a small
//! synthetic forest: padded subtrees take no record, every slot of a packed row is constrained,
//! a node cannot take the side its bit does not choose, and a thermometer cannot rise (within a
//! row or across two).

use halo2curves::bn256::Fr;
use loopx_circuits::chips::mux::{slots, MuxRecord};
use loopx_circuits::chips::mux_tree::{MuxInput, MuxWitness};
use loopx_circuits::chips::trees::{leaf_node, leaf_trees, ones, thresholds};
use loopx_models::{
    OutputSpec, QuantizedInput, QuantizedModel, QuantizedSplit, QuantizedTree, QuantizedTrees,
};
use loopx_test_support::mock::{self, prove_mock, verdict_in_pool, SALT, WALLET};
use loopx_test_support::synthetic::pseudo;
use loopx_test_support::tamper::Tamper;

fn features(m: &QuantizedModel, seed: u64) -> Vec<i64> {
    let mut s = seed | 1;
    m.inputs.iter().map(|i| i.min + (pseudo(&mut s, 10_000).rem_euclid(i.max - i.min + 1))).collect()
}

/// Eight trees of uneven depth over four features, padded to depth 4 the way the importer pads
/// them (a leaf above the bottom fills its span; the splits below it always go left): nodes of
/// every multiplexer kind, trees voting for one output or all three, and tree 7 a single leaf
/// (a constant, folded into the sums' bias).
fn forest() -> QuantizedModel {
    let mut seed = 0x5eed_f00d;
    let depth = 4;
    let inputs: Vec<QuantizedInput> = (0..4)
        .map(|i| QuantizedInput { name: format!("x{i}"), scale_bits: 6, min: -200, max: 1000 })
        .collect();
    let trees = (0..8)
        .map(|t| {
            let targets = if t % 3 == 0 { vec![0, 1, 2] } else { vec![t % 3] };
            let leaf_count = 1usize << depth;
            let mut tree = QuantizedTree {
                splits: vec![QuantizedSplit { feature: 0, threshold: 1000 }; leaf_count - 1],
                leaves: vec![vec![0; targets.len()]; leaf_count],
                targets,
            };
            let mut stack = vec![(0usize, 0u32)];
            while let Some((h, d)) = stack.pop() {
                if t == 7 || d == depth || (d >= 2 && pseudo(&mut seed, 2) == 0) {
                    let values: Vec<i64> = tree.targets.iter().map(|_| pseudo(&mut seed, 400)).collect();
                    let first = ((h + 1) << (depth - d)) - leaf_count;
                    for leaf in &mut tree.leaves[first..first + (1 << (depth - d))] {
                        leaf.clone_from(&values);
                    }
                } else {
                    let feature = pseudo(&mut seed, 1).unsigned_abs() as usize + 2 * (h % 2);
                    tree.splits[h] = QuantizedSplit { feature, threshold: 400 + pseudo(&mut seed, 550) };
                    stack.extend([(2 * h + 1, d + 1), (2 * h + 2, d + 1)]);
                }
            }
            tree
        })
        .collect();
    let trees = QuantizedTrees { depth, leaf_scale_bits: 8, base: vec![5, -3, 0], trees };
    QuantizedModel { inputs, trees: Some(trees), layers: Vec::new(), output: OutputSpec::ArgMax }
}

/// A tree ensemble's nodes of every kind take the one `multiplexer` gate: per slot, the choice
/// (constraint `3s`) and the pins of its low and high constants (`3s + 1`, `3s + 2`).
const GATE: &str = "'multiplexer'";

#[test]
fn padded_subtrees_take_no_multiplexer() {
    // Counted independently: a heap node needs a record iff the leaves under it differ.
    let m = forest();
    let trees = m.trees.as_ref().unwrap();
    for (tree, muxes) in trees.trees.iter().zip(leaf_trees(trees)) {
        for (k, mux) in muxes.iter().enumerate() {
            let column: Vec<i64> = tree.leaves.iter().map(|l| l[k]).collect();
            let varied = (0..trees.depth)
                .flat_map(|level| column.chunks(2 << level).filter(|c| c.iter().any(|v| *v != c[0])))
                .count();
            assert_eq!(mux.nodes.len(), varied);
            assert_eq!(matches!(mux.output, MuxInput::Constant(_)), varied == 0);
        }
    }
    let constant = &leaf_trees(trees)[7];
    assert!(constant.iter().all(|mux| mux.nodes.is_empty()), "tree 7 is one leaf");
}

#[test]
fn packed_multiplexer_rows_reject_a_wrong_node_in_every_slot() {
    let m = forest();
    m.validate().expect("well-formed forest");
    let trees = m.trees.as_ref().unwrap();
    let muxes = leaf_trees(trees);
    let q = features(&m, 31);
    let mut strip_rows = Vec::new();
    for width in [3, 4, 8, 12, 16] {
        let plan = loopx_circuits::plan::sized(&m, width, false);
        strip_rows.push(plan.strip_rows);
        assert!(verdict_in_pool(&m, &q, width, None).is_empty(), "width {width}: honest forest");
        let slots = slots(width, plan.shape.pool_fixed(), MuxRecord::General);
        for level in 0..2 {
            // The layout packs each level's records in tree, target, node order.
            let batch: Vec<(usize, usize, usize)> = muxes
                .iter()
                .enumerate()
                .flat_map(|(t, per_target)| {
                    per_target.iter().enumerate().flat_map(move |(k, mux)| {
                        mux.nodes
                            .iter()
                            .enumerate()
                            .filter(move |(_, n)| n.level == level)
                            .map(move |(i, _)| (t, k, i))
                    })
                })
                .collect();
            assert!(batch.len() > slots, "width {width}: level {level} fills a row");
            for (s, (tree, target, node)) in batch.into_iter().take(slots + 1).enumerate() {
                let tamper = Tamper::TreeMux { tree, target, node };
                let failures = verdict_in_pool(&m, &q, width, Some(tamper));
                let slot = format!("Constraint {} in gate", 3 * (s % slots));
                assert!(
                    !failures.is_empty() && failures.iter().all(|f| f.contains(GATE) && f.contains(&slot)),
                    "width {width}, {tamper:?} (slot {}): {failures:?}",
                    s % slots
                );
            }
        }
    }
    assert!(strip_rows[4] * 2 < strip_rows[1], "a wide pool packs records: {strip_rows:?}");
}

#[test]
fn a_multiplexer_taking_the_side_its_bit_does_not_choose_is_rejected() {
    let m = forest();
    let trees = m.trees.as_ref().unwrap();
    let q = features(&m, 32);
    let right = |t: usize, level: u32, j: usize| {
        let split = trees.trees[t].splits[leaf_node(trees.depth, level, j)];
        q[split.feature] > split.threshold
    };
    let honest = prove_mock(&m, &q, None).0;
    honest.assert_satisfied();
    // Every node whose two inputs differ, of each kind; for the mixed kind both the constant on
    // the low side and the constant on the high side (each way the bit goes).
    let mut seen = std::collections::BTreeSet::new();
    let mut cases = 0;
    let witness =
        loopx_circuits::CircuitWitness::new(&m, &m.forward(&q).unwrap(), Fr::from(WALLET), Fr::from(SALT));
    let leaves = &witness.trees.as_ref().unwrap().leaves;
    for (tree, per_target) in leaf_trees(trees).iter().enumerate() {
        for (target, mux) in per_target.iter().enumerate() {
            for (node, n) in mux.nodes.iter().enumerate() {
                let nodes = &leaves[tree][target].nodes;
                let (lo, hi) = (MuxWitness::value(nodes, n.lo), MuxWitness::value(nodes, n.hi));
                let case =
                    (n.kind() as usize, matches!(n.lo, MuxInput::Constant(_)), right(tree, n.level, n.j));
                if lo == hi || !seen.insert(case) {
                    continue;
                }
                cases += 1;
                let tamper = Tamper::TreeMuxSide { tree, target, node };
                let failures = mock::failures(&m, &q, tamper);
                assert!(failures.iter().all(|f| f.contains(GATE)), "{tamper:?}: {failures:?}");
            }
        }
    }
    assert_eq!(cases, 8, "constants, wires and both sides of the mixed kind, either bit: {seen:?}");
}

#[test]
fn a_forest_with_a_constant_tree_rejects_wrong_sums_and_leaves() {
    let m = forest();
    let q = features(&m, 33);
    for output in 0..3 {
        let failures = mock::failures(&m, &q, Tamper::TreeSum { output });
        assert!(failures.iter().all(|f| f.contains("dense multiply-accumulate")), "{failures:?}");
    }
    let failures = mock::failures(&m, &q, Tamper::TreeLeaf { tree: 0 });
    assert!(failures.iter().all(|f| f.contains(GATE)), "{failures:?}");
    mock::assert_every_changed_instance_rejected(&m, &q);
}

#[test]
fn a_thermometer_rising_across_a_row_boundary_is_rejected() {
    // The first row holds `width` cells, the next repeats its last cell (a copy) before its own:
    // the order constraint between a row's first two cells guards the boundary. Make the
    // thermometer rise exactly there.
    let m = forest();
    let lists = thresholds(m.trees.as_ref().unwrap(), &m.inputs);
    let q = features(&m, 34);
    for width in [3, 4, 8] {
        let mut checked = 0;
        for (feature, list) in lists.iter().enumerate().filter(|(_, l)| l.len() > width) {
            let k = ones(list, q[feature]);
            let (cell, value) = match k {
                k if k < width => (width, 1),
                k if k > width => (width - 1, 0),
                _ => continue,
            };
            let tamper = Tamper::TreeThermometer { feature, cell, value };
            let failures = verdict_in_pool(&m, &q, width, Some(tamper));
            let boundary = format!("Constraint {width} in gate");
            assert!(
                failures.iter().any(|f| f.contains("'thermometer'") && f.contains(&boundary)),
                "width {width}, {tamper:?}: {failures:?}"
            );
            checked += 1;
        }
        assert!(checked > 0, "width {width}: no thermometer spans two rows");
    }
}

#[test]
fn a_multiplexer_input_other_than_its_pinned_constant_is_rejected() {
    // A constant input sits in an advice cell pinned by the fixed pair `k = 1, c`: whether or not
    // the bit chooses it, a different value breaks the pin (constraint `3s + 1` or `3s + 2`).
    let m = forest();
    let trees = m.trees.as_ref().unwrap();
    let q = features(&m, 35);
    let mut seen = std::collections::BTreeSet::new();
    for (tree, per_target) in leaf_trees(trees).iter().enumerate() {
        for (target, mux) in per_target.iter().enumerate() {
            for (node, n) in mux.nodes.iter().enumerate() {
                let low = matches!(n.lo, MuxInput::Constant(_));
                if !(low || matches!(n.hi, MuxInput::Constant(_))) || !seen.insert((n.kind() as usize, low)) {
                    continue;
                }
                let tamper = Tamper::TreeMuxConstant { tree, target, node };
                let failures = mock::failures(&m, &q, tamper);
                let pin = if low { " 1 in gate" } else { " 2 in gate" };
                assert!(
                    failures.iter().any(|f| f.contains(GATE) && f.contains(pin)),
                    "{tamper:?}: {failures:?}"
                );
            }
        }
    }
    assert_eq!(seen.len(), 3, "constants, and a constant on either side of a wire: {seen:?}");
}
