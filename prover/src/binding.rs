//! Checks that a stored verifying key is the one a circuit gives, with one multi-scalar
//! multiplication instead of one per column.
//!
//! Re-deriving a key commits every fixed and permutation column of the circuit: about thirty
//! multiplications of the circuit's size on a wide model, a second on two cores, paid by every
//! `loopx prove` and `loopx verify`. The binding runs halo2's own key generation instead with
//! parameters that record each column they are asked to commit, and then
//!
//! 1. compares the stored key byte for byte with the recorded one everywhere but the commitments
//!    (version, k, selector compression, column counts, selector assignments): what halo2 rebuilds
//!    the constraint system from;
//! 2. checks all the stored commitments `C_i` at once against their columns `p_i`: for scalars
//!    `r_i` drawn here, `Σ r_i·C_i = Commit(Σ r_i·p_i)`. A stored commitment other than its
//!    column's commitment passes with probability about 1/|Fr| (the check is a random linear
//!    combination, and the `r_i` are unknown to whoever wrote the file).
//!
//! Only after both hold are the stored bytes parsed, so halo2's reader never sees a key other
//! than the circuit's.

use std::collections::HashMap;
use std::io;
use std::sync::Mutex;

use halo2_proofs::arithmetic::{best_multiexp, parallelize};
use halo2_proofs::plonk::{keygen_vk_custom, Circuit, VerifyingKey};
use halo2_proofs::poly::commitment::{Blind, Params};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::poly::kzg::msm::MSMKZG;
use halo2_proofs::poly::{LagrangeCoeff, Polynomial};
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::{Bn256, Fr, G1Affine, G1};
use halo2curves::ff::Field;
use halo2curves::group::Curve;
use halo2curves::serde::SerdeObject;
use rand::rngs::OsRng;

/// Bytes before the first commitment in halo2-axiom's verifying key (version byte, k,
/// selector compression, number of fixed columns).
const HEADER_BYTES: usize = 1 + 4 + 1 + 4;
/// Bytes of one commitment in [`SerdeFormat::RawBytes`].
const POINT_BYTES: usize = 64;

/// Why a stored key is not the circuit's.
#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    /// Key generation failed on the circuit itself.
    #[error("key generation failed: {0}")]
    Keygen(String),
    /// The stored key differs outside its commitments (another shape, gates or selectors).
    #[error("it is not laid out like this circuit's key ({0})")]
    Layout(String),
    /// A stored commitment is not a point of the curve.
    #[error("commitment {0} is not a point of BN254's G1")]
    Point(usize),
    /// The commitments are not those of the circuit's columns.
    #[error("its commitments are not those of this circuit's fixed and permutation columns")]
    Commitments,
}

