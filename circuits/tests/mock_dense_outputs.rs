//! MockProver specifications of multi-output dense rows (`T` outputs of a layer per chain, see
//! `loopx_circuits::chips::dense`): the honest witness passes at every `T`, a wrong accumulator
//! is caught in every slot on first and following rows, a copied input cannot differ from the
//! value it copies even when every accumulator is adjusted to it, an unused slot of a layer whose
//! output count is not a multiple of `T` holds 0 and nothing else, and the bias is added on the
//! first row only.
//!
//! The cheater here edits cells directly: a chain's partial sums are not part of the
//! [`CircuitWitness`] (they follow from the inputs), so the circuit below runs the real layout on
//! a sheet that shifts chosen advice cells, and the claimed final accumulators through the witness
//! with every consequence carried on (rescale records, later layers, published outputs), so that
//! only the constraint under test can object.

use halo2_proofs::circuit::{Cell, Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Fixed, Selector};
use halo2curves::bn256::Fr;
use loopx_circuits::chips::dense::{chain_rows, inputs_per_row};
use loopx_circuits::layout::lay_out;
use loopx_circuits::plan::sized_with_outputs;
use loopx_circuits::sheet::{RowCount, Sheet};
use loopx_circuits::wire::fr_from_i64;
use loopx_circuits::witness::LayerWitness;
use loopx_circuits::{commitment, CircuitShape, CircuitWitness, ModelConfig, PublicInstances};
use loopx_models::{Activation, Bounds, OutputSpec, QuantizedInput, QuantizedModel};
use loopx_test_support::synthetic::{dense_layer, pseudo};

const WALLET: u64 = 0xabcdef;
const SALT: u64 = 77;
const GATE: &str = "'dense multiply-accumulate'";

/// Ten features, seven ReLU neurons, three identity outputs, published as a vector: neither 7
/// nor 3 is a multiple of 2 or 4, so the last chain of each layer has unused slots, and a first
/// layer chain takes three rows at four inputs per row (first, middle and last rows).
fn mlp() -> QuantizedModel {
    let mut seed = 0x51ed_27a1_90c4_3b77;
    let inputs: Vec<QuantizedInput> = (0..10)
        .map(|i| QuantizedInput { name: format!("x{i}"), scale_bits: 6, min: -200, max: 1000 })
        .collect();
    let mut bounds: Vec<Bounds> = inputs.iter().map(|i| Bounds { min: i.min, max: i.max }).collect();
    let mut layers = Vec::new();
    for (outputs, activation) in [(7, Activation::Relu), (3, Activation::Identity)] {
        // Biases never zero: the bias-on-a-following-row case adds one again.
        let layer = dense_layer(&bounds, outputs, activation, None, 8, 10_001, &mut seed);
        bounds = layer.out_bounds.clone();
        layers.push(layer);
    }
    let m = QuantizedModel { inputs, trees: None, layers, output: OutputSpec::Vector };
    m.validate().expect("well-formed test model");
    m
}

fn features(m: &QuantizedModel) -> Vec<i64> {
    let mut s = 0x2545_f491_4f6c_dd1d;
    m.inputs.iter().map(|i| i.min + pseudo(&mut s, 10_000).rem_euclid(i.max - i.min + 1)).collect()
}

/// `(pool width, outputs per row)`: one output (today's rows), two, three and four.
const LAYOUTS: [(usize, usize); 4] = [(5, 1), (6, 2), (7, 3), (8, 4)];

/// Adds `delta` to the pool's advice cell in column `column` on row `row`.
#[derive(Clone, Copy, Debug)]
struct Edit {
    column: usize,
    row: usize,
    delta: Fr,
}

/// A sheet that places every cell as `inner` does, but shifts the edited ones.
struct EditedSheet<'a, S> {
    inner: &'a mut S,
    advice: Vec<Column<Advice>>,
    edits: &'a [Edit],
}

impl<S: Sheet> Sheet for EditedSheet<'_, S> {
    fn assign(&mut self, column: Column<Advice>, row: usize, value: Value<Fr>) -> Cell {
        let delta =
            self.edits.iter().filter(|e| self.advice[e.column] == column && e.row == row).map(|e| e.delta);
        let value = delta.fold(value, |v, d| v.map(|v| v + d));
        self.inner.assign(column, row, value)
    }

    fn fix(&mut self, column: Column<Fixed>, row: usize, value: Fr) {
        self.inner.fix(column, row, value);
    }

    fn enable(&mut self, selector: &Selector, row: usize) -> Result<(), Error> {
        self.inner.enable(selector, row)
    }

    fn equal(&mut self, left: Cell, right: Cell) {
        self.inner.equal(left, right);
    }
}

