//! Aggregating app proofs: each covered proof is checked natively first (so a bad proof is named,
//! not discovered as a failed aggregate), then the aggregation circuit verifies them all in-circuit
//! and the aggregate is proven with the EVM transcript, so one Solidity verifier checks it.

use std::sync::OnceLock;

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_proofs::plonk::{create_proof, ProvingKey};
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use loopx_prover::transcript::{EvmChallenge, EvmTranscript};
use loopx_prover::{ClaimVerifier, Package, ProofFile, TranscriptKind};
use loopx_srs::{Srs, SrsPolicy};
use rand::rngs::OsRng;
use snark_verifier_sdk::{CircuitExt, Snark};

use crate::circuit::{build, AggregateLayout};
use crate::derive::app_protocol;
use crate::error::{AggregateError, Result};
use crate::keys::{self, AggregationKeys};

/// An aggregate proof and its public instances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregateProof {
    /// EVM-transcript proof bytes, as the Solidity verifier reads them.
    pub bytes: Vec<u8>,
    /// The instance column: accumulator limbs, then the covered proofs' words.
    pub instances: Vec<Fr>,
}

/// Turns checked proof files of the package into snarks the aggregation circuit takes.
/// `names` label the files in errors. Each must be a Poseidon-transcript proof that verifies
/// natively under the package's keys.
pub fn snarks_of(claims: &ClaimVerifier, files: &[(String, ProofFile)]) -> Result<Vec<Snark>> {
    let protocol = app_protocol(claims)?;
    files
        .iter()
        .map(|(name, file)| {
            let refuse = |reason: String| AggregateError::AppProof { file: name.clone(), reason };
            if file.transcript != TranscriptKind::Poseidon {
                return Err(refuse(format!(
                    "the proof is in the {} transcript; make proofs for aggregation with `loopx batch --for-aggregation`",
                    file.transcript.name()
                )));
            }
            claims.verify(file).map_err(|e| refuse(e.to_string()))?;
            let instances = file.instance_values().map_err(|e| refuse(e.to_string()))?;
            let bytes = file.proof_bytes().map_err(|e| refuse(e.to_string()))?;
            Ok(Snark::new(protocol.clone(), vec![instances], bytes))
        })
        .collect()
}

/// The proving side: keys and SRS of the aggregation circuit, ready to aggregate. The proving key
/// is derived on the first [`AggregationProver::aggregate`] (minutes at k ≈ 20), so a run whose
/// chunks are all done never derives it.
pub struct AggregationProver {
    /// Verifier side (setup, vk, SRS).
    pub keys: AggregationKeys,
    /// The package's claim verifier (app vk and SRS).
    pub claims: ClaimVerifier,
    pk: OnceLock<ProvingKey<G1Affine>>,
}

impl std::fmt::Debug for AggregationProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregationProver")
            .field("setup", &self.keys.setup)
            .field("has_proving_key", &self.has_proving_key())
            .finish_non_exhaustive()
    }
}

impl AggregationProver {
    /// Opens the aggregation prover of `package` for aggregates of `proofs`: with the saved keys
    /// if there are some (loaded as [`AggregationKeys::load`] does: the verifying key re-derived
    /// and checked against the published one), or else makes them at `k` with `srs` (the
    /// aggregation SRS: the app SRS's ceremony, at least k) and saves them. No proof is needed:
    /// the keys depend on the package's app key only.
    pub fn open(
        package: &Package,
        proofs: usize,
        setup_with: Option<(&Srs, u32)>,
        policy: SrsPolicy,
    ) -> Result<Self> {
        let claims = package.claim_verifier()?;
        policy.admit(claims.srs())?;
        let layout = AggregateLayout::new(proofs, claims.header().instances)?;
        match AggregationKeys::load_for(package, &claims, proofs, policy) {
            Ok(keys) => Ok(AggregationProver { keys, claims, pk: OnceLock::new() }),
            Err(AggregateError::NotSetUp { .. }) => {
                let Some((srs, k)) = setup_with else {
                    return Err(AggregateError::NotSetUp { package: package.path().to_path_buf(), proofs });
                };
                policy.admit(srs)?;
                // Making the keys lays the circuit out and derives both keys in one go; the
                // proving key is kept since a first run has chunks to prove.
                let (setup, pk, srs) = keys::keygen(package, &claims, layout, k, srs)?;
                keys::save(package, &setup, pk.get_vk(), &srs)?;
                let keys = AggregationKeys { setup, vk: pk.get_vk().clone(), srs };
                Ok(AggregationProver { keys, claims, pk: OnceLock::from(pk) })
            }
            Err(other) => Err(other),
        }
    }

    /// The proving key, derived from the circuit on first use.
    pub fn proving_key(&self) -> Result<&ProvingKey<G1Affine>> {
        if let Some(pk) = self.pk.get() {
            return Ok(pk);
        }
        let pk = keys::derive_pk(&self.keys, &self.claims)?;
        Ok(self.pk.get_or_init(|| pk))
    }

    /// Whether this prover holds its proving key (made with fresh keys, or derived for a chunk).
    pub fn has_proving_key(&self) -> bool {
        self.pk.get().is_some()
    }

    /// Proofs per aggregate.
    pub fn proofs(&self) -> usize {
        self.keys.setup.layout.proofs
    }

    /// Aggregates exactly [`AggregationProver::proofs`] proof files (named for errors).
    pub fn aggregate(&self, files: &[(String, ProofFile)]) -> Result<AggregateProof> {
        let setup = &self.keys.setup;
        if files.len() != setup.layout.proofs {
            return Err(AggregateError::InvalidInput(format!(
                "{} proofs for an aggregate of {}",
                files.len(),
                setup.layout.proofs
            )));
        }
        let snarks = snarks_of(&self.claims, files)?;
        let pk = self.proving_key()?;
        let params = self.keys.srs.params();
        let circuit = build(CircuitBuilderStage::Prover, setup.config, params, snarks, &setup.layout)?
            .use_break_points(setup.break_points.clone());
        let instances = circuit.instances().remove(0);
        let expected = files
            .iter()
            .map(|(_, f)| setup.layout.compress(&f.instance_values()?))
            .collect::<Result<Vec<_>>>()?
            .concat();
        if instances.len() != setup.layout.num_instances()
            || instances[crate::ACCUMULATOR_LIMBS..] != expected[..]
        {
            return Err(AggregateError::Halo2 {
                stage: "aggregation",
                message: "the circuit's instances are not the covered proofs' compressed instances".into(),
            });
        }
        let bytes = crate::catch_panic("aggregation proving", || {
            let mut transcript = EvmTranscript::new(Vec::new());
            create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, EvmChallenge, _, _, _>(
                params,
                pk,
                &[circuit],
                &[&[&instances]],
                OsRng,
                &mut transcript,
            )
            .map_err(|e| AggregateError::Halo2 { stage: "aggregation proving", message: format!("{e:?}") })?;
            Ok(transcript.finalize())
        })?;
        Ok(AggregateProof { bytes, instances })
    }
}
