//! The witness before any placement: every value the records of a model's circuit hold, computed
//! by pure functions of the quantized model, the features, the wallet and the salt. The chips
//! only place these values (and the cells that follow from a record's own values: a range
//! check's digits, a chain's partial sums). A soundness test plays a cheating prover by editing
//! a [`CircuitWitness`] before it is placed; nothing in the layout knows about tests.

use halo2curves::bn256::Fr;
use loopx_models::{InferenceTrace, OutputSpec, QuantizedModel};

use crate::chips::mux::MuxWitness;
use crate::chips::poseidon::SpongeWitness;
use crate::chips::rescale::RescaleWitness;
use crate::chips::trees::{ones, thresholds, TreesWitness};
use crate::instances::commitment_capacity;
use crate::params::{layer_params, table_index_bits};
use crate::wire::fr_from_i64;

/// Every value of a model circuit's records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitWitness {
    /// The wallet the proof is bound to, as a field element.
    pub wallet: Fr,
    /// The commitment's salt.
    pub salt: Fr,
    /// Each model input's record (shift 0: `pre = out =` the quantized feature).
    pub inputs: Vec<RescaleWitness>,
    /// The tree ensemble's records.
    pub trees: Option<TreesWitness>,
    /// Each dense layer's records.
    pub layers: Vec<LayerWitness>,
    /// The output chip's choice.
    pub output: OutputWitness,
    /// The commitment's sponge.
    pub sponge: SpongeWitness,
    /// The outputs the witness claims (the public instances after the commitment and wallet).
    pub public_outputs: Vec<i64>,
}

/// The records of one dense layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerWitness {
    /// Each neuron's accumulator `W·x + b`.
    pub acc: Vec<i128>,
    /// Each neuron's rescale-and-clamp record.
    pub rescale: Vec<RescaleWitness>,
    /// Each neuron's activation-table read, where its activation is a table.
    pub reads: Vec<Option<TableRead>>,
}

/// One read of an activation table at a clamped pre-activation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRead {
    /// The table's index: the clamped pre-activation plus the table's half range.
    pub index: i64,
    /// The entry read.
    pub value: i64,
    /// The multiplexer tree's nodes (a layout reading tables by multiplexers places them).
    pub nodes: MuxWitness,
}

/// What the output chip chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputWitness {
    /// The whole final vector is published.
    Vector,
    /// The index of the first largest score.
    ArgMax {
        /// The chosen index.
        choice: usize,
    },
    /// Whether the score reaches the threshold.
    Threshold {
        /// The predicate's bit.
        bit: bool,
    },
}

impl CircuitWitness {
    /// The honest witness of `model`'s circuit for the inference `trace`, bound to `wallet` and
    /// salted with `salt`.
    pub fn new(model: &QuantizedModel, trace: &InferenceTrace, wallet: Fr, salt: Fr) -> Self {
        let q = &trace.inputs;
        let inputs =
            q.iter().map(|v| RescaleWitness { pre: *v, rem: 0, s_lo: false, s_hi: false, out: *v }).collect();
        let trees = model.trees.as_ref().map(|trees| {
            let counts: Vec<usize> =
                thresholds(trees, &model.inputs).iter().zip(q).map(|(list, x)| ones(list, *x)).collect();
            TreesWitness::new(trees, &model.inputs, q, &counts)
        });
        let mut message = vec![wallet, salt];
        message.extend(q.iter().map(|v| fr_from_i64(*v)));
        let sponge = SpongeWitness::absorb(commitment_capacity(&model.schema_id(), message.len()), message);
        let mut witness = CircuitWitness {
            wallet,
            salt,
            inputs,
            trees,
            layers: Vec::new(),
            output: OutputWitness::Vector,
            sponge,
            public_outputs: Vec::new(),
        };
        witness.follow(model, trace);
        witness
    }

    /// Sets the records after the model inputs and trees — layers, output choice, claimed
    /// outputs — to those of the inference `trace`.
    pub fn follow(&mut self, model: &QuantizedModel, trace: &InferenceTrace) {
        self.layers =
            (0..model.layers.len()).map(|l| LayerWitness::new(model, l, &trace.layers[l].acc)).collect();
        let first = trace.public_outputs.first().copied().unwrap_or(0);
        self.output = match model.output {
            OutputSpec::Vector => OutputWitness::Vector,
            OutputSpec::ArgMax => OutputWitness::ArgMax { choice: first as usize },
            OutputSpec::Threshold { .. } => OutputWitness::Threshold { bit: first == 1 },
        };
        self.public_outputs = trace.public_outputs.clone();
    }
}

impl LayerWitness {
    /// The records of layer `l` of `model` for the accumulators `acc`.
    pub fn new(model: &QuantizedModel, l: usize, acc: &[i128]) -> Self {
        let layer = &model.layers[l];
        let params = layer_params(model, l);
        let rescale: Vec<RescaleWitness> =
            acc.iter().zip(&params).map(|(a, p)| RescaleWitness::honest(*a, p)).collect();
        let reads = rescale
            .iter()
            .enumerate()
            .map(|(j, r)| {
                layer.activation_of(j).table().map(|table| {
                    let index = table.clamp(r.out) + table.half_range;
                    let bits = table_index_bits(table);
                    // Indices past the table (none once the input is clamped) read its last entry.
                    let mut entries = table.values.clone();
                    entries.resize(1 << bits, table.values.last().copied().unwrap_or(0));
                    let nodes = MuxWitness::read(&entries, bits, |level, _| (index >> level) & 1 == 1);
                    TableRead { index, value: nodes.output(), nodes }
                })
            })
            .collect();
        LayerWitness { acc: acc.to_vec(), rescale, reads }
    }
}
