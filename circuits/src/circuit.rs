//! The wallet model circuit: every chip wired together in one region with explicit row offsets.
//!
//! Row plan (pool columns): the published values, the model inputs, (tree models) the
//! thermometer bounds and the sums of leaves, then per layer the
//! multiply-accumulate chains and the rescale rows, then the argmax / threshold rows, then the
//! Poseidon commitment. The strip rows — range checks by bits, the multiplexers that read the
//! sigmoid tables and the trees' leaves, the trees' thermometers — follow in the same columns.
//! Activation tables are read by multiplexers in the strip, or — when the layouter finds the
//! multiplexers' rows would more than double the domain — by a lookup argument (`chips::table`),
//! whose table columns are filled outside the region.
//! One region and absolute offsets sidestep halo2-axiom's `SimpleFloorPlanner` placing every
//! region at row 0 (DESIGN.md §8).

use halo2_proofs::circuit::{Layouter, Region, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use loopx_models::{ActivationTable, InferenceTrace, OutputSpec, QuantizedModel, QuantizedTrees};

use crate::chips::argmax::ArgMaxConfig;
use crate::chips::dense::DenseConfig;
use crate::chips::mux::MuxConfig;
use crate::chips::pool::ColumnPool;
use crate::chips::poseidon::{PoseidonConfig, SpongeTamper};
use crate::chips::range::{RangeConfig, RangeStrip};
use crate::chips::rescale::{RescaleConfig, RescaleWitness};
use crate::chips::table::TableConfig;
use crate::chips::threshold::ThresholdConfig;
use crate::chips::trees::{self, TreeChips, TreeTampers};
use crate::instances::{commitment_capacity, WALLET_BITS};
use crate::plan::{self, CircuitShape};
use crate::tamper::Tamper;
use crate::wire::Wire;

/// Every column and gate of a model circuit.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    dense: DenseConfig,
    rescale: RescaleConfig,
    argmax: Option<ArgMaxConfig>,
    threshold: Option<ThresholdConfig>,
    poseidon: PoseidonConfig,
    range: RangeConfig,
    mux: Option<MuxConfig>,
    table: Option<TableConfig>,
    pool: ColumnPool,
    q_public: Selector,
}

impl ModelConfig {
    /// Allocates the columns of `shape` and creates every gate.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> Self {
        // Degree 5 even where no gate needs it: the permutation argument then takes three
        // columns per product commitment, and selectors pack several to a fixed column.
        meta.set_minimum_degree(5);
        let pool = ColumnPool::configure(meta, shape.pool_width, shape.pool_fixed());
        // halo2 packs selectors into fixed columns greedily, in declaration order: s selectors
        // share a column as long as s plus the highest gate degree among them (without the
        // selector) stays within the system's degree, 5. Declaring them by falling gate degree
        // fills each column: the cubic Poseidon rounds share one, the quadratic gates the next
        // ones, the linear ones the last. Every column is an elliptic-curve multiplication
        // (~6k gas) in the on-chain verifier, and chips a model does not use are left out: an
        // idle selector still takes a place in a column.
        let poseidon_rounds = [meta.selector(), meta.selector(), meta.selector()];
        let dense = [meta.selector(), meta.selector()];
        let rescale = meta.selector();
        let range = meta.selector();
        let argmax = shape.argmax.then(|| meta.selector());
        let threshold = shape.threshold.then(|| meta.selector());
        let mux = shape.mux.then(|| [meta.selector(), meta.selector()]);
        let may_not_clamp = meta.selector();
        let below_only = meta.selector();
        let q_public = meta.selector();
        let poseidon_init = meta.selector();
        // A lookup's selector is complex (never packed with others): its own fixed column.
        let table = shape.lookup.then(|| meta.complex_selector());

        // The public values sit in the first pool rows, one per row, and a gate ties each to the
        // instance of the same row. Publishing by gate instead of by copy keeps the instance
        // column out of the permutation argument: one commitment fewer for every verifier.
        let instance = meta.instance_column();
        meta.create_gate("public instance", |meta| {
            let q = meta.query_selector(q_public);
            let published = meta.query_advice(pool.advice[0], Rotation::cur());
            vec![q * (published - meta.query_instance(instance, Rotation::cur()))]
        });
        ModelConfig {
            dense: DenseConfig::configure(meta, &pool, dense),
            rescale: RescaleConfig::configure(meta, &pool, [rescale, may_not_clamp, below_only]),
            argmax: argmax.map(|q| ArgMaxConfig::configure(meta, &pool, q)),
            threshold: threshold.map(|q| ThresholdConfig::configure(meta, &pool, q)),
            poseidon: PoseidonConfig::configure(
                meta,
                &pool,
                [poseidon_rounds[0], poseidon_rounds[1], poseidon_rounds[2], poseidon_init],
            ),
            range: RangeConfig::configure(meta, &pool, range),
            mux: mux.map(|q| MuxConfig::configure(meta, &pool, q)),
            table: table.map(|q| TableConfig::configure(meta, &pool, q)),
            pool,
            q_public,
        }
    }
}

