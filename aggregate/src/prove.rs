//! Aggregating app proofs: each covered proof is checked natively first (so a bad proof is named,
//! not discovered as a failed aggregate), then the aggregation circuit verifies them all in-circuit
//! and the aggregate is proven with the EVM transcript, so one Solidity verifier checks it.

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_proofs::plonk::create_proof;
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2curves::bn256::{Bn256, Fr};
use loopx_prover::transcript::{EvmChallenge, EvmTranscript};
use loopx_prover::{ClaimVerifier, Package, ProofFile, TranscriptKind};
use loopx_srs::{Srs, SrsPolicy};
use rand::rngs::OsRng;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier_sdk::{CircuitExt, Snark};

use crate::circuit::{build, AggregateLayout};
use crate::error::{AggregateError, Result};
use crate::keys::{self, AggregationKeys, AggregationProver};

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
    let header = claims.header();
    let params = claims.srs().params_for(header.shape.k)?;
    let protocol = crate::catch_panic("reading the app verifying key", || {
        Ok(compile(params.as_ref(), claims.vk(), Config::kzg().with_num_instance(vec![header.instances])))
    })?;
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

impl AggregationProver {
    /// Opens the aggregation prover of `package` for aggregates of `proofs`: with the saved keys
    /// if there are some (the proving key re-derived and checked against them), or else sets them
    /// up at `k` with `srs` (the aggregation SRS: the app SRS's ceremony, at least k) and saves
    /// them. `sample` is one checked proof of the package (its values do not enter the keys).
    pub fn open(
        package: &Package,
        proofs: usize,
        setup_with: Option<(&Srs, u32)>,
        policy: SrsPolicy,
        sample: &(String, ProofFile),
    ) -> Result<Self> {
        let claims = package.claim_verifier()?;
        policy.admit(claims.srs())?;
        let layout = AggregateLayout::new(proofs, claims.header().instances)?;
        let samples = snarks_of(&claims, std::slice::from_ref(sample))?;
        let sample = vec![samples[0].clone(); proofs];
        match AggregationKeys::load(package, proofs, policy) {
            Ok(keys) => {
                let pk = keys::rederive_pk(&keys, sample)?;
                Ok(AggregationProver { keys, pk, claims })
            }
            Err(AggregateError::NotSetUp { .. }) => {
                let Some((srs, k)) = setup_with else {
                    return Err(AggregateError::NotSetUp { package: package.path().to_path_buf(), proofs });
                };
                policy.admit(srs)?;
                let (setup, pk, srs) = keys::keygen(package, &claims, layout, k, srs, sample)?;
                keys::save(package, &setup, &pk, &srs)?;
                let keys = AggregationKeys { setup, vk: pk.get_vk().clone(), srs };
                Ok(AggregationProver { keys, pk, claims })
            }
            Err(other) => Err(other),
        }
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
                &self.pk,
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
