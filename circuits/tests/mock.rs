//! MockProver specifications of the model circuit: honest witnesses satisfy every constraint,
//! and each tampered witness cell or public instance is caught.

use halo2_proofs::dev::MockProver;
use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};
use loopx_circuits::wire::fr_from_i64;
use loopx_circuits::{choose_shape, commitment, ModelCircuit, ModelWitness, PublicInstances};
use loopx_models::{
    Activation, ActivationTable, Bounds, DenseLayer, LeadActivation, OutputSpec, QuantizedInput,
    QuantizedModel,
};
use loopx_test_support::mock::{self, failures_publishing, prove_mock, verdict_in_pool, SALT, WALLET};
use loopx_test_support::synthetic::{dense_layer, pseudo};
use loopx_test_support::tamper::Tamper;

/// A hidden layer: outputs, activation, and the lead activation of its first outputs.
type Hidden = (usize, Activation, Option<LeadActivation>);

fn layer(inputs: &[Bounds], shape: &Hidden, shift: u32, seed: &mut u64) -> DenseLayer {
    let (outputs, activation, lead) = shape.clone();
    dense_layer(inputs, outputs, activation, lead, shift, 1 << (shift - 1), seed)
}

fn model(features: usize, hidden: &[(usize, Activation)], output: OutputSpec) -> QuantizedModel {
    let hidden: Vec<Hidden> = hidden.iter().map(|(n, a)| (*n, a.clone(), None)).collect();
    model_with_leads(features, &hidden, output)
}

fn model_with_leads(features: usize, hidden: &[Hidden], output: OutputSpec) -> QuantizedModel {
    let mut seed = 0x9e3779b97f4a7c15;
    let inputs: Vec<QuantizedInput> = (0..features)
        .map(|i| QuantizedInput { name: format!("x{i}"), scale_bits: 6, min: -200, max: 1000 })
        .collect();
    let mut bounds: Vec<Bounds> = inputs.iter().map(|i| Bounds { min: i.min, max: i.max }).collect();
    let mut layers = Vec::new();
    for shape in hidden {
        let l = layer(&bounds, shape, 8, &mut seed);
        bounds = l.out_bounds.clone();
        layers.push(l);
    }
    QuantizedModel { inputs, trees: None, layers, output }
}

fn mlp_argmax() -> QuantizedModel {
    model(6, &[(5, Activation::Relu), (4, Activation::Identity)], OutputSpec::ArgMax)
}

fn logistic() -> QuantizedModel {
    model(5, &[(1, Activation::Sigmoid(ActivationTable::sigmoid(6, 512, 12)))], OutputSpec::Vector)
}

/// LeakyRelu as one layer: four identity outputs, four relu outputs of the same pre-activations.
fn leaky() -> QuantizedModel {
    let lead = LeadActivation { outputs: 4, activation: Activation::Identity };
    model_with_leads(
        5,
        &[(8, Activation::Relu, Some(lead)), (3, Activation::Identity, None)],
        OutputSpec::ArgMax,
    )
}

/// Softplus as one layer: three relu outputs, three softplus-tail outputs.
fn softplus() -> QuantizedModel {
    let lead = LeadActivation { outputs: 3, activation: Activation::Relu };
    let tail = Activation::SoftplusTail(ActivationTable::softplus_tail(6, 512, 12));
    model_with_leads(5, &[(6, tail, Some(lead)), (2, Activation::Identity, None)], OutputSpec::Vector)
}

/// Sixteen sigmoids, then sixteen softplus halves: two tables, read by the lookup argument.
fn wide_tables() -> QuantizedModel {
    let lead = LeadActivation { outputs: 8, activation: Activation::Relu };
    let tail = Activation::SoftplusTail(ActivationTable::softplus_tail(6, 512, 12));
    model_with_leads(
        5,
        &[
            (16, Activation::Sigmoid(ActivationTable::sigmoid(6, 512, 12)), None),
            (16, tail, Some(lead)),
            (3, Activation::Identity, None),
        ],
        OutputSpec::ArgMax,
    )
}

