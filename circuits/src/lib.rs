//! Halo2 circuits for LoopX prover: the chips (dense multiply-accumulate, rescale-and-clamp,
//! range checks by bits, multiplexer tables for sigmoids and tree leaves, tree thermometers,
//! argmax, threshold, Poseidon) and the layouter that turns any
//! [`loopx_models::QuantizedModel`] into one [`ModelCircuit`] whose public instances are the
//! salted feature commitment, the wallet and the declared output.

pub mod chips;
pub mod circuit;
pub mod instances;
pub mod plan;
pub mod poseidon;
pub mod tamper;
pub mod wire;

/// Version of the gates and layout. Bumped whenever they change, so keys made by an earlier
/// build are refused with a clear error instead of failing deep in halo2's key reader. Version
/// 2 dropped the lookup argument (range checks by bits, multiplexer tables); version 3
/// range-checks the published wallet to 160 bits; version 4 commits under the feature schema's
/// domain (the sponge's capacity holds the schema id); version 5 range-checks a rescale's upper
/// side only where it may clamp above (or bounds a model input) and may read activation tables by
/// a lookup argument.
pub const CIRCUIT_VERSION: u32 = 5;

pub use circuit::{ModelCircuit, ModelConfig, ModelWitness};
pub use instances::{commitment, commitment_capacity, wallet_to_fr, PublicInstances};
pub use plan::{choose_shape, CircuitPlan, CircuitShape};
pub use tamper::Tamper;

pub use halo2curves::bn256::Fr;