/// The prover's private data: features (inside the trace), wallet and salt.
#[derive(Clone, Debug)]
pub struct ModelWitness {
    /// The integer inference of the quantized model on the private features.
    pub trace: InferenceTrace,
    /// The wallet address as a field element.
    pub wallet: Fr,
    /// The commitment's salt.
    pub salt: Fr,
}

/// A quantized wallet model as a halo2 circuit.
#[derive(Clone, Debug)]
pub struct ModelCircuit {
    model: QuantizedModel,
    shape: CircuitShape,
    witness: Option<ModelWitness>,
    tamper: Option<Tamper>,
}

impl ModelCircuit {
    /// A circuit without witness, for key generation.
    pub fn for_keygen(model: QuantizedModel, shape: CircuitShape) -> Self {
        ModelCircuit { model, shape, witness: None, tamper: None }
    }

    /// A circuit with the prover's witness.
    pub fn with_witness(model: QuantizedModel, shape: CircuitShape, witness: ModelWitness) -> Self {
        ModelCircuit { model, shape, witness: Some(witness), tamper: None }
    }

    /// The same circuit with one witness cell corrupted (soundness tests). A tree tamper is
    /// carried on consistently (the sums, the layers after them and the public outputs follow the
    /// corrupted path), so only the broken tree constraint itself can reject it.
    pub fn tampered(mut self, tamper: Tamper) -> Self {
        self.tamper = Some(tamper);
        self.retrace_trees();
        self
    }

    /// The public outputs the witness claims (after any tamper).
    pub fn claimed_outputs(&self) -> Option<&[i64]> {
        self.witness.as_ref().map(|w| w.trace.public_outputs.as_slice())
    }

    fn retrace_trees(&mut self) {
        let tree_tamper = self.tamper.is_some_and(|t| t.is_tree());
        let (Some(trees), Some(witness), true) = (&self.model.trees, &self.witness, tree_tamper) else {
            return;
        };
        let q = &witness.trace.inputs;
        let lists = trees::thresholds(trees, &self.model.inputs);
        let ones = self.tree_ones(trees, q, &lists);
        let mut scores = trees.base.clone();
        for (t, tree) in trees.trees.iter().enumerate() {
            let values = self.tree_leaves(trees, t, &ones, &lists);
            for (k, o) in tree.targets.iter().enumerate() {
                scores[*o] += values[k];
            }
        }
        if let Some(Tamper::TreeSum { output }) = self.tamper {
            scores[output] += 1;
        }
        let trace = self.model.finish_trace(q.clone(), witness.trace.trees.clone(), scores);
        if let Some(w) = self.witness.as_mut() {
            w.trace = trace;
        }
    }

    /// Each feature's thermometer count on features `q`, with a direction tamper applied: the
    /// count moves just past (or back before) the tampered split's threshold.
    fn tree_ones(&self, trees: &QuantizedTrees, q: &[i64], lists: &[Vec<i64>]) -> Vec<usize> {
        let mut ones: Vec<usize> = lists.iter().zip(q).map(|(list, x)| trees::ones(list, *x)).collect();
        if let Some(Tamper::TreeDirection { tree, level }) = self.tamper {
            let mut n = 0;
            for _ in 0..level {
                let split = trees.trees[tree].splits[n];
                n = 2 * n + 1 + usize::from(q[split.feature] > split.threshold);
            }
            let split = trees.trees[tree].splits[n];
            let i = trees::position(lists, &self.model.inputs, &split);
            let f = split.feature;
            ones[f] = if i < ones[f] { i } else { i + 1 };
        }
        ones
    }