fn clipped_threshold() -> QuantizedModel {
    model(
        4,
        &[(3, Activation::Clip { lo: -300, hi: 400 }), (2, Activation::Identity)],
        OutputSpec::Threshold { index: 1, threshold: 7 },
    )
}

fn features(m: &QuantizedModel, seed: u64) -> Vec<i64> {
    let mut s = seed | 1;
    m.inputs.iter().map(|i| i.min + (pseudo(&mut s, 10_000).rem_euclid(i.max - i.min + 1))).collect()
}

/// The tamper is rejected, and among the failures is the constraint `gate`.
fn assert_rejected_by(m: &QuantizedModel, q: &[i64], tamper: Tamper, gate: &str) {
    let failures = mock::failures(m, q, tamper);
    assert!(failures.iter().any(|f| f.contains(gate)), "{tamper:?} not caught by {gate}: {failures:?}");
}

#[test]
fn honest_witness_satisfies_every_model_kind() {
    for m in [mlp_argmax(), logistic(), clipped_threshold(), leaky(), softplus(), wide_tables()] {
        m.validate().expect("well-formed test model");
        for seed in [1, 2, 3] {
            let (prover, _) = prove_mock(&m, &features(&m, seed), None);
            prover.assert_satisfied();
        }
    }
}

#[test]
fn extreme_inputs_at_both_range_ends_are_accepted() {
    let m = mlp_argmax();
    for q in [m.inputs.iter().map(|i| i.min).collect::<Vec<_>>(), m.inputs.iter().map(|i| i.max).collect()] {
        prove_mock(&m, &q, None).0.assert_satisfied();
    }
}

#[test]
fn rejects_wrong_public_instances() {
    let m = mlp_argmax();
    mock::assert_every_changed_instance_rejected(&m, &features(&m, 5));
}

#[test]
fn rejects_input_outside_its_range() {
    let m = mlp_argmax();
    let q = features(&m, 9);
    assert_rejected_by(&m, &q, Tamper::Input { index: 2, value: m.inputs[2].max + 1 }, "range check by bits");
    assert_rejected_by(&m, &q, Tamper::Input { index: 0, value: m.inputs[0].min - 1 }, "range check by bits");
}

#[test]
fn rejects_wrong_dense_accumulator() {
    let m = mlp_argmax();
    assert_rejected_by(
        &m,
        &features(&m, 4),
        Tamper::DenseAccumulator { layer: 0, neuron: 1 },
        "dense multiply-accumulate",
    );
}

#[test]
fn rejects_rescale_with_out_of_range_remainder() {
    for m in [mlp_argmax(), logistic(), clipped_threshold()] {
        assert_rejected_by(
            &m,
            &features(&m, 6),
            Tamper::RescaleRemainder { layer: 0, neuron: 0 },
            "range check by bits",
        );
    }
}

#[test]
fn rejects_wrong_activation_outputs() {
    let m = mlp_argmax();
    let q = features(&m, 8);
    for neuron in 0..5 {
        assert_rejected_by(&m, &q, Tamper::ActivationOutput { layer: 0, neuron }, "rescale and clamp");
        assert_rejected_by(&m, &q, Tamper::ClampFlag { layer: 0, neuron }, "range check by bits");
    }
    let c = clipped_threshold();
    assert_rejected_by(
        &c,
        &features(&c, 8),
        Tamper::ActivationOutput { layer: 0, neuron: 2 },
        "rescale and clamp",
    );
}