/// The model circuit over a (possibly edited) witness, its cells edited as laid out.
#[derive(Clone)]
struct EditedCircuit {
    model: QuantizedModel,
    shape: CircuitShape,
    witness: Option<CircuitWitness>,
    edits: Vec<Edit>,
}

impl Circuit<Fr> for EditedCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn without_witnesses(&self) -> Self {
        EditedCircuit { witness: None, edits: Vec::new(), ..self.clone() }
    }

    fn params(&self) -> CircuitShape {
        self.shape
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> ModelConfig {
        ModelConfig::configure(meta, shape)
    }

    fn configure(_meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        unreachable!("configured with its shape")
    }

    fn synthesize(&self, config: ModelConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let strip_start = lay_out(&config, &self.model, None, &mut RowCount::default(), 0)?.pool_rows;
        layouter.assign_region(
            || "model",
            |mut region| {
                let advice = config.pool().advice.clone();
                let mut sheet = EditedSheet { inner: &mut region, advice, edits: &self.edits };
                lay_out(&config, &self.model, self.witness.as_ref(), &mut sheet, strip_start).map(|_| ())
            },
        )
    }
}

/// A row counter that also records where the dense chains start and the first fixed cell.
#[derive(Default)]
struct ChainFinder {
    rows: RowCount,
    first: Option<Selector>,
    starts: Vec<usize>,
    first_fixed: Option<usize>,
}

impl Sheet for ChainFinder {
    fn assign(&mut self, column: Column<Advice>, row: usize, value: Value<Fr>) -> Cell {
        self.rows.assign(column, row, value)
    }

    fn fix(&mut self, column: Column<Fixed>, row: usize, value: Fr) {
        self.first_fixed = Some(self.first_fixed.map_or(row, |r| r.min(row)));
        self.rows.fix(column, row, value);
    }

    fn enable(&mut self, selector: &Selector, row: usize) -> Result<(), Error> {
        if Some(*selector) == self.first {
            self.starts.push(row);
        }
        self.rows.enable(selector, row)
    }

    fn equal(&mut self, left: Cell, right: Cell) {
        self.rows.equal(left, right);
    }
}

/// One layout of the test model, the honest witness, and where its chains are.
struct Setup {
    model: QuantizedModel,
    shape: CircuitShape,
    q: Vec<i64>,
    honest: CircuitWitness,
    /// Each layer's chains: first row and rows, in output order.
    chains: Vec<Vec<(usize, usize)>>,
    /// Where halo2-axiom's MockProver starts the region: it reports a gate's failure at an
    /// offset from the region's first *fixed* cell (only fixed cells extend a region there).
    region_start: usize,
}

impl Setup {
    fn new(width: usize, outputs: usize) -> Self {
        let model = mlp();
        let shape = sized_with_outputs(&model, width, false, outputs).shape;
        assert_eq!(shape.dense_outputs, outputs);
        let mut cs = ConstraintSystem::<Fr>::default();
        let config = ModelConfig::configure(&mut cs, shape);
        let mut finder = ChainFinder { first: Some(config.dense().selectors()[0]), ..Default::default() };
        // Laid out as synthesis lays it out: the strip after the chips' rows.
        let strip_start =
            lay_out(&config, &model, None, &mut RowCount::default(), 0).expect("layout").pool_rows;
        lay_out(&config, &model, None, &mut finder, strip_start).expect("layout");
        // A ReLU/identity model takes the dense gate for its layers only, in layer order.
        let mut starts = finder.starts.clone().into_iter();
        let chains = model
            .layers
            .iter()
            .map(|layer| {
                let rows = chain_rows(layer.inputs(), width, outputs);
                (0..layer.outputs().div_ceil(outputs)).map(|_| (starts.next().unwrap(), rows)).collect()
            })
            .collect();
        assert!(starts.next().is_none(), "every chain belongs to a layer");
        let q = features(&model);
        let honest =
            CircuitWitness::new(&model, &model.forward(&q).unwrap(), Fr::from(WALLET), Fr::from(SALT));
        let region_start = finder.first_fixed.expect("fixed cells");
        Setup { model, shape, q, honest, chains, region_start }
    }

    fn t(&self) -> usize {
        self.shape.dense_outputs
    }

    /// The first input column's index of an accumulator slot.
    fn acc_column(&self, slot: usize) -> usize {
        inputs_per_row(self.shape.pool_width, self.t()) + slot
    }

