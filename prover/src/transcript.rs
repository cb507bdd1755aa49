//! The EVM-compatible Fiat–Shamir transcript every LoopX proof is made with: Keccak-256 over the
//! big-endian encodings of what the proof carries, as the generated Solidity verifier recomputes it.
//!
//! The format is snark-verifier's `EvmTranscript` (the one the generated verifier implements),
//! written here so that the proving core does not depend on snark-verifier: that crate pulls in
//! `halo2-base`, which turns on halo2's `multicore` feature, and `multicore` does not compile for
//! `wasm32-unknown-unknown` without atomics (the browser build). A test checks this transcript
//! byte for byte against snark-verifier's on the same messages.
//!
//! - Proof bytes: each point as `x ‖ y` (32-byte big-endian base field elements), each scalar as
//!   32 bytes big-endian; no length prefixes.
//! - State: a byte buffer. Writing or reading a point appends `x ‖ y`, a scalar its 32 bytes;
//!   `common_*` values are appended without being written to the proof.
//! - A challenge is `keccak256(buffer)`, with one `0x01` byte appended to the hashed bytes when
//!   the buffer is exactly 32 bytes (two consecutive squeezes must differ); the buffer becomes the
//!   hash, and the challenge is the hash read as a big-endian integer reduced modulo r.

use std::io::{self, Read, Write};

use halo2_proofs::transcript::{
    EncodedChallenge, Transcript, TranscriptRead, TranscriptReadBuffer, TranscriptWrite,
    TranscriptWriterBuffer,
};
use halo2curves::bn256::{Fq, Fr, G1Affine};
use halo2curves::ff::{FromUniformBytes, PrimeField};
use halo2curves::{Coordinates, CurveAffine};
use sha3::{Digest, Keccak256};

/// A challenge of the EVM transcript: a Keccak-256 output reduced into the scalar field.
#[derive(Clone, Copy, Debug)]
pub struct EvmChallenge(Fr);

impl EncodedChallenge<G1Affine> for EvmChallenge {
    type Input = [u8; 32];

    fn new(hash: &[u8; 32]) -> Self {
        EvmChallenge(fr_from_be_hash(hash))
    }

    fn get_scalar(&self) -> Fr {
        self.0
    }
}

/// The hash as a big-endian 256-bit integer, reduced modulo r.
fn fr_from_be_hash(hash: &[u8; 32]) -> Fr {
    let mut wide = [0u8; 64];
    for (i, byte) in hash.iter().rev().enumerate() {
        wide[i] = *byte;
    }
    Fr::from_uniform_bytes(&wide)
}

/// The EVM Keccak transcript over a proof stream (a `Vec<u8>` to prove, a byte slice to verify).
#[derive(Debug)]
pub struct EvmTranscript<S> {
    stream: S,
    absorbed: Vec<u8>,
}

impl<S> EvmTranscript<S> {
    /// A transcript writing to or reading from `stream`.
    pub fn new(stream: S) -> Self {
        EvmTranscript { stream, absorbed: Vec::new() }
    }

    /// The stream (the proof bytes, after proving).
    pub fn finalize(self) -> S {
        self.stream
    }

    fn absorb_point(&mut self, point: &G1Affine) -> io::Result<()> {
        let coordinates: Option<Coordinates<G1Affine>> = point.coordinates().into();
        let coordinates = coordinates.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "the point at infinity has no transcript encoding")
        })?;
        for coordinate in [coordinates.x(), coordinates.y()] {
            self.absorbed.extend(coordinate.to_repr().as_ref().iter().rev());
        }
        Ok(())
    }

    fn absorb_scalar(&mut self, scalar: &Fr) {
        self.absorbed.extend(scalar.to_repr().as_ref().iter().rev());
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// 32 bytes of the stream, reversed into the little-endian order halo2curves reads.
fn read_le_32(stream: &mut impl Read) -> io::Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    stream.read_exact(&mut bytes)?;
    bytes.reverse();
    Ok(bytes)
}

impl<S> Transcript<G1Affine, EvmChallenge> for EvmTranscript<S> {
    fn squeeze_challenge(&mut self) -> EvmChallenge {
        let mut hasher = Keccak256::new();
        hasher.update(&self.absorbed);
        if self.absorbed.len() == 32 {
            hasher.update([1u8]);
        }
        let hash: [u8; 32] = hasher.finalize().into();
        self.absorbed = hash.to_vec();
        EvmChallenge::new(&hash)
    }

    fn common_point(&mut self, point: G1Affine) -> io::Result<()> {
        self.absorb_point(&point)
    }

    fn common_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        self.absorb_scalar(&scalar);
        Ok(())
    }
}

impl<R: Read> TranscriptRead<G1Affine, EvmChallenge> for EvmTranscript<R> {
    fn read_point(&mut self) -> io::Result<G1Affine> {
        let x: Option<Fq> = Fq::from_repr(read_le_32(&mut self.stream)?).into();
        let y: Option<Fq> = Fq::from_repr(read_le_32(&mut self.stream)?).into();
        let point = x
            .zip(y)
            .and_then(|(x, y)| Option::from(G1Affine::from_xy(x, y)))
            .ok_or_else(|| invalid("invalid elliptic curve point encoding in the proof"))?;
        self.absorb_point(&point)?;
        Ok(point)
    }

