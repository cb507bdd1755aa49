//! Halo2 circuits for LoopX prover: the layouter that turns any [`loopx_models::QuantizedModel`]
//! into one [`ModelCircuit`] whose public instances are the salted feature commitment, the wallet
//! and the declared output.
//!
//! How a proof's cells come to be, in dependency order:
//! - [`chips`]: the gates (dense multiply-accumulate, rescale-and-clamp, range checks by bits,
//!   multiplexers, activation tables by lookup, tree thermometers, argmax, threshold, Poseidon)
//!   over one shared pool of columns, and the values each record holds;
//! - [`params`] and [`shape`]: the constants a model gives each record, and the parameters that
//!   fix the columns ([`CircuitShape`]); [`config`]: those columns and gates;
//! - [`witness`]: every value of every record, computed before any placement by pure functions
//!   of the model, the features, the wallet and the salt ([`CircuitWitness`]);
//! - [`layout`]: the one description of where each record goes, written against [`sheet::Sheet`]
//!   and run on two backends — halo2's region in [`circuit`], the row counter in [`plan`], which
//!   weighs the candidate layouts and picks one.

pub mod chips;
pub mod circuit;
pub mod config;
pub mod instances;
pub mod layout;
pub mod params;
pub mod plan;
pub mod poseidon;
pub mod shape;
pub mod sheet;
pub mod wire;
pub mod witness;

/// Version of the gates and layout. Bumped whenever they change, so keys made by an earlier
/// build are refused with a clear error instead of failing deep in halo2's key reader. Version
/// 2 dropped the lookup argument (range checks by bits, multiplexer tables); version 3
/// range-checks the published wallet to 160 bits; version 4 commits under the feature schema's
/// domain (the sponge's capacity holds the schema id); version 5 range-checks a rescale's upper
/// side only where it may clamp above (or bounds a model input) and may read activation tables by
/// a lookup argument; version 6 prunes trees' padding multiplexers, packs multiplexer records and
/// thermometer cells side by side in a row, and checks a thermometer with its own gate; version
/// 7 refits the verifier size model and lets `--optimize speed` take a verifier split over
/// several contracts, so a speed package's layout may differ from the one version 6 chose.
pub const CIRCUIT_VERSION: u32 = 7;

pub use circuit::{ModelCircuit, ModelWitness};
pub use config::ModelConfig;
pub use instances::{commitment, commitment_capacity, wallet_to_fr, PublicInstances};
pub use plan::{choose_shape, CircuitPlan};
pub use shape::CircuitShape;
pub use witness::CircuitWitness;

pub use halo2curves::bn256::Fr;