#[test]
fn wide_pools_check_many_bits_per_row_and_still_reject() {
    let m = mlp_argmax();
    let q = features(&m, 21);
    for width in [4, 5, 8, 16] {
        assert!(verdict_in_pool(&m, &q, width, None).is_empty(), "width {width}: honest witness");
        let high = Tamper::Input { index: 1, value: m.inputs[1].max + 1 };
        let low = Tamper::Input { index: 3, value: m.inputs[3].min - 1 };
        let remainder = Tamper::RescaleRemainder { layer: 0, neuron: 2 };
        for tamper in [high, low, remainder] {
            let failures = verdict_in_pool(&m, &q, width, Some(tamper));
            assert!(failures.iter().any(|f| f.contains("range check by bits")), "width {width}: {tamper:?}");
        }
    }
    let l = logistic();
    let q = features(&l, 22);
    for width in [4, 8] {
        assert!(verdict_in_pool(&l, &q, width, None).is_empty(), "width {width}: honest sigmoid");
        let failures = verdict_in_pool(&l, &q, width, Some(Tamper::SigmoidOutput { layer: 0, neuron: 0 }));
        assert!(failures.iter().any(|f| f.contains("multiplexer")), "width {width}: {failures:?}");
    }
}

#[test]
fn rejects_a_clamp_above_where_only_the_range_allows_one() {
    // ReLU clamps only below: its upper check's rows are saved and a gate pins s_hi = 0.
    let m = mlp_argmax();
    let q = features(&m, 8);
    for neuron in 0..5 {
        assert_rejected_by(&m, &q, Tamper::ClampAbove { layer: 0, neuron }, "rescale clamps only below");
    }
    // An identity layer may not clamp at all.
    assert_rejected_by(&m, &q, Tamper::ClampAbove { layer: 1, neuron: 2 }, "rescale may not clamp");
    // A clip may clamp above: there the upper check refuses a clamp the pre-activation does not reach.
    let c = clipped_threshold();
    let params = loopx_circuits::params::layer_params(&c, 0);
    let (q, below) = (1..100)
        .find_map(|seed| {
            let q = features(&c, seed);
            let pre = c.forward(&q).unwrap().layers[0].pre.clone();
            (0..3).find(|j| params[*j].two_sided && pre[*j] < params[*j].hi).map(|j| (q, j))
        })
        .expect("a clip that may clamp above, below its top");
    assert_rejected_by(&c, &q, Tamper::ClampAbove { layer: 0, neuron: below }, "range check by bits");
}

#[test]
fn rejects_wrong_sigmoid_output_and_clamp() {
    let m = logistic();
    let q = features(&m, 3);
    // The table is read through multiplexers: a wrong output breaks the top one, a wrong
    // constant pair the bottom one (whether or not the index selects it).
    assert_rejected_by(&m, &q, Tamper::SigmoidOutput { layer: 0, neuron: 0 }, "multiplexer");
    assert_rejected_by(&m, &q, Tamper::SigmoidTableEntry { layer: 0, neuron: 0 }, "mux of constants");
    assert_rejected_by(&m, &q, Tamper::ActivationOutput { layer: 0, neuron: 0 }, "rescale and clamp");
    assert_rejected_by(&m, &q, Tamper::ClampFlag { layer: 0, neuron: 0 }, "range check by bits");
}

#[test]
fn rejects_wrong_outputs_of_either_half_of_a_two_part_activation() {
    let m = leaky();
    let q = features(&m, 12);
    for neuron in [0, 3, 4, 7] {
        assert_rejected_by(&m, &q, Tamper::ActivationOutput { layer: 0, neuron }, "rescale and clamp");
        assert_rejected_by(&m, &q, Tamper::RescaleRemainder { layer: 0, neuron }, "range check by bits");
    }
    assert_rejected_by(&m, &q, Tamper::ClampFlag { layer: 0, neuron: 5 }, "range check by bits");
    let m = softplus();
    let q = features(&m, 13);
    assert_rejected_by(&m, &q, Tamper::ActivationOutput { layer: 0, neuron: 1 }, "rescale and clamp");
    assert_rejected_by(&m, &q, Tamper::ClampFlag { layer: 0, neuron: 2 }, "range check by bits");
    if choose_shape(&m).shape.lookup {
        assert_rejected_by(&m, &q, Tamper::SigmoidOutput { layer: 0, neuron: 4 }, "activation table");
    } else {
        assert_rejected_by(&m, &q, Tamper::SigmoidOutput { layer: 0, neuron: 4 }, "multiplexer");
        assert_rejected_by(&m, &q, Tamper::SigmoidTableEntry { layer: 0, neuron: 5 }, "mux of constants");
    }
}