/// Returns the verifying key in `stored` (halo2-axiom's [`SerdeFormat::RawBytes`]) if it is the
/// key `circuit` gives under `params` (with selector compression `compress_selectors`).
pub fn bind_verifying_key<C: Circuit<Fr>>(
    params: &ParamsKZG<Bn256>,
    circuit: &C,
    compress_selectors: bool,
    stored: &[u8],
) -> Result<VerifyingKey<G1Affine>, BindingError> {
    let recorder = Recorder { params, columns: Mutex::default() };
    let recorded = keygen_vk_custom(&recorder, circuit, compress_selectors)
        .map_err(|e| BindingError::Keygen(format!("{e:?}")))?;
    let expected = recorded.to_bytes(SerdeFormat::RawBytes);
    let columns = recorder.columns.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    let slots: Vec<G1Affine> =
        recorded.fixed_commitments().iter().chain(recorded.permutation().commitments()).copied().collect();

    let commitments = HEADER_BYTES..HEADER_BYTES + POINT_BYTES * slots.len();
    if stored.len() != expected.len() {
        return Err(BindingError::Layout(format!(
            "{} bytes, the circuit's key has {}",
            stored.len(),
            expected.len()
        )));
    }
    if stored[..commitments.start] != expected[..commitments.start] {
        return Err(BindingError::Layout(
            "another k, selector compression or number of fixed columns".into(),
        ));
    }
    if stored[commitments.end..] != expected[commitments.end..] {
        return Err(BindingError::Layout("other selector assignments".into()));
    }

    let claimed: Vec<G1Affine> = stored[commitments]
        .chunks_exact(POINT_BYTES)
        .enumerate()
        .map(|(i, bytes)| G1Affine::from_raw_bytes(bytes).ok_or(BindingError::Point(i)))
        .collect::<Result<_, _>>()?;
    let column_of = marker_indices(columns.len());
    let order: Vec<usize> = slots
        .iter()
        .map(|marker| column_of.get(&marker_key(marker)).copied())
        .collect::<Option<_>>()
        .ok_or_else(|| BindingError::Keygen("a commitment came from outside the recorder".into()))?;

    let weights: Vec<Fr> = (0..claimed.len()).map(|_| Fr::random(OsRng)).collect();
    let mut combined = vec![Fr::ZERO; params.n() as usize];
    parallelize(&mut combined, |chunk, start| {
        for (weight, column) in weights.iter().zip(&order) {
            for (i, value) in chunk.iter_mut().enumerate() {
                *value += *weight * columns[*column][start + i];
            }
        }
    });
    let combined = recorded.get_domain().lagrange_from_vec(combined);
    let expected_point = params.commit_lagrange(&combined, Blind::default());
    let claimed_point = best_multiexp(&weights, &claimed);
    if expected_point.to_affine() != claimed_point.to_affine() {
        return Err(BindingError::Commitments);
    }
    VerifyingKey::from_bytes::<C>(stored, SerdeFormat::RawBytes, circuit.params())
        .map_err(|e| BindingError::Keygen(format!("the checked key does not parse: {e}")))
}

/// The point the recorder returns for its `i`-th column: `(i + 1)·G`, distinct for every column.
fn marker(i: usize) -> G1 {
    G1Affine::generator() * Fr::from(i as u64 + 1)
}

fn marker_key(point: &G1Affine) -> Vec<u8> {
    point.to_raw_bytes()
}

fn marker_indices(columns: usize) -> HashMap<Vec<u8>, usize> {
    (0..columns).map(|i| (marker_key(&marker(i).to_affine()), i)).collect()
}

/// KZG parameters that record every column key generation commits, answering with a marker.
#[derive(Debug)]
struct Recorder<'a> {
    params: &'a ParamsKZG<Bn256>,
    columns: Mutex<Vec<Vec<Fr>>>,
}

impl Clone for Recorder<'_> {
    fn clone(&self) -> Self {
        let columns = self.columns.lock().map(|c| c.clone()).unwrap_or_default();
        Recorder { params: self.params, columns: Mutex::new(columns) }
    }
}

impl<'params> Params<'params, G1Affine> for Recorder<'_> {
    type MSM = MSMKZG<Bn256>;

    fn k(&self) -> u32 {
        self.params.k()
    }

    fn n(&self) -> u64 {
        self.params.n()
    }

    fn downsize(&mut self, _: u32) {
        unreachable!("key generation never downsizes its parameters")
    }

    fn empty_msm(&'params self) -> Self::MSM {
        MSMKZG::new()
    }

    fn commit_lagrange(&self, poly: &Polynomial<Fr, LagrangeCoeff>, _: Blind<Fr>) -> G1 {
        let mut columns = self.columns.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        columns.push(poly.to_vec());
        marker(columns.len() - 1)
    }

    fn write<W: io::Write>(&self, writer: &mut W) -> io::Result<()> {
        self.params.write(writer)
    }

    fn read<R: io::Read>(_: &mut R) -> io::Result<Self> {
        Err(io::Error::other("recording parameters are never read"))
    }
}