    /// MockProver's failures for `witness` with `edits`, publishing what the witness claims.
    fn verdict(&self, witness: CircuitWitness, edits: Vec<Edit>) -> Vec<String> {
        let public = PublicInstances {
            commitment: commitment(&self.model.schema_id(), Fr::from(WALLET), Fr::from(SALT), &self.q),
            wallet: Fr::from(WALLET),
            outputs: witness.public_outputs.iter().map(|v| fr_from_i64(*v)).collect(),
        };
        let circuit =
            EditedCircuit { model: self.model.clone(), shape: self.shape, witness: Some(witness), edits };
        let prover = MockProver::run(self.shape.k, &circuit, vec![public.to_vec()]).expect("synthesis");
        prover.verify().err().unwrap_or_default().iter().map(|f| f.to_string()).collect()
    }

    /// A consistent cheat: output `j` of layer `l` (an unused slot where `j` is past the layer's
    /// outputs) is `delta` more than honest from row `from` of its chain on; the claimed final
    /// accumulator and everything after it follow.
    fn shift(
        &self,
        witness: &mut CircuitWitness,
        edits: &mut Vec<Edit>,
        l: usize,
        j: usize,
        from: usize,
        delta: i64,
    ) {
        let (start, rows) = self.chains[l][j / self.t()];
        let column = self.acc_column(j % self.t());
        let used = j < self.model.layers[l].outputs();
        let last = if used { rows - 1 } else { rows };
        for r in from..last {
            edits.push(Edit { column, row: start + r, delta: fr_from_i64(delta) });
        }
        if used {
            let mut acc = witness.layers[l].acc.clone();
            acc[j] += i128::from(delta);
            carry_on(&self.model, witness, l, acc);
        }
    }

    /// Exactly one failure: the dense gate's `constraint` on pool row `row`.
    fn assert_only(&self, failures: &[String], constraint: usize, row: usize, case: &str) {
        let wanted = format!("Constraint {constraint} in gate");
        let at = format!("at offset {}\n", row - self.region_start);
        assert!(
            failures.len() == 1
                && failures[0].contains(GATE)
                && failures[0].contains(&wanted)
                && failures[0].contains(&at),
            "{case}: expected only constraint {constraint} of the dense gate on row {row}, got {failures:?}"
        );
    }
}

/// Sets layer `l`'s accumulators to `acc` and recomputes its records, the later layers and the
/// published outputs from them, as a cheater committed to that accumulator would.
fn carry_on(m: &QuantizedModel, w: &mut CircuitWitness, l: usize, mut acc: Vec<i128>) {
    for k in l..m.layers.len() {
        w.layers[k] = LayerWitness::new(m, k, &acc);
        let out: Vec<i64> = w.layers[k].rescale.iter().map(|r| r.out).collect();
        match m.layers.get(k + 1) {
            Some(next) => acc = next.forward(&out).acc,
            None => w.public_outputs = out,
        }
    }
}

#[test]
fn honest_multi_output_rows_satisfy_every_constraint_and_take_the_predicted_rows() {
    for (width, t) in LAYOUTS {
        let s = Setup::new(width, t);
        assert!(s.verdict(s.honest.clone(), Vec::new()).is_empty(), "width {width}, T = {t}");
        // One chain per group of T outputs, ⌈n / (width − T)⌉ rows each.
        for (layer, chains) in s.model.layers.iter().zip(&s.chains) {
            assert_eq!(chains.len(), layer.outputs().div_ceil(t));
            assert!(chains.windows(2).all(|c| c[1].0 == c[0].0 + c[0].1), "chains are contiguous");
        }
        assert_eq!(s.chains[0][0].1, 10usize.div_ceil(width - t));
    }
}

#[test]
fn a_wrong_accumulator_is_rejected_in_every_slot_on_first_and_following_rows() {
    for (width, t) in LAYOUTS {
        let s = Setup::new(width, t);
        for l in 0..2 {
            let rows = s.chains[l][0].1;
            for slot in 0..t {
                for from in 0..rows {
                    let (mut w, mut edits) = (s.honest.clone(), Vec::new());
                    s.shift(&mut w, &mut edits, l, slot, from, 1);
                    let constraint = 2 * slot + usize::from(from > 0);
                    let case =
                        format!("width {width}, T = {t}, layer {l}, slot {slot}, row {from} of {rows}");
                    s.assert_only(&s.verdict(w, edits), constraint, s.chains[l][0].0 + from, &case);
                }
            }
        }
    }
}

