//! MockProver runs of a model's circuit, honest or tampered, as the circuit specifications use them.

use crate::tamper::{Tamper, Tampered};
use halo2_proofs::dev::MockProver;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use loopx_circuits::wire::fr_from_i64;
use loopx_circuits::{choose_shape, commitment, ModelCircuit, ModelWitness, PublicInstances};
use loopx_models::QuantizedModel;

/// The wallet every mock proof is bound to.
pub const WALLET: u64 = 0xabcdef;
/// The salt of every mock commitment.
pub const SALT: u64 = 77;

/// The model's circuit with an honest (or tampered) witness for features `q`.
fn circuit(m: &QuantizedModel, q: &[i64], tamper: Option<Tamper>) -> ModelCircuit {
    let trace = m.forward(q).expect("features in range");
    let witness = ModelWitness { trace, wallet: Fr::from(WALLET), salt: Fr::from(SALT) };
    let circuit = ModelCircuit::with_witness(m.clone(), choose_shape(m).shape, witness);
    match tamper {
        Some(t) => circuit.tampered(t),
        None => circuit,
    }
}

/// Runs MockProver on the model for features `q`, publishing what the (possibly tampered)
/// witness claims, as a cheater would.
pub fn prove_mock(
    m: &QuantizedModel,
    q: &[i64],
    tamper: Option<Tamper>,
) -> (MockProver<Fr>, PublicInstances) {
    let circuit = circuit(m, q, tamper);
    let claimed = circuit.claimed_outputs().expect("witness");
    let public = PublicInstances {
        commitment: commitment(&m.schema_id(), Fr::from(WALLET), Fr::from(SALT), q),
        wallet: Fr::from(WALLET),
        outputs: claimed.iter().map(|v| loopx_circuits::wire::fr_from_i64(*v)).collect(),
    };
    let prover =
        MockProver::run(choose_shape(m).shape.k, &circuit, vec![public.to_vec()]).expect("synthesis");
    (prover, public)
}

/// The constraints MockProver reports broken by `tamper`; panics if the tampered witness passes.
pub fn failures(m: &QuantizedModel, q: &[i64], tamper: Tamper) -> Vec<String> {
    let (prover, _) = prove_mock(m, q, Some(tamper));
    let failures = prover.verify().expect_err(&format!("{tamper:?} was accepted"));
    failures.iter().map(|f| f.to_string()).collect()
}

/// The constraints MockProver reports broken by `tamper` when the cheater publishes
/// `commitment` (the digest its own witness computes); panics if that passes.
pub fn failures_publishing(m: &QuantizedModel, q: &[i64], tamper: Tamper, commitment: Fr) -> Vec<String> {
    let circuit = circuit(m, q, Some(tamper));
    let claimed = circuit.claimed_outputs().expect("witness");
    let public = PublicInstances {
        commitment,
        wallet: Fr::from(WALLET),
        outputs: claimed.iter().map(|v| loopx_circuits::wire::fr_from_i64(*v)).collect(),
    };
    let prover =
        MockProver::run(choose_shape(m).shape.k, &circuit, vec![public.to_vec()]).expect("synthesis");
    let failures = prover.verify().expect_err(&format!("{tamper:?} was accepted"));
    failures.iter().map(|f| f.to_string()).collect()
}

/// Changing any one public instance of an honest proof breaks exactly the gate that publishes it.
pub fn assert_every_changed_instance_rejected(m: &QuantizedModel, q: &[i64]) {
    let (_, public) = prove_mock(m, q, None);
    let circuit = circuit(m, q, None);
    for i in 0..public.to_vec().len() {
        let mut instances = public.to_vec();
        instances[i] += Fr::ONE;
        let prover = MockProver::run(choose_shape(m).shape.k, &circuit, vec![instances]).expect("synthesis");
        let failures = prover.verify().expect_err(&format!("changed instance {i} accepted"));
        assert!(
            failures.iter().all(|f| f.to_string().contains("public instance")),
            "changed instance {i} caught elsewhere: {failures:?}"
        );
    }
}

/// MockProver's failures (none if satisfied) on `m` laid out in a pool `width` wide without the
/// lookup, for features `q` and a tamper, publishing what the witness claims.
pub fn verdict_in_pool(m: &QuantizedModel, q: &[i64], width: usize, tamper: Option<Tamper>) -> Vec<String> {
    let plan = loopx_circuits::plan::sized(m, width, false);
    let witness = ModelWitness {
        trace: m.forward(q).expect("features in range"),
        wallet: Fr::from(WALLET),
        salt: Fr::from(SALT),
    };
    let mut circuit = ModelCircuit::with_witness(m.clone(), plan.shape, witness);
    if let Some(t) = tamper {
        circuit = circuit.tampered(t);
    }
    let public = PublicInstances {
        commitment: commitment(&m.schema_id(), Fr::from(WALLET), Fr::from(SALT), q),
        wallet: Fr::from(WALLET),
        outputs: circuit.claimed_outputs().expect("witness").iter().map(|v| fr_from_i64(*v)).collect(),
    };
    let prover = MockProver::run(plan.shape.k, &circuit, vec![public.to_vec()]).expect("synthesis");
    prover.verify().err().unwrap_or_default().iter().map(|f| f.to_string()).collect()
}
