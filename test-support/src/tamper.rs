//! A cheating prover's witness edits. Each [`Tamper`] changes the [`CircuitWitness`] a circuit
//! is built from — the very values a dishonest prover controls — and every one of them must make
//! verification fail. Where a test is about one constraint, the edit carries its consequences on
//! (a tree's path, the sums and layers after it, the claimed outputs), so that only the
//! constraint under test can reject it.

use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use loopx_circuits::chips::mux_tree::{MuxInput, MuxWitness};
use loopx_circuits::chips::poseidon::SpongeWitness;
use loopx_circuits::chips::rescale::RescaleWitness;
use loopx_circuits::chips::trees::{leaf_node, leaf_trees, ones, position, thresholds, TreesWitness};
use loopx_circuits::params::layer_params;
use loopx_circuits::poseidon::capacity_for_length;
use loopx_circuits::witness::OutputWitness;
use loopx_circuits::{CircuitWitness, ModelCircuit};
use loopx_models::QuantizedModel;

/// A deliberate corruption of the witness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// Replace model input `index` by this quantized value (e.g. one outside its range).
    Input {
        /// Feature index.
        index: usize,
        /// The value the cheater uses.
        value: i64,
    },
    /// Add one to the accumulator at the end of a multiply-accumulate chain.
    DenseAccumulator {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Lower the floor quotient by one and raise the remainder by `2^shift` (out of range).
    RescaleRemainder {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Add one to an activation output (ReLU/clip output or the clamped table input).
    ActivationOutput {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Flip the clamp-below flag, keeping the output consistent with the flipped flag.
    ClampFlag {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Claim the output clamped above (`s_hi = 1`, `out = hi`), whatever the pre-activation.
    ClampAbove {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Add one to an activation table's output (and to its multiplexer tree's last node).
    SigmoidOutput {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Add one to the first multiplexer over a table's constants (entries 0 and 1), which the
    /// table's index need not select.
    SigmoidTableEntry {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Claim another class index.
    ArgMax {
        /// The index claimed.
        index: usize,
    },
    /// Flip the threshold predicate's bit.
    ThresholdBit,
    /// Send tree `tree`'s path the wrong way at `level`: the feature's thermometer moves past (or
    /// back before) that split's threshold, and every split, leaf and sum follows it.
    TreeDirection {
        /// Tree index.
        tree: usize,
        /// Level of the flipped step.
        level: usize,
    },
    /// Set cell `cell` of feature `feature`'s thermometer to `value` (a second step, a zero
    /// among ones, a non-boolean cell); the bounds, the leaves it drives and on follow.
    TreeThermometer {
        /// Feature index.
        feature: usize,
        /// Cell index.
        cell: usize,
        /// The value the cheater puts there.
        value: u64,
    },
    /// Add one to tree `tree`'s first leaf value (and to the sum, and on).
    TreeLeaf {
        /// Tree index.
        tree: usize,
    },
    /// Add one to node `node` of tree `tree`'s multiplexer tree for its target `target` (see
    /// [`leaf_trees`]); the nodes above it, the sums and on follow.
    TreeMux {
        /// Tree index.
        tree: usize,
        /// Target index (into the tree's targets).
        target: usize,
        /// Node of the pruned multiplexer tree.
        node: usize,
    },
    /// Give that node the value of the input its bit does not choose (the nodes above follow).
    TreeMuxSide {
        /// Tree index.
        tree: usize,
        /// Target index (into the tree's targets).
        target: usize,
        /// Node of the pruned multiplexer tree.
        node: usize,
    },
    /// Put one more than the constant into that node's cell for its constant input (its low one
    /// if both are); if its bit chooses that input, the node and those above follow.
    TreeMuxConstant {
        /// Tree index.
        tree: usize,
        /// Target index (into the tree's targets).
        target: usize,
        /// Node of the pruned multiplexer tree (one with a constant input).
        node: usize,
    },
    /// Add one to the sum of leaves of output `output` (and on).
    TreeSum {
        /// Score index.
        output: usize,
    },
    /// Add one to a Poseidon state word at the start of a round of the first permutation.
    PoseidonState {
        /// Round.
        round: usize,
        /// State word.
        word: usize,
    },
    /// Run the commitment's sponge from the capacity of a plain, schema-less hash (a cheater
    /// committing outside the feature schema's domain).
    PoseidonCapacity,
    /// Absorb message element `index` (0 = wallet, 1 = salt, then the features) plus one instead
    /// of the wire the model reads (a commitment to other features than the ones proven).
    PoseidonMessage {
        /// Message element.
        index: usize,
    },
}

impl Tamper {
    /// Applies the edit to `w`, a witness of `model`'s circuit. Panics where the model has no
    /// such cell (a test naming a neuron or tree that does not exist is itself wrong).
    pub fn apply(self, model: &QuantizedModel, w: &mut CircuitWitness) {
        match self {
            Tamper::Input { index, value } => {
                w.inputs[index] = RescaleWitness { pre: value, rem: 0, s_lo: false, s_hi: false, out: value };
            }
            Tamper::DenseAccumulator { layer, neuron } => w.layers[layer].acc[neuron] += 1,
            Tamper::RescaleRemainder { layer, neuron } => {
                let p = layer_params(model, layer)[neuron];
                let r = &mut w.layers[layer].rescale[neuron];
                *r = RescaleWitness::with_quotient(r.pre - 1, r.rem + (1i128 << p.shift), &p);
            }
            Tamper::ActivationOutput { layer, neuron } => w.layers[layer].rescale[neuron].out += 1,
            Tamper::ClampFlag { layer, neuron } => {
                let p = layer_params(model, layer)[neuron];
                let r = &mut w.layers[layer].rescale[neuron];
                r.s_lo = !r.s_lo;
                r.out = if r.s_lo { p.lo } else { r.pre };
            }
            Tamper::ClampAbove { layer, neuron } => {
                let p = layer_params(model, layer)[neuron];
                let r = &mut w.layers[layer].rescale[neuron];
                (r.s_lo, r.s_hi, r.out) = (false, true, p.hi);
            }
            Tamper::SigmoidOutput { layer, neuron } => {
                let read = w.layers[layer].reads[neuron].as_mut().expect("the neuron reads a table");
                read.value += 1;
                if let Some(top) = read.nodes.nodes.last_mut() {
                    *top += 1;
                }
            }
            Tamper::SigmoidTableEntry { layer, neuron } => {
                let read = w.layers[layer].reads[neuron].as_mut().expect("the neuron reads a table");
                read.nodes.nodes[0] += 1;
            }
            Tamper::ArgMax { index } => {
                w.output = OutputWitness::ArgMax { choice: index };
                w.public_outputs = vec![index as i64];
            }
            Tamper::ThresholdBit => {
                if let OutputWitness::Threshold { bit } = &mut w.output {
                    *bit = !*bit;
                    w.public_outputs = vec![i64::from(*bit)];
                }
            }
            Tamper::TreeDirection { tree, level } => {
                let trees = model.trees.as_ref().expect("a tree model");
                let q = features(w);
                let lists = thresholds(trees, &model.inputs);
                let mut counts: Vec<usize> = lists.iter().zip(&q).map(|(list, x)| ones(list, *x)).collect();
                let mut n = 0;
                for _ in 0..level {
                    let split = trees.trees[tree].splits[n];
                    n = 2 * n + 1 + usize::from(q[split.feature] > split.threshold);
                }
                let split = trees.trees[tree].splits[n];
                let i = position(&lists, &model.inputs, &split);
                let f = split.feature;
                counts[f] = if i < counts[f] { i } else { i + 1 };
                w.trees = Some(TreesWitness::new(trees, &model.inputs, &q, &counts));
                follow_trees(model, w);
            }
            Tamper::TreeThermometer { feature, cell, value } => {
                let trees = model.trees.as_ref().expect("a tree model");
                let mut cells = w.trees.as_ref().expect("a tree witness").cells.clone();
                cells[feature][cell] = value;
                w.trees = Some(TreesWitness::from_cells(trees, &model.inputs, &features(w), cells));
                follow_trees(model, w);
            }
            Tamper::TreeLeaf { tree } => {
                let trees = model.trees.as_ref().expect("a tree model");
                let witness = w.trees.as_mut().expect("a tree witness");
                if let Some(top) = witness.leaves[tree][0].nodes.last_mut() {
                    *top += 1;
                }
                witness.sum_leaves(trees);
                follow_trees(model, w);
            }
            Tamper::TreeMux { tree, target, node } => {
                let value = tree_nodes(w, tree, target)[node] + 1;
                set_tree_node(model, w, (tree, target, node), value);
            }
            Tamper::TreeMuxSide { tree, target, node } => {
                let trees = model.trees.as_ref().expect("a tree model");
                let mux = &leaf_trees(trees)[tree][target].nodes[node];
                let nodes = tree_nodes(w, tree, target);
                let right = goes_right(model, w, tree, mux.level, mux.j);
                let other = MuxWitness::value(&nodes, if right { mux.lo } else { mux.hi });
                set_tree_node(model, w, (tree, target, node), other);
            }
            Tamper::TreeMuxConstant { tree, target, node } => {
                let trees = model.trees.as_ref().expect("a tree model");
                let mux = leaf_trees(trees)[tree][target].nodes[node];
                let side = usize::from(!matches!(mux.lo, MuxInput::Constant(_)));
                let leaves = &mut w.trees.as_mut().expect("a tree witness").leaves[tree][target];
                leaves.inputs[node][side] += 1;
                let cheat = leaves.inputs[node][side];
                let right = goes_right(model, w, tree, mux.level, mux.j);
                if usize::from(right) == side {
                    set_tree_node(model, w, (tree, target, node), cheat);
                }
            }
            Tamper::TreeSum { output } => {
                w.trees.as_mut().expect("a tree witness").sums[output] += 1;
                follow_trees(model, w);
            }
            Tamper::PoseidonState { round, word } => w.sponge.states[1 + round][word] += Fr::ONE,
            Tamper::PoseidonCapacity => {
                let message = w.sponge.message.clone();
                w.sponge = SpongeWitness::absorb(capacity_for_length(message.len()), message);
            }
            Tamper::PoseidonMessage { index } => {
                let capacity = w.sponge.states[0][0];
                let mut message = w.sponge.message.clone();
                message[index] += Fr::ONE;
                w.sponge = SpongeWitness::absorb(capacity, message);
            }
        }
    }
}

/// The model inputs a witness holds.
fn features(w: &CircuitWitness) -> Vec<i64> {
    w.inputs.iter().map(|r| r.out).collect()
}

/// The node values of tree `tree`'s multiplexer tree for target `target`.
fn tree_nodes(w: &CircuitWitness, tree: usize, target: usize) -> Vec<i64> {
    w.trees.as_ref().expect("a tree witness").leaves[tree][target].nodes.clone()
}

/// Whether node `j` of level `level` of tree `tree`'s multiplexers honestly takes its second input.
fn goes_right(model: &QuantizedModel, w: &CircuitWitness, tree: usize, level: u32, j: usize) -> bool {
    let trees = model.trees.as_ref().expect("a tree model");
    let split = trees.trees[tree].splits[leaf_node(trees.depth, level, j)];
    features(w)[split.feature] > split.threshold
}

/// Sets one multiplexer node to `value` and makes the nodes above it (honestly driven), the sums,
/// the layers and the claims follow, so that only that node's own record is wrong.
fn set_tree_node(
    model: &QuantizedModel,
    w: &mut CircuitWitness,
    (tree, target, node): (usize, usize, usize),
    value: i64,
) {
    let trees = model.trees.as_ref().expect("a tree model");
    let mux = &leaf_trees(trees)[tree][target];
    let mut nodes = tree_nodes(w, tree, target);
    nodes[node] = value;
    for i in node + 1..nodes.len() {
        let n = mux.nodes[i];
        let input = if goes_right(model, w, tree, n.level, n.j) { n.hi } else { n.lo };
        nodes[i] = MuxWitness::value(&nodes, input);
    }
    let witness = w.trees.as_mut().expect("a tree witness");
    witness.leaves[tree][target].nodes = nodes;
    witness.sum_leaves(trees);
    follow_trees(model, w);
}

/// Makes the layers, the output and the claims follow the (edited) sums of the trees.
fn follow_trees(model: &QuantizedModel, w: &mut CircuitWitness) {
    let scores = w.trees.as_ref().expect("a tree witness").sums.clone();
    let trace = model.finish_trace(features(w), None, scores);
    w.follow(model, &trace);
}

/// Building a circuit over a tampered witness.
pub trait Tampered {
    /// The same circuit over its witness edited by `tamper`.
    fn tampered(self, tamper: Tamper) -> Self;
}

impl Tampered for ModelCircuit {
    fn tampered(self, tamper: Tamper) -> Self {
        let mut witness = self.witness().cloned().expect("a circuit with a witness");
        tamper.apply(self.model(), &mut witness);
        ModelCircuit::from_witness(self.model().clone(), self.shape(), witness)
    }
}