#[test]
fn tables_read_by_lookup_reject_a_wrong_entry_of_either_table() {
    let m = wide_tables();
    assert!(choose_shape(&m).shape.lookup, "sixteen tables per layer should be read by lookup");
    assert!(!choose_shape(&logistic()).shape.lookup, "one sigmoid stays with the multiplexers");
    let q = features(&m, 14);
    for (layer, neuron) in [(0, 0), (0, 15), (1, 8), (1, 15)] {
        assert_rejected_by(&m, &q, Tamper::SigmoidOutput { layer, neuron }, "activation table");
        assert_rejected_by(&m, &q, Tamper::ClampFlag { layer, neuron }, "range check by bits");
    }
    mock::assert_every_changed_instance_rejected(&m, &q);
}

#[test]
fn rejects_every_wrong_argmax() {
    let m = mlp_argmax();
    let q = features(&m, 11);
    let honest = m.forward(&q).unwrap().public_outputs[0] as usize;
    for index in (0..4).filter(|i| *i != honest) {
        assert_rejected_by(&m, &q, Tamper::ArgMax { index }, "range check by bits");
    }
}

#[test]
fn rejects_flipped_threshold_bit() {
    let m = clipped_threshold();
    for seed in [1, 2, 3, 4] {
        assert_rejected_by(&m, &features(&m, seed), Tamper::ThresholdBit, "range check by bits");
    }
}

#[test]
fn rejects_wrong_poseidon_state() {
    let m = logistic();
    let q = features(&m, 2);
    for (round, word) in [(0, 0), (3, 2), (4, 1), (30, 0), (60, 2), (64, 1)] {
        assert_rejected_by(&m, &q, Tamper::PoseidonState { round, word }, "poseidon");
    }
}

#[test]
fn rejects_a_commitment_outside_the_schema_domain() {
    // The cheater hashes with a plain sponge (no schema id in the capacity) and publishes that
    // digest: only the init gate, which pins the capacity to the schema's, can refuse it.
    let m = logistic();
    let q = features(&m, 2);
    let mut message = vec![Fr::from(WALLET), Fr::from(SALT)];
    message.extend(q.iter().map(|v| fr_from_i64(*v)));
    let plain = loopx_circuits::poseidon::hash(&message);
    assert_ne!(plain, commitment(&m.schema_id(), Fr::from(WALLET), Fr::from(SALT), &q));
    let text = failures_publishing(&m, &q, Tamper::PoseidonCapacity, plain).join("\n");
    assert!(text.contains("poseidon init"), "{text}");
    assert!(!text.contains("public instance"), "the published digest is the witness's own: {text}");
}

#[test]
fn rejects_a_commitment_to_other_features_than_the_model_reads() {
    // The sponge absorbs an edited feature (or wallet, or salt) while the model reads the
    // original, and the cheater publishes the digest of the edited message: the copy constraint
    // from the model's input wire to the absorbed cell refuses it.
    let m = mlp_argmax();
    let q = features(&m, 4);
    for index in [0, 1, 2, 2 + q.len() - 1] {
        let mut message = vec![Fr::from(WALLET), Fr::from(SALT)];
        message.extend(q.iter().map(|v| fr_from_i64(*v)));
        message[index] += Fr::ONE;
        let capacity = loopx_circuits::commitment_capacity(&m.schema_id(), message.len());
        let digest = loopx_circuits::poseidon::hash_with_capacity(capacity, &message);
        let text = failures_publishing(&m, &q, Tamper::PoseidonMessage { index }, digest).join("\n");
        assert!(text.contains("Equality constraint not satisfied"), "message element {index}: {text}");
    }
}

