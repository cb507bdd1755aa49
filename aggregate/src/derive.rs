//! The aggregation keys as a function of public things only: the package's app verifying key,
//! the layout, the circuit configuration and the aggregation SRS. Key generation lays the
//! circuit out over placeholder proofs shaped by the app key (the sdk's dummy snarks), never over
//! real proofs, so the keys of a package can be made, and re-made to check published ones, without
//! a sample proof — and whatever is made is what a verifier re-derives.

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_proofs::plonk::{keygen_pk, keygen_vk_custom, ProvingKey, VerifyingKey};
use halo2curves::bn256::G1Affine;
use loopx_prover::binding::{bind_verifying_key, BindingError};
use loopx_prover::ClaimVerifier;
use loopx_srs::Srs;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier::verifier::plonk::PlonkProtocol;
use snark_verifier_sdk::halo2::aggregation::{AggregationCircuit, AggregationConfigParams};
use snark_verifier_sdk::halo2::gen_dummy_snark_from_protocol;
use snark_verifier_sdk::SHPLONK;

use crate::circuit::{build, AggregateLayout};
use crate::error::{AggregateError, Result};

/// The app proofs' protocol as the aggregation circuit verifies it: the package's app key (its
/// commitments become constants of the circuit) with one instance column of the app's length.
pub(crate) fn app_protocol(claims: &ClaimVerifier) -> Result<PlonkProtocol<G1Affine>> {
    let header = claims.header();
    let params = claims.srs().params_for(header.shape.k)?;
    crate::catch_panic("reading the app verifying key", || {
        Ok(compile(params.as_ref(), claims.vk(), Config::kzg().with_num_instance(vec![header.instances])))
    })
}

/// The aggregation circuit at the keygen stage over `layout.proofs` placeholder proofs of the
/// package's app key. `config` is the full configuration when re-deriving (with the break points
/// it was made with: halo2-base refuses a layout that breaks elsewhere), or only k and the lookup
/// bits when making keys, to be completed by [`AggregationCircuit::calculate_params`].
pub(crate) fn keygen_circuit(
    claims: &ClaimVerifier,
    layout: &AggregateLayout,
    config: AggregationConfigParams,
    break_points: Option<Vec<Vec<usize>>>,
    srs: &Srs,
) -> Result<AggregationCircuit> {
    let protocol = app_protocol(claims)?;
    let placeholders = crate::catch_panic("shaping placeholder app proofs", || {
        Ok(vec![gen_dummy_snark_from_protocol::<SHPLONK>(protocol); layout.proofs])
    })?;
    let circuit = build(CircuitBuilderStage::Keygen, config, srs.params(), placeholders, layout)?;
    Ok(match break_points {
        Some(points) => circuit.use_break_points(points),
        None => circuit,
    })
}

/// Selector compression of the aggregation keys: none, as halo2-axiom's `keygen_vk` (what the
/// sdk's key generation calls) makes them. Making and checking keys both use this constant.
const COMPRESS_SELECTORS: bool = false;

/// The verifying key of `circuit` under `srs`.
pub(crate) fn verifying_key(circuit: &AggregationCircuit, srs: &Srs) -> Result<VerifyingKey<G1Affine>> {
    crate::catch_panic("aggregation key generation (vk)", || {
        keygen_vk_custom(srs.params(), circuit, COMPRESS_SELECTORS).map_err(|e| AggregateError::Halo2 {
            stage: "aggregation keygen (vk)",
            message: format!("{e:?}"),
        })
    })
}

/// The verifying key in `stored` (a `vk.bin`) if it is the key of `circuit` under `srs`, or why
/// it is not. Same guarantee as deriving the key and comparing bytes, at the cost of one
/// multi-scalar multiplication for all its commitments instead of one per column
/// ([`loopx_prover::binding`]): the stored bytes must equal the circuit's key outside the
/// commitments, and a random linear combination of the stored commitments must commit to the
/// same combination of the circuit's fixed and permutation columns. The stored bytes are parsed
/// only once both hold.
pub(crate) fn bound_verifying_key(
    circuit: &AggregationCircuit,
    srs: &Srs,
    stored: &[u8],
) -> Result<std::result::Result<VerifyingKey<G1Affine>, String>> {
    crate::catch_panic("aggregation key check (vk)", || {
        match bind_verifying_key(srs.params(), circuit, COMPRESS_SELECTORS, stored) {
            Ok(vk) => Ok(Ok(vk)),
            Err(BindingError::Keygen(message)) => {
                Err(AggregateError::Halo2 { stage: "aggregation keygen (vk)", message })
            }
            Err(differs) => Ok(Err(differs.to_string())),
        }
    })
}

/// The proving key of `circuit` under `srs`, for its verifying key `vk` (already derived from the
/// same circuit, so it is not computed twice).
pub(crate) fn proving_key(
    circuit: &AggregationCircuit,
    srs: &Srs,
    vk: VerifyingKey<G1Affine>,
) -> Result<ProvingKey<G1Affine>> {
    crate::catch_panic("aggregation key generation (pk)", || {
        keygen_pk(srs.params(), vk, circuit).map_err(|e| AggregateError::Halo2 {
            stage: "aggregation keygen (pk)",
            message: format!("{e:?}"),
        })
    })
}
