//! A value placed in the circuit together with the cell that holds it.

use halo2_proofs::circuit::{Cell, Value};
use halo2_proofs::plonk::{Advice, Column, Fixed};
use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;

use crate::sheet::Sheet;

/// An assigned advice cell and its value, ready to be copied elsewhere.
#[derive(Clone, Copy, Debug)]
pub struct Wire {
    /// Where the value lives.
    pub cell: Cell,
    /// The value (unknown during key generation).
    pub value: Value<Fr>,
}

/// Field element of a signed integer.
pub fn fr_from_i64(v: i64) -> Fr {
    if v >= 0 {
        Fr::from(v as u64)
    } else {
        -Fr::from(v.unsigned_abs())
    }
}

/// Field element of a signed 128-bit integer.
pub fn fr_from_i128(v: i128) -> Fr {
    let magnitude = v.unsigned_abs();
    let f = Fr::from((magnitude >> 64) as u64) * Fr::from(1u64 << 32).square() + Fr::from(magnitude as u64);
    if v >= 0 {
        f
    } else {
        -f
    }
}

/// Assigns a witness value to an advice cell.
pub fn assign(sheet: &mut impl Sheet, column: Column<Advice>, row: usize, value: Value<Fr>) -> Wire {
    Wire { cell: sheet.assign(column, row, value), value }
}

/// Copies a wire into an advice cell and constrains the two to be equal.
pub fn copy(sheet: &mut impl Sheet, wire: &Wire, column: Column<Advice>, row: usize) -> Wire {
    let placed = assign(sheet, column, row, wire.value);
    sheet.equal(placed.cell, wire.cell);
    placed
}

/// Assigns a constant to a fixed cell.
pub fn fix(sheet: &mut impl Sheet, column: Column<Fixed>, row: usize, value: Fr) {
    sheet.fix(column, row, value);
}

/// A scalar as 0x-prefixed big-endian hex (the EVM's uint256 encoding).
pub fn fr_to_hex(f: &Fr) -> String {
    let mut repr = f.to_repr().as_ref().to_vec();
    repr.reverse();
    format!("0x{}", hex::encode(repr))
}

/// Parses a 0x-prefixed big-endian hex scalar; `None` if malformed or not below the modulus.
pub fn fr_from_hex(s: &str) -> Option<Fr> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    if digits.is_empty() || digits.len() > 64 {
        return None;
    }
    let mut bytes = hex::decode(format!("{digits:0>64}")).ok()?;
    bytes.reverse();
    let mut repr = <Fr as PrimeField>::Repr::default();
    repr.as_mut().copy_from_slice(&bytes);
    Option::from(Fr::from_repr(repr))
}