#[test]
fn the_commitment_depends_on_the_schema_id() {
    // Same features, wallet and salt under two schemas (another scale of one feature): the
    // commitments differ, so a credential of one schema never opens under the other.
    let m = logistic();
    let q = features(&m, 1);
    let mut other = m.inputs.clone();
    other[0].scale_bits += 1;
    let other = loopx_models::SchemaId::of_encoding(&other);
    assert_ne!(other, m.schema_id());
    assert_ne!(
        commitment(&other, Fr::from(WALLET), Fr::from(SALT), &q),
        commitment(&m.schema_id(), Fr::from(WALLET), Fr::from(SALT), &q)
    );
}

#[test]
fn a_shape_without_a_chip_the_model_needs_does_not_synthesize() {
    // Chips are configured only when the model uses them; a circuit missing one must fail to
    // build rather than leave those values unchecked.
    type StripShape = fn(&mut loopx_circuits::CircuitShape);
    let cases: [(QuantizedModel, StripShape); 3] = [
        (logistic(), |s| s.mux = false),
        (mlp_argmax(), |s| s.argmax = false),
        (clipped_threshold(), |s| s.threshold = false),
    ];
    for (m, strip) in cases {
        let q = features(&m, 3);
        let trace = m.forward(&q).expect("features in range");
        let public = PublicInstances {
            commitment: commitment(&m.schema_id(), Fr::from(1), Fr::from(2), &q),
            wallet: Fr::from(1),
            outputs: trace.public_outputs.iter().map(|v| fr_from_i64(*v)).collect(),
        };
        let witness = ModelWitness { trace, wallet: Fr::from(1), salt: Fr::from(2) };
        let mut shape = choose_shape(&m).shape;
        assert!(MockProver::run(
            shape.k,
            &ModelCircuit::with_witness(m.clone(), shape, witness.clone()),
            vec![public.to_vec()]
        )
        .expect("the chosen shape synthesizes")
        .verify()
        .is_ok());
        strip(&mut shape);
        let stripped = ModelCircuit::with_witness(m.clone(), shape, witness);
        assert!(MockProver::run(shape.k, &stripped, vec![public.to_vec()]).is_err(), "{shape:?} synthesized");
    }
}

/// MockProver on an honest inference published for `wallet` (the witness agrees with it, as a
/// cheater's would).
fn prove_for_wallet(m: &QuantizedModel, wallet: Fr) -> MockProver<Fr> {
    let q = features(m, 5);
    let trace = m.forward(&q).expect("features in range");
    let public = PublicInstances {
        commitment: commitment(&m.schema_id(), wallet, Fr::from(2), &q),
        wallet,
        outputs: trace.public_outputs.iter().map(|v| fr_from_i64(*v)).collect(),
    };
    let witness = ModelWitness { trace, wallet, salt: Fr::from(2) };
    let shape = choose_shape(m).shape;
    let circuit = ModelCircuit::with_witness(m.clone(), shape, witness);
    MockProver::run(shape.k, &circuit, vec![public.to_vec()]).expect("synthesis")
}

#[test]
fn accepts_the_largest_wallet_address() {
    let largest = Fr::from_u128(1 << 127) * Fr::from(1u64 << 33) - Fr::ONE;
    prove_for_wallet(&mlp_argmax(), largest).verify().expect("2^160 − 1 is an address");
}

#[test]
fn rejects_wallet_instances_of_160_bits_or_more() {
    let two_160 = Fr::from_u128(1 << 127) * Fr::from(1u64 << 33);
    for (name, wallet) in [("2^160", two_160), ("p − 1", -Fr::ONE), ("2^200", two_160 * Fr::from(1u64 << 40))]
    {
        let failures = prove_for_wallet(&mlp_argmax(), wallet).verify().expect_err(name);
        let text = format!("{failures:?}");
        assert!(text.contains("range check by bits"), "{name}: {text}");
    }
}