#[test]
fn a_copied_input_differing_from_its_source_is_rejected_by_the_permutation() {
    // The strongest cheat on an input: every accumulator of the chain follows the changed value,
    // so the gate holds everywhere and only the copy constraint can object.
    for (width, t) in LAYOUTS {
        let s = Setup::new(width, t);
        let m = inputs_per_row(width, t);
        let (start, _) = s.chains[0][1];
        let (row, column) = (1, m - 1);
        let input = row * m + column;
        let (mut w, mut edits) =
            (s.honest.clone(), vec![Edit { column, row: start + row, delta: Fr::from(1) }]);
        for slot in 0..t {
            let j = t + slot;
            if let Some(weights) = s.model.layers[0].weights.get(j) {
                s.shift(&mut w, &mut edits, 0, j, row, weights[input]);
            }
        }
        let failures = s.verdict(w, edits);
        let cell = format!("on row {})", start + row);
        assert!(
            failures.iter().any(|f| f.contains("Equality constraint not satisfied") && f.contains(&cell))
                && failures.iter().all(|f| f.contains("Equality constraint not satisfied")),
            "width {width}, T = {t}: {failures:?}"
        );
    }
}

#[test]
fn an_unused_slot_holding_anything_but_zero_is_rejected() {
    for (width, t) in LAYOUTS.into_iter().filter(|(_, t)| *t > 1) {
        let s = Setup::new(width, t);
        let mut checked = 0;
        for l in 0..2 {
            let outputs = s.model.layers[l].outputs();
            let (start, rows) = *s.chains[l].last().unwrap();
            for j in outputs..outputs.div_ceil(t) * t {
                for from in 0..rows {
                    // From `from` on, the slot holds 5 on every row: only the row where it
                    // departs from the one above (or from 0, on the first) breaks.
                    let (mut w, mut edits) = (s.honest.clone(), Vec::new());
                    s.shift(&mut w, &mut edits, l, j, from, 5);
                    let constraint = 2 * (j % t) + usize::from(from > 0);
                    let case =
                        format!("width {width}, T = {t}, layer {l}, unused slot {}, row {from}", j % t);
                    s.assert_only(&s.verdict(w, edits), constraint, start + from, &case);
                    checked += 1;
                }
            }
        }
        assert!(checked > 0, "T = {t}: no unused slot");
    }
}

#[test]
fn a_bias_added_again_on_a_following_row_is_rejected() {
    for (width, t) in LAYOUTS {
        let s = Setup::new(width, t);
        let rows = s.chains[0][0].1;
        assert!(rows > 1, "width {width}: chains of several rows");
        for slot in 0..t {
            for from in 1..rows {
                let bias = s.model.layers[0].bias[slot];
                let (mut w, mut edits) = (s.honest.clone(), Vec::new());
                s.shift(&mut w, &mut edits, 0, slot, from, bias);
                let case = format!("width {width}, T = {t}, slot {slot}, bias again on row {from}");
                s.assert_only(&s.verdict(w, edits), 2 * slot + 1, s.chains[0][0].0 + from, &case);
            }
        }
    }
}

#[test]
fn a_shape_with_one_output_per_row_reads_and_writes_as_before() {
    let before = r#"{"k":12,"pool_width":6,"trees":false,"argmax":true,"threshold":false,"mux":true}"#;
    let shape: CircuitShape = serde_json::from_str(before).unwrap();
    assert_eq!(shape.dense_outputs, 1);
    assert_eq!(shape.pool_fixed(), 6, "one weight per input and the bias, as before");
    assert_eq!(serde_json::to_string(&shape).unwrap(), before);
    let four = CircuitShape { dense_outputs: 4, pool_width: 12, ..shape };
    assert_eq!(four.pool_fixed(), 4 * (12 - 4 + 1));
    let text = serde_json::to_string(&four).unwrap();
    assert!(text.contains(r#""dense_outputs":4"#), "{text}");
    assert_eq!(serde_json::from_str::<CircuitShape>(&text).unwrap(), four);
    assert_eq!(CircuitShape::default().dense_outputs, 1);
}

#[test]
fn a_shape_without_room_for_an_input_beside_its_outputs_is_refused_not_wrapped() {
    // A damaged key header may carry any count: configuring it panics (the key reader's guard
    // turns that into an error) instead of wrapping around to an absurd number of columns.
    for (width, outputs) in [(8, 0), (8, 8), (8, usize::MAX)] {
        let shape = CircuitShape { k: 10, pool_width: width, dense_outputs: outputs, ..Default::default() };
        let refused = std::panic::catch_unwind(|| {
            ModelConfig::configure(&mut ConstraintSystem::<Fr>::default(), shape);
        });
        assert!(refused.is_err(), "width {width}, {outputs} outputs per row was configured");
    }
}
