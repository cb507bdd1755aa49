//! What a proof publishes (DESIGN.md §4): the salted feature commitment, the wallet, and the
//! model's output as the package declares it — in that order in the one instance column.

use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;
use loopx_models::{QuantizedModel, SchemaId};

use crate::poseidon;
use crate::wire::fr_from_i64;

/// Index of the commitment in the instance column.
pub const COMMITMENT_ROW: usize = 0;
/// Index of the wallet in the instance column.
pub const WALLET_ROW: usize = 1;
/// Index of the first output value in the instance column.
pub const FIRST_OUTPUT_ROW: usize = 2;

/// The public instances of one proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicInstances {
    /// The feature commitment (see [`commitment`]).
    pub commitment: Fr,
    /// The wallet address as a field element.
    pub wallet: Fr,
    /// The outputs (integers at the output scale, class index, or predicate bit).
    pub outputs: Vec<Fr>,
}

impl PublicInstances {
    /// The instance column's values.
    pub fn to_vec(&self) -> Vec<Fr> {
        let mut v = vec![self.commitment, self.wallet];
        v.extend(&self.outputs);
        v
    }

    /// Splits an instance column for a model; `None` if the length is wrong.
    pub fn from_slice(values: &[Fr], model: &QuantizedModel) -> Option<Self> {
        if values.len() != FIRST_OUTPUT_ROW + model.public_output_len() {
            return None;
        }
        Some(PublicInstances { commitment: values[0], wallet: values[1], outputs: values[2..].to_vec() })
    }
}

/// Bits of a wallet address; the circuit range-checks the published wallet to them.
pub const WALLET_BITS: u32 = 160;

/// A 20-byte address as a field element (big-endian, as `uint256(uint160(addr))` on the EVM).
pub fn wallet_to_fr(address: &[u8; 20]) -> Fr {
    let mut repr = [0u8; 32];
    for (i, b) in address.iter().rev().enumerate() {
        repr[i] = *b;
    }
    Fr::from_repr(repr).expect("160-bit values are below the modulus")
}

/// Domain tag of feature commitments, version 1 (hashed into the sponge's capacity).
pub const COMMITMENT_DOMAIN: &[u8] = b"loopx.feature-commitment.v1";

/// The sponge's initial capacity word for a commitment under `schema` to `len` message
/// elements: `Poseidon(domain tag, schema id, len)`. Putting the domain in the capacity is the
/// sponge's own separation mechanism, and it costs the circuit nothing: the capacity is a fixed
/// cell the init gate already pins, so the schema id is part of the verifying key.
pub fn commitment_capacity(schema: &SchemaId, len: usize) -> Fr {
    poseidon::hash(&[fr_from_be_bytes(COMMITMENT_DOMAIN), fr_from_be_bytes(&schema.0), Fr::from(len as u64)])
}

/// The feature commitment of a credential and of a proof:
/// `Poseidon_{capacity(domain, schema id, n + 2)}(wallet, salt, e_1, …, e_n)` over the canonically
/// encoded features `e_i` (the integers the model reads).
pub fn commitment(schema: &SchemaId, wallet: Fr, salt: Fr, features: &[i64]) -> Fr {
    let mut message = vec![wallet, salt];
    message.extend(features.iter().map(|f| fr_from_i64(*f)));
    poseidon::hash_with_capacity(commitment_capacity(schema, message.len()), &message)
}

/// A big-endian byte string of at most 31 bytes, or a 32-byte one whose value is below the
/// modulus (a schema id), as a field element.
fn fr_from_be_bytes(bytes: &[u8]) -> Fr {
    let mut repr = [0u8; 32];
    for (i, b) in bytes.iter().rev().enumerate() {
        repr[i] = *b;
    }
    Fr::from_repr(repr).expect("a schema id (first byte 00) and the tag are below the modulus")
}

/// Signed integer value of a field element that encodes a small integer.
pub fn fr_to_i64(f: &Fr) -> Option<i64> {
    let to_u64 = |x: &Fr| -> Option<u64> {
        let repr = x.to_repr();
        let bytes = repr.as_ref();
        bytes[8..]
            .iter()
            .all(|b| *b == 0)
            .then(|| u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")))
    };
    if let Some(v) = to_u64(f).filter(|v| *v <= i64::MAX as u64) {
        return Some(v as i64);
    }
    to_u64(&-*f).filter(|v| *v <= i64::MAX as u64).map(|v| -(v as i64))
}