    fn read_scalar(&mut self) -> io::Result<Fr> {
        let scalar: Option<Fr> = Fr::from_repr(read_le_32(&mut self.stream)?).into();
        let scalar = scalar.ok_or_else(|| invalid("invalid scalar encoding in the proof"))?;
        self.absorb_scalar(&scalar);
        Ok(scalar)
    }
}

impl<R: Read> TranscriptReadBuffer<R, G1Affine, EvmChallenge> for EvmTranscript<R> {
    fn init(reader: R) -> Self {
        EvmTranscript::new(reader)
    }
}

impl<W: Write> TranscriptWrite<G1Affine, EvmChallenge> for EvmTranscript<W> {
    fn write_point(&mut self, point: G1Affine) -> io::Result<()> {
        self.absorb_point(&point)?;
        let coordinates: Option<Coordinates<G1Affine>> = point.coordinates().into();
        let coordinates = coordinates.ok_or_else(|| invalid("the point at infinity cannot be written"))?;
        for coordinate in [coordinates.x(), coordinates.y()] {
            let mut bytes = coordinate.to_repr();
            bytes.as_mut().reverse();
            self.stream.write_all(bytes.as_ref())?;
        }
        Ok(())
    }

    fn write_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        self.absorb_scalar(&scalar);
        let mut bytes = scalar.to_repr();
        bytes.as_mut().reverse();
        self.stream.write_all(bytes.as_ref())
    }
}

impl<W: Write> TranscriptWriterBuffer<W, G1Affine, EvmChallenge> for EvmTranscript<W> {
    fn init(writer: W) -> Self {
        EvmTranscript::new(writer)
    }

    fn finalize(self) -> W {
        self.stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2curves::ff::Field;
    use halo2curves::group::Curve;
    use rand::SeedableRng;
    use snark_verifier::loader::native::NativeLoader;
    use snark_verifier::system::halo2::transcript::evm::{ChallengeEvm, EvmTranscript as Reference};

    type ReferenceWriter = Reference<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>;

    /// Writes the same messages through both transcripts, squeezing between them (twice in a row
    /// too: the 32-byte buffer case), and compares bytes and challenges; then reads them back.
    #[test]
    fn matches_snark_verifiers_evm_transcript_byte_for_byte() {
        use halo2_proofs::transcript::{Transcript as T, TranscriptRead as TR, TranscriptWrite as TW};
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let mut ours = EvmTranscript::new(Vec::new());
        let mut theirs = ReferenceWriter::new(Vec::new());
        let mut challenges = Vec::new();
        for round in 0..6 {
            let point = (G1Affine::generator() * Fr::random(&mut rng)).to_affine();
            let scalar = Fr::random(&mut rng);
            TW::<G1Affine, EvmChallenge>::write_point(&mut ours, point).unwrap();
            TW::<G1Affine, ChallengeEvm<G1Affine>>::write_point(&mut theirs, point).unwrap();
            TW::<G1Affine, EvmChallenge>::write_scalar(&mut ours, scalar).unwrap();
            TW::<G1Affine, ChallengeEvm<G1Affine>>::write_scalar(&mut theirs, scalar).unwrap();
            T::<G1Affine, EvmChallenge>::common_scalar(&mut ours, scalar.double()).unwrap();
            T::<G1Affine, ChallengeEvm<G1Affine>>::common_scalar(&mut theirs, scalar.double()).unwrap();
            for _ in 0..=(round % 2) {
                let a = T::<G1Affine, EvmChallenge>::squeeze_challenge(&mut ours).get_scalar();
                let b = T::<G1Affine, ChallengeEvm<G1Affine>>::squeeze_challenge(&mut theirs).get_scalar();
                assert_eq!(a, b, "challenge of round {round}");
                challenges.push(a);
            }
        }
        let bytes = ours.finalize();
        assert_eq!(bytes, theirs.finalize(), "proof bytes");

        let mut reader = EvmTranscript::new(bytes.as_slice());
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let mut replayed = Vec::new();
        for round in 0..6 {
            let point = (G1Affine::generator() * Fr::random(&mut rng)).to_affine();
            let scalar = Fr::random(&mut rng);
            assert_eq!(TR::<G1Affine, EvmChallenge>::read_point(&mut reader).unwrap(), point);
            assert_eq!(TR::<G1Affine, EvmChallenge>::read_scalar(&mut reader).unwrap(), scalar);
            T::<G1Affine, EvmChallenge>::common_scalar(&mut reader, scalar.double()).unwrap();
            for _ in 0..=(round % 2) {
                replayed.push(T::<G1Affine, EvmChallenge>::squeeze_challenge(&mut reader).get_scalar());
            }
        }
        assert_eq!(replayed, challenges);
    }

    #[test]
    fn rejects_scalars_at_or_above_the_modulus_and_points_off_the_curve() {
        let mut modulus = [0xffu8; 32];
        let mut reader = EvmTranscript::new(&modulus[..]);
        assert!(TranscriptRead::<G1Affine, EvmChallenge>::read_scalar(&mut reader).is_err());
        modulus[31] = 0; // 0xff…ff00 is still above r
        let mut reader = EvmTranscript::new(&modulus[..]);
        assert!(TranscriptRead::<G1Affine, EvmChallenge>::read_scalar(&mut reader).is_err());
        let mut off_curve = [0u8; 64];
        off_curve[31] = 1;
        off_curve[63] = 1; // (1, 1) is not on y² = x³ + 3
        let mut reader = EvmTranscript::new(&off_curve[..]);
        assert!(TranscriptRead::<G1Affine, EvmChallenge>::read_point(&mut reader).is_err());
    }
}
