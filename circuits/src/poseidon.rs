//! The Poseidon hash behind the feature commitment, natively.
//!
//! Width 3, rate 2, x^5 S-box, 8 full and 57 partial rounds: the 128-bit-secure instance for
//! BN254's scalar field. Round constants and the MDS matrix come from the reference Grain LFSR
//! generator (`poseidon-primitives`); the permutation itself is written out here so that the
//! in-circuit chip ([`crate::chips::poseidon`]) and this native twin are visibly the same steps.
//!
//! Sponge: the state starts as `(L·2^64, 0, 0)` for a message of `L` elements; the message,
//! zero-padded to even length, is added two elements at a time into the rate words, each chunk
//! followed by one permutation; the digest is the first rate word.

use std::sync::OnceLock;

use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use poseidon_primitives::poseidon::primitives::Spec;

/// State width.
pub const WIDTH: usize = 3;
/// Full rounds (half before, half after the partial rounds).
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds.
pub const PARTIAL_ROUNDS: usize = 57;

/// The parameter set, for the reference constant generator.
#[derive(Debug)]
struct LoopxPoseidonSpec;

impl Spec<Fr, WIDTH, 2> for LoopxPoseidonSpec {
    fn full_rounds() -> usize {
        FULL_ROUNDS
    }
    fn partial_rounds() -> usize {
        PARTIAL_ROUNDS
    }
    fn sbox(val: Fr) -> Fr {
        val.pow_vartime([5])
    }
    fn secure_mds() -> usize {
        0
    }
}

/// Round constants (one row per round) and the MDS matrix.
#[derive(Debug)]
pub struct PoseidonConstants {
    /// `round_constants[r][i]` is added to word `i` before round `r`'s S-box.
    pub round_constants: Vec<[Fr; WIDTH]>,
    /// The MDS matrix applied after each S-box layer.
    pub mds: [[Fr; WIDTH]; WIDTH],
}

/// The constants, generated once per process.
pub fn constants() -> &'static PoseidonConstants {
    static CONSTANTS: OnceLock<PoseidonConstants> = OnceLock::new();
    CONSTANTS.get_or_init(|| {
        let (round_constants, mds, _) = LoopxPoseidonSpec::constants();
        PoseidonConstants { round_constants, mds }
    })
}

/// Whether round `r` applies the S-box to every word.
pub fn is_full_round(r: usize) -> bool {
    !(FULL_ROUNDS / 2..FULL_ROUNDS / 2 + PARTIAL_ROUNDS).contains(&r)
}

/// Total rounds of one permutation.
pub const ROUNDS: usize = FULL_ROUNDS + PARTIAL_ROUNDS;

fn pow5(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// One round of the permutation.
pub fn round(state: &[Fr; WIDTH], r: usize) -> [Fr; WIDTH] {
    let c = constants();
    let rc = &c.round_constants[r];
    let mut sboxed = [Fr::ZERO; WIDTH];
    for i in 0..WIDTH {
        let u = state[i] + rc[i];
        sboxed[i] = if i == 0 || is_full_round(r) { pow5(u) } else { u };
    }
    let mut next = [Fr::ZERO; WIDTH];
    for (i, row) in c.mds.iter().enumerate() {
        next[i] = row.iter().zip(&sboxed).map(|(m, s)| *m * s).sum();
    }
    next
}

/// The full permutation.
pub fn permute(state: &mut [Fr; WIDTH]) {
    for r in 0..ROUNDS {
        *state = round(state, r);
    }
}

/// The sponge's initial capacity word for a message of `len` elements.
pub fn capacity_for_length(len: usize) -> Fr {
    Fr::from(len as u64) * Fr::from(1u64 << 32).square()
}

/// The message split into rate-sized chunks, zero-padded.
pub fn chunks(message: &[Fr]) -> Vec<[Fr; 2]> {
    message.chunks(2).map(|c| [c[0], c.get(1).copied().unwrap_or(Fr::ZERO)]).collect()
}

/// Hashes a message of field elements.
pub fn hash(message: &[Fr]) -> Fr {
    hash_with_capacity(capacity_for_length(message.len()), message)
}

/// Hashes a message with the sponge's capacity word set to `capacity`: the domain separation
/// of the feature commitment (see [`crate::instances::commitment_capacity`]).
pub fn hash_with_capacity(capacity: Fr, message: &[Fr]) -> Fr {
    let mut state = [capacity, Fr::ZERO, Fr::ZERO];
    for chunk in chunks(message) {
        state[1] += chunk[0];
        state[2] += chunk[1];
        permute(&mut state);
    }
    state[1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use poseidon_primitives::poseidon::primitives::{ConstantLength, Hash};

    #[test]
    fn permutation_matches_reference_implementation() {
        let mut ours = [Fr::from(1), Fr::from(2), Fr::from(3)];
        let mut reference = ours;
        permute(&mut ours);
        Hash::<Fr, LoopxPoseidonSpec, ConstantLength<2>, WIDTH, 2>::init().permute(&mut reference);
        assert_eq!(ours, reference);
    }

    #[test]
    fn hash_depends_on_every_element_and_on_length() {
        let base: Vec<Fr> = (1..=5u64).map(Fr::from).collect();
        let h = hash(&base);
        for i in 0..base.len() {
            let mut m = base.clone();
            m[i] += Fr::ONE;
            assert_ne!(hash(&m), h, "element {i} does not affect the digest");
        }
        let mut padded = base.clone();
        padded.push(Fr::ZERO);
        assert_ne!(hash(&padded), h, "zero padding must not collide with a longer message");
    }
}