    /// The leaf values tree `t` reaches under the thermometer counts `ones` (a leaf tamper adds
    /// one to the first).
    fn tree_leaves(&self, trees: &QuantizedTrees, t: usize, ones: &[usize], lists: &[Vec<i64>]) -> Vec<i64> {
        let splits = &trees.trees[t].splits;
        let mut values = trees::leaf_values(trees, t, |n| {
            trees::position(lists, &self.model.inputs, &splits[n]) < ones[splits[n].feature]
        });
        if self.tamper == Some(Tamper::TreeLeaf { tree: t }) {
            values[0] += 1;
        }
        values
    }

    /// The circuit's shape.
    pub fn shape(&self) -> CircuitShape {
        self.shape
    }

    fn value<T: Clone>(&self, f: impl FnOnce(&ModelWitness) -> T) -> Value<T> {
        self.witness.as_ref().map_or(Value::unknown(), |w| Value::known(f(w)))
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn without_witnesses(&self) -> Self {
        ModelCircuit { model: self.model.clone(), shape: self.shape, witness: None, tamper: None }
    }

    fn params(&self) -> CircuitShape {
        self.shape
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> ModelConfig {
        ModelConfig::configure(meta, shape)
    }

    fn configure(_meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        unreachable!("the model circuit is always configured with its shape")
    }

    fn synthesize(&self, config: ModelConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_region(|| "model", |mut region| self.lay_out(&config, &mut region))?;
        if let Some(table) = &config.table {
            table.assign_tables(&mut layouter, &plan::table_set(&self.model))?;
        }
        Ok(())
    }
}

impl ModelCircuit {
    /// Lays every chip out and publishes the commitment, the wallet and the outputs.
    fn lay_out(&self, config: &ModelConfig, region: &mut Region<'_, Fr>) -> Result<(), Error> {
        let model = &self.model;
        let plan = plan::measure(model, self.shape.pool_width, self.shape.lookup);
        let tables = plan::table_set(model);
        // The strip rows follow the chips' rows in the pool.
        let mut strip = RangeStrip::new(&config.range, plan.pool_rows);
        // Rows 0..instances hold the published values; the chips start after them.
        let mut row = plan.instances;

        // Model inputs: range-checked, never clamped.
        let mut current: Vec<(Wire, Value<i64>)> = Vec::with_capacity(model.inputs.len());
        for (i, params) in plan::input_params(model).iter().enumerate() {
            let mut q = self.value(|w| w.trace.inputs[i]);
            if let Some(Tamper::Input { index, value }) = self.tamper {
                if index == i {
                    q = q.map(|_| value);
                }
            }
            let witness = q.map(|q| RescaleWitness { pre: q, rem: 0, s_lo: false, s_hi: false, out: q });
            let out =
                config.rescale.assign(region, &mut strip, row, None, q.map(i128::from), params, witness)?;
            current.push((out.out, q));
            row += config.rescale.rows();
        }
        let features: Vec<Wire> = current.iter().map(|(w, _)| *w).collect();
        if let Some(trees) = &model.trees {
            current = self.lay_out_trees(config, trees, region, &mut strip, &mut row, &current)?;
        }

        for (l, layer) in model.layers.iter().enumerate() {
            let params = plan::layer_params(model, l);
            let inputs: Vec<Wire> = current.iter().map(|(w, _)| *w).collect();
            let mut accs = Vec::with_capacity(layer.outputs());
            for j in 0..layer.outputs() {
                let tamper = matches!(self.tamper, Some(Tamper::DenseAccumulator { layer: tl, neuron }) if tl == l && neuron == j)
                    .then_some(Fr::ONE);
                let (acc, rows) = config.dense.assign_output(
                    region,
                    row,
                    &inputs,
                    &layer.weights[j],
                    layer.bias[j],
                    tamper,
                )?;
                accs.push(acc);
                row += rows;
            }
            let mut next = Vec::with_capacity(layer.outputs());
            for (j, acc) in accs.iter().enumerate() {
                let acc_int = self.value(|w| w.trace.layers[l].acc[j]);
                let witness = acc_int
                    .map(|a| self.tampered_rescale(l, j, RescaleWitness::honest(a, &params[j]), &params[j]));
                let out = config.rescale.assign(
                    region,
                    &mut strip,
                    row,
                    Some(acc),
                    acc_int,
                    &params[j],
                    witness,
                )?;
                row += config.rescale.rows();
                match layer.activation_of(j).table() {
                    Some(table) => {
                        // Clamped again: a tampered clamp flag may leave `out` outside the table.
                        let mut value = witness.map(|w| table.lookup(table.clamp(w.out)));
                        let output = self.tamper == Some(Tamper::SigmoidOutput { layer: l, neuron: j });
                        let entry = self.tamper == Some(Tamper::SigmoidTableEntry { layer: l, neuron: j });
                        if output {
                            value = value.map(|v| v + 1);
                        }
                        // Level 0 holds the table's constants; the top level gives the output.
                        let tamper = match (output, entry) {
                            (true, _) => Some(plan::table_index_bits(table) - 1),
                            (_, true) => Some(0),
                            _ => None,
                        };
                        let wire = match (&config.table, &config.mux) {
                            (Some(lookup), _) => {
                                let base = tables.base(&table.values).ok_or(Error::Synthesis)?;
                                let wire =
                                    lookup.read(region, row, &out.out, value, base, table.half_range)?;
                                row += lookup.rows();
                                wire
                            }
                            (None, Some(mux)) => self.read_table_by_mux(
                                config, mux, region, &mut strip, &mut row, table, &out.out, tamper,
                            )?,
                            (None, None) => return Err(Error::Synthesis),
                        };
                        next.push((wire, value));
                    }
                    None => next.push((out.out, witness.map(|w| w.out))),
                }
            }
            current = next;
        }

        let check_bits = plan::output_check_bits(model);
        let outputs: Vec<Wire> = match &model.output {
            OutputSpec::Vector => current.iter().map(|(w, _)| *w).collect(),
            OutputSpec::ArgMax => {
                let mut choice = self.value(|w| w.trace.public_outputs[0] as usize);
                if let Some(Tamper::ArgMax { index }) = self.tamper {
                    choice = choice.map(|_| index);
                }
                let argmax = config.argmax.as_ref().ok_or(Error::Synthesis)?;
                let (idx, rows) = argmax.assign(region, &mut strip, row, &current, choice, check_bits)?;
                row += rows;
                vec![idx]
            }
            OutputSpec::Threshold { index, threshold } => {
                let mut bit = self.value(|w| w.trace.public_outputs[0] == 1);
                if self.tamper == Some(Tamper::ThresholdBit) {
                    bit = bit.map(|b| !b);
                }
                let (y, y_int) = current.get(*index).ok_or(Error::Synthesis)?;
                let threshold_chip = config.threshold.as_ref().ok_or(Error::Synthesis)?;
                let wire = threshold_chip.assign(
                    region,
                    &mut strip,
                    row,
                    (y, *y_int),
                    *threshold,
                    bit,
                    check_bits,
                )?;
                row += threshold_chip.rows();
                vec![wire]
            }
        };

        // Commitment = Poseidon under the schema's domain (wallet, salt, features…), over the
        // very wires the model read: the committed and the proven features cannot differ.
        let wallet = config.pool.assign(region, row, 0, self.value(|w| w.wallet));
        // The published wallet is an address: without this check `wallet + p` aliases and any
        // field element (p − 1, say) would pass as a wallet in native verification.
        strip.range_check(region, &wallet, WALLET_BITS)?;
        let salt = config.pool.assign(region, row, 1, self.value(|w| w.salt));
        row += config.pool.rows_for(2);
        let mut message = vec![wallet, salt];
        message.extend(features);
        let tamper = match self.tamper {
            Some(Tamper::PoseidonState { round, word }) => Some(SpongeTamper::State { round, word }),
            Some(Tamper::PoseidonCapacity) => {
                Some(SpongeTamper::Capacity(crate::poseidon::capacity_for_length(message.len())))
            }
            Some(Tamper::PoseidonMessage { index }) => Some(SpongeTamper::Message { index }),
            _ => None,
        };
        let capacity = commitment_capacity(&model.schema_id(), message.len());
        let (commitment, rows) = config.poseidon.hash(region, row, capacity, &message, tamper)?;
        if row + rows != plan.pool_rows || strip.next_row() != plan.pool_rows + plan.strip_rows {
            // The plan sized k from these counts; a mismatch would be a layouter bug.
            return Err(Error::Synthesis);
        }

        for (i, wire) in [commitment, wallet].iter().chain(&outputs).enumerate() {
            config.pool.copy(region, i, 0, wire);
            config.q_public.enable(region, i)?;
        }
        Ok(())
    }

    /// Reads `table` at the clamped input `input` by multiplexers: the index `input + half_range` (a
    /// dense row) is split into bits by a range check, and the bits drive a multiplexer tree
    /// over the table's entries.
    #[allow(clippy::too_many_arguments)]
    fn read_table_by_mux(
        &self,
        config: &ModelConfig,
        mux: &MuxConfig,
        region: &mut Region<'_, Fr>,
        strip: &mut RangeStrip<'_>,
        row: &mut usize,
        table: &ActivationTable,
        input: &Wire,
        tamper_level: Option<u32>,
    ) -> Result<Wire, Error> {
        let bits = plan::table_index_bits(table);
        let (index, rows) =
            config.dense.assign_output(region, *row, &[*input], &[1], table.half_range, None)?;
        *row += rows;
        let index_bits = strip.range_check(region, &index, bits)?;
        // Indices past the table (none once the input is clamped) read its last entry.
        let mut entries = table.values.clone();
        let last = *entries.last().ok_or(Error::Synthesis)?;
        entries.resize(1 << bits, last);
        mux.table(region, strip, &entries, bits, |level, _| &index_bits[level as usize], tamper_level)
    }

    /// Lays out the trees (thermometer bounds and sums from `row` on, the rest in the strip);
    /// returns the scores (wires and values).
    fn lay_out_trees(
        &self,
        config: &ModelConfig,
        trees: &QuantizedTrees,
        region: &mut Region<'_, Fr>,
        strip: &mut RangeStrip<'_>,
        row: &mut usize,
        features: &[(Wire, Value<i64>)],
    ) -> Result<Vec<(Wire, Value<i64>)>, Error> {
        let q = features.iter().map(|(_, q)| *q).fold(Value::known(Vec::new()), |acc, q| {
            acc.zip(q).map(|(mut v, q)| {
                v.push(q);
                v
            })
        });
        let lists = trees::thresholds(trees, &self.model.inputs);
        let ones = q.as_ref().map(|q| self.tree_ones(trees, q, &lists));
        let chips = TreeChips { dense: &config.dense, mux: config.mux.as_ref().ok_or(Error::Synthesis)? };
        let tampers = TreeTampers {
            thermometer: match self.tamper {
                Some(Tamper::TreeThermometer { feature }) => Some(feature),
                _ => None,
            },
            leaf: match self.tamper {
                Some(Tamper::TreeLeaf { tree }) => Some(tree),
                _ => None,
            },
        };
        let wires: Vec<Wire> = features.iter().map(|(w, _)| *w).collect();
        let leaves = chips.lay_out(
            region,
            strip,
            row,
            trees,
            &self.model.inputs,
            &lists,
            &wires,
            ones.as_ref().map(|o| o.as_slice()),
            tampers,
        )?;
        let values: Value<Vec<Vec<i64>>> = ones
            .as_ref()
            .map(|o| (0..trees.trees.len()).map(|t| self.tree_leaves(trees, t, o, &lists)).collect());
        let mut scores = Vec::with_capacity(trees.outputs());
        for (o, terms) in plan::trees_by_output(trees).iter().enumerate() {
            let inputs: Vec<Wire> = terms.iter().map(|(t, k)| leaves[*t][*k]).collect();
            let tamper = (self.tamper == Some(Tamper::TreeSum { output: o })).then_some(Fr::ONE);
            let (acc, rows) = config.dense.assign_output(
                region,
                *row,
                &inputs,
                &vec![1; inputs.len()],
                trees.base[o],
                tamper,
            )?;
            *row += rows;
            let value = terms.iter().fold(Value::known(trees.base[o]), |acc, (t, k)| {
                acc.zip(values.as_ref()).map(|(a, v)| a + v[*t][*k])
            });
            scores.push((acc, value.map(|v| v + i64::from(tamper.is_some()))));
        }
        Ok(scores)
    }

    fn tampered_rescale(
        &self,
        l: usize,
        j: usize,
        mut w: RescaleWitness,
        p: &crate::chips::rescale::RescaleParams,
    ) -> RescaleWitness {
        match self.tamper {
            Some(Tamper::RescaleRemainder { layer, neuron }) if layer == l && neuron == j => {
                w = RescaleWitness::with_quotient(w.pre - 1, w.rem + (1i128 << p.shift), p);
            }
            Some(Tamper::ActivationOutput { layer, neuron }) if layer == l && neuron == j => w.out += 1,
            Some(Tamper::ClampFlag { layer, neuron }) if layer == l && neuron == j => {
                w.s_lo = !w.s_lo;
                w.out = if w.s_lo { p.lo } else { w.pre };
            }
            Some(Tamper::ClampAbove { layer, neuron }) if layer == l && neuron == j => {
                w.s_lo = false;
                w.s_hi = true;
                w.out = p.hi;
            }
            _ => {}
        }
        w
    }
}
