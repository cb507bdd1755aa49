//! The wallet model circuit for halo2: the columns and gates of its shape ([`ModelConfig`]), the
//! one layout of [`crate::layout`] assigned in a single region, and the lookup table columns.

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};
use halo2curves::bn256::Fr;
use loopx_models::{InferenceTrace, QuantizedModel};

use crate::config::ModelConfig;
use crate::layout::lay_out;
use crate::params::table_set;
use crate::shape::CircuitShape;
use crate::sheet::RowCount;
use crate::witness::CircuitWitness;

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
    witness: Option<CircuitWitness>,
}

impl ModelCircuit {
    /// A circuit without witness, for key generation.
    pub fn for_keygen(model: QuantizedModel, shape: CircuitShape) -> Self {
        ModelCircuit { model, shape, witness: None }
    }

    /// A circuit with the honest witness of the prover's data.
    pub fn with_witness(model: QuantizedModel, shape: CircuitShape, witness: ModelWitness) -> Self {
        let witness = CircuitWitness::new(&model, &witness.trace, witness.wallet, witness.salt);
        Self::from_witness(model, shape, witness)
    }

    /// A circuit over any witness, honest or not: exactly what a prover controls. The constraints,
    /// not this constructor, decide whether it proves anything.
    pub fn from_witness(model: QuantizedModel, shape: CircuitShape, witness: CircuitWitness) -> Self {
        ModelCircuit { model, shape, witness: Some(witness) }
    }

    /// The public outputs the witness claims.
    pub fn claimed_outputs(&self) -> Option<&[i64]> {
        self.witness.as_ref().map(|w| w.public_outputs.as_slice())
    }

    /// The circuit's shape.
    pub fn shape(&self) -> CircuitShape {
        self.shape
    }

    /// The quantized model the circuit proves.
    pub fn model(&self) -> &QuantizedModel {
        &self.model
    }

    /// The witness, where the circuit has one.
    pub fn witness(&self) -> Option<&CircuitWitness> {
        self.witness.as_ref()
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn without_witnesses(&self) -> Self {
        ModelCircuit::for_keygen(self.model.clone(), self.shape)
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
        // The strip follows the chips' records: count them with the same layout first.
        let strip_start = lay_out(&config, &self.model, None, &mut RowCount::default(), 0)?.pool_rows;
        layouter.assign_region(
            || "model",
            |mut region| {
                lay_out(&config, &self.model, self.witness.as_ref(), &mut region, strip_start).map(|_| ())
            },
        )?;
        if let Some(table) = &config.table {
            table.assign_tables(&mut layouter, &table_set(&self.model))?;
        }
        Ok(())
    }
}
