//! The aggregation circuit: snark-verifier-sdk's circuit that verifies N app proofs succinctly
//! and folds their KZG openings into one accumulator, plus the public instances LoopX adds on
//! top — each covered proof's instances, compressed and tied to the values the verified proofs
//! were checked against.
//!
//! Public instance column of an aggregate (see [`AggregateLayout`]):
//!
//! | rows                      | value                                                        |
//! |---------------------------|--------------------------------------------------------------|
//! | `0 .. 12`                 | the accumulator `(lhs, rhs)`: x, y of each as 3 limbs of 88 bits |
//! | then, per covered proof i | `commitment_i`, `wallet_i + (output0_i + 2^63)·2^160`, `output1_i`, … |
//!
//! The packed word saves one word per wallet (calldata and the verifier's instance evaluation).
//! It is injective because the circuit range-checks `wallet < 2^160` and
//! `output0 + 2^63 < 2^64`, so the word is below `2^224 < r` and its bit fields cannot overlap
//! or wrap. A consumer reads `wallet = word mod 2^160` and `output0 = (word >> 160) − 2^63`.
//!
//! Soundness of the exposure: the sdk assigns each covered proof's instances as witnesses and
//! feeds those same cells to the in-circuit verifier (they enter the transcript and the instance
//! evaluation), so an exposed value that differs from what a covered proof was verified against
//! would need a valid app proof for the different value. The packing gadget copies those cells,
//! never re-witnesses them.

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::{AssignedValue, Context, QuantumCell::Constant};
use halo2curves::bn256::{Bn256, Fr};
use halo2curves::ff::{Field, PrimeField};
use snark_verifier_sdk::halo2::aggregation::{
    AggregationCircuit, AggregationConfigParams, VerifierUniversality,
};
use snark_verifier_sdk::{Snark, SHPLONK};

use crate::error::{AggregateError, Result};

/// Limbs of the KZG accumulator at the head of the instance column (two points, x and y, 3
/// limbs of 88 bits each).
pub const ACCUMULATOR_LIMBS: usize = 12;

/// Bits of a wallet address.
pub const WALLET_BITS: usize = 160;

/// Bits of the shifted first output `output0 + 2^63`: outputs are signed 64-bit integers.
pub const OUTPUT_BITS: usize = 64;

/// Rows of an app proof's instance column before its outputs: commitment, wallet.
const APP_HEADER: usize = 2;

/// How an aggregate's public instances are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AggregateLayout {
    /// Proofs an aggregate covers.
    pub proofs: usize,
    /// Instances of one app proof (commitment, wallet, outputs…).
    pub app_instances: usize,
}

impl AggregateLayout {
    /// A layout for `proofs` app proofs of `app_instances` instances each; refused unless an app
    /// proof publishes at least one output.
    pub fn new(proofs: usize, app_instances: usize) -> Result<Self> {
        if proofs == 0 {
            return Err(AggregateError::InvalidInput("an aggregate covers at least one proof".into()));
        }
        if app_instances <= APP_HEADER {
            return Err(AggregateError::InvalidInput(format!(
                "an app proof with {app_instances} instances publishes no output to aggregate"
            )));
        }
        Ok(AggregateLayout { proofs, app_instances })
    }

    /// Words each covered proof adds: the commitment, the packed wallet and first output, and the
    /// other outputs as they are.
    pub fn words_per_proof(&self) -> usize {
        self.app_instances - 1
    }

    /// Length of the aggregate's instance column.
    pub fn num_instances(&self) -> usize {
        ACCUMULATOR_LIMBS + self.proofs * self.words_per_proof()
    }

    /// The aggregate's instance words of one app proof's instances (what the circuit exposes).
    pub fn compress(&self, app: &[Fr]) -> Result<Vec<Fr>> {
        if app.len() != self.app_instances {
            return Err(AggregateError::InvalidInput(format!(
                "an app proof has {} instances, this aggregate takes {}",
                app.len(),
                self.app_instances
            )));
        }
        let shifted = app[2] + output_offset();
        if !fits(&app[1], WALLET_BITS) || !fits(&shifted, OUTPUT_BITS) {
            return Err(AggregateError::InvalidInput(
                "an app proof's wallet is not 160 bits or its first output not a signed 64-bit integer"
                    .into(),
            ));
        }
        let mut words = vec![app[0], app[1] + shifted * wallet_shift()];
        words.extend_from_slice(&app[3..]);
        Ok(words)
    }
}

/// Whether `value`, as an integer below r, has at most `bits` bits (`bits` a multiple of 8).
fn fits(value: &Fr, bits: usize) -> bool {
    value.to_repr().as_ref()[bits / 8..].iter().all(|b| *b == 0)
}

/// `2^63`, which shifts a signed 64-bit output into `[0, 2^64)`.
pub fn output_offset() -> Fr {
    Fr::from(1u64 << 63)
}

/// `2^160`, where the shifted output starts in a packed word.
pub fn wallet_shift() -> Fr {
    Fr::from(2u64).pow_vartime([WALLET_BITS as u64])
}

/// Packs one covered proof's instance cells into the words the aggregate publishes, with the
/// range checks that make the packing injective (module docs). `app` are the cells the in-circuit
/// verifier used; they are copied, never re-witnessed.
pub fn compress_cells(
    ctx: &mut Context<Fr>,
    range: &RangeChip<Fr>,
    app: &[AssignedValue<Fr>],
) -> Vec<AssignedValue<Fr>> {
    let (commitment, wallet, first_output) = (app[0], app[1], app[2]);
    range.range_check(ctx, wallet, WALLET_BITS);
    let shifted = range.gate().add(ctx, first_output, Constant(output_offset()));
    range.range_check(ctx, shifted, OUTPUT_BITS);
    let packed = range.gate().mul_add(ctx, shifted, Constant(wallet_shift()), wallet);
    let mut words = vec![commitment, packed];
    words.extend_from_slice(&app[3..]);
    words
}

/// Builds the aggregation circuit over `snarks` (all of one model, `layout.proofs` of them) at
/// `stage`. For keygen, `config` carries only k and the lookup bits and is filled in by
/// [`AggregationCircuit::calculate_params`]; for proving, it is the keys' config.
pub fn build(
    stage: CircuitBuilderStage,
    config: AggregationConfigParams,
    params: &ParamsKZG<Bn256>,
    snarks: Vec<Snark>,
    layout: &AggregateLayout,
) -> Result<AggregationCircuit> {
    if snarks.len() != layout.proofs {
        return Err(AggregateError::InvalidInput(format!(
            "{} proofs for an aggregate of {}",
            snarks.len(),
            layout.proofs
        )));
    }
    if let Some(bad) =
        snarks.iter().find(|s| s.instances.len() != 1 || s.instances[0].len() != layout.app_instances)
    {
        return Err(AggregateError::InvalidInput(format!(
            "a proof has instance columns of lengths {:?}, this aggregate takes one of {}",
            bad.instances.iter().map(Vec::len).collect::<Vec<_>>(),
            layout.app_instances
        )));
    }
    // The sdk asserts (panics) on a proof it cannot read; a bad proof is an error here.
    let mut circuit = crate::catch_panic("building the aggregation circuit", || {
        Ok(AggregationCircuit::new::<SHPLONK>(stage, config, params, snarks, VerifierUniversality::None))
    })?;
    let range = circuit.builder.range_chip();
    let previous = circuit.previous_instances().clone();
    let ctx = circuit.builder.main(0);
    let words: Vec<_> = previous.iter().flat_map(|app| compress_cells(ctx, &range, app)).collect();
    circuit.builder.assigned_instances[0].extend(words);
    Ok(circuit)
}
