//! Rewriting snark-verifier's Yul into the `verifyProof(bytes, uint256[])` contract.
//!
//! snark-verifier's `EvmLoader` reads its inputs with `calldataload(CONST)` in exactly two
//! shapes (pinned by the `=0.2.7` dependency, and checked here so that a drift fails loudly):
//!
//! * a scalar: `mod(calldataload(OFF), f_q)` — instances first, then proof scalars;
//! * a point coordinate: `let x := calldataload(OFF)` / `let y := calldataload(OFF + 0x20)`,
//!   followed by `success := and(validate_ec_point(x, y), success)`.
//!
//! Offsets address `instances ‖ proof` from calldata byte 0 and grow by one word per load, in
//! transcript order. The rewrite maps each offset into the canonical ABI layout of
//! `verifyProof(bytes proof, uint256[] instances)` with exact lengths:
//!
//! ```text
//! 0x00  selector            0x04  0x40 (proof head)     0x24  instances head
//! 0x44  proof.length = P    0x64  proof bytes (P, a multiple of 32)
//! 0x64+P instances.length = N   0x84+P instances (N words)   end = 0x84+P+32N
//! ```
//!
//! and replaces the scalar reads by `read_fr`, which rejects a word `≥ r` instead of reducing
//! it, and the point check by an immediate rejection.
//!
//! Single-use memory temporaries are then folded into their uses (see [`super::inline`]).
//!
//! Precompile calls (`success := and(eq(staticcall(…), 1), success)`) become
//! `if iszero(staticcall(…)) { revert(0, 0) }`. Their inputs are validated points and
//! scalars, so such a call can only fail by running out of gas; folded into `false`, a caller
//! short on gas would make a valid proof read as invalid (and `eth_estimateGas`, which looks
//! for the least gas that does not revert, would return an amount that gives `false`).

use crate::VerifierError;
use alloy::primitives::U256;
use halo2curves::{
    bn256::Fr,
    ff::{Field, PrimeField},
};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Where the scalars and points sit inside a proof's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofLayout {
    /// Exact proof length in bytes.
    pub proof_len: usize,
    /// Byte offset (within the proof) of every 32-byte big-endian scalar.
    pub scalar_offsets: Vec<usize>,
    /// Byte offset (within the proof) of every G1 point, stored as `x ‖ y` (64 bytes, big-endian).
    pub point_offsets: Vec<usize>,
}

/// Result of [`rewrite`].
pub(crate) struct Rewritten {
    pub solidity: String,
    pub layout: ProofLayout,
}

const ASSEMBLY_OPEN: &str = "assembly (\"memory-safe\") {";
const TAIL_MARKER: &str = "// Revert if anything fails";
const EXPECTED_TAIL: &str =
    "// Revert if anything fails if iszero(success) { revert(0, 0) } // Return empty bytes on success return(0, 0) } } }";
const POINT_CHECK: &str = "success := and(validate_ec_point(x, y), success)";
const POINT_REJECT: &str = "if iszero(validate_ec_point(x, y)) { reject() }";
const PRECOMPILE_CALL: &str = "success := and(eq(staticcall(";
const PRECOMPILE_CALL_END: &str = "), 1), success)";
const LOAD: &str = "calldataload(";
const SCALAR_PREFIX: &str = "mod(";
const SCALAR_SUFFIX: &str = ", f_q)";

/// What a `calldataload` in the generated code reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Load {
    Scalar,
    PointX,
    PointY,
}

/// Turns snark-verifier's generated Solidity (`code`) into the verifier contract.
#[cfg(test)]
pub(crate) fn rewrite(
    code: &str,
    num_instances: usize,
    contract_name: &str,
    vk_digest: &str,
) -> Result<Rewritten, VerifierError> {
    rewrite_with_accumulator(code, num_instances, contract_name, vk_digest, 0)
}

/// [`rewrite`] for code that also builds `accumulator_points` points from instance limbs (an
/// aggregate's KZG accumulator): each is validated like a loaded point, after its limbs were
/// read with `read_fr` and bound-checked by the generated code.
pub(crate) fn rewrite_with_accumulator(
    code: &str,
    num_instances: usize,
    contract_name: &str,
    vk_digest: &str,
    accumulator_points: usize,
) -> Result<Rewritten, VerifierError> {
    let RewrittenBody { body, layout, instances_start } =
        rewrite_body(code, num_instances, 0x64, accumulator_points)?;
    let proof_len = layout.proof_len;
    let solidity = render_contract(&ContractParts {
        contract_name,
        vk_digest,
        body: body.trim_end(),
        num_instances,
        proof_len,
        instances_start,
    });
    Ok(Rewritten { solidity, layout })
}

/// The rewritten Yul body of [`rewrite`], before it is wrapped into a contract.
pub(crate) struct RewrittenBody {
    /// The verification Yul, reading the proof at `proof_start` and the instances at
    /// `instances_start` of the calldata.
    pub body: String,
    pub layout: ProofLayout,
    /// Calldata offset of the first instance word.
    pub instances_start: usize,
}

/// The body of the verifier with the inputs read from an ABI layout whose proof bytes start at
/// calldata offset `proof_start` (right after the proof's length word), followed by the
/// instances' length word and the instances (`0x64` for `verifyProof(bytes, uint256[])`).
pub(crate) fn rewrite_body(
    code: &str,
    num_instances: usize,
    proof_start: usize,
    accumulator_points: usize,
) -> Result<RewrittenBody, VerifierError> {
    let body = generated_body(code)?;

    let mut loads = Vec::new();
    scan_loads(body, |load, offset| {
        loads.push((load, offset));
        Ok(String::new())
    })?;
    let layout = proof_layout(&loads, num_instances)?;

    let proof_len = layout.proof_len;
    let instances_start = proof_start + proof_len + 0x20;
    let instance_bytes = 32 * num_instances;
    let body = scan_loads(body, |load, offset| {
        // Instances come first in the generated code's addressing, the proof after them.
        let mapped = if offset < instance_bytes {
            instances_start + offset
        } else {
            proof_start + offset - instance_bytes
        };
        Ok(match load {
            Load::Scalar => format!("read_fr({mapped:#x})"),
            Load::PointX | Load::PointY => format!("{LOAD}{mapped:#x})"),
        })
    })?;
    let checks = body.matches(POINT_CHECK).count();
    if checks != layout.point_offsets.len() + accumulator_points {
        return Err(drift(format!(
            "{checks} point validations for {} points loaded and {accumulator_points} built from limbs",
            layout.point_offsets.len()
        )));
    }
    let body = body.replace(POINT_CHECK, POINT_REJECT);
    let body = revert_on_precompile_failure(&body)?;
    let body = super::inline::inline_single_use(&body);
    Ok(RewrittenBody { body, layout, instances_start })
}

/// The Yul between the opening of the generated assembly block and its final
/// revert-or-return, after checking the tail is what this rewrite expects.
fn generated_body(code: &str) -> Result<&str, VerifierError> {
    let open =
        code.find(ASSEMBLY_OPEN).ok_or_else(|| drift("no `assembly (\"memory-safe\")` block".into()))?;
    let start = open + ASSEMBLY_OPEN.len();
    let tail_at = code.rfind(TAIL_MARKER).ok_or_else(|| drift("no final success check".into()))?;
    if tail_at < start {
        return Err(drift("final success check precedes the assembly block".into()));
    }
    let tail = code[tail_at..].split_whitespace().collect::<Vec<_>>().join(" ");
    if tail != EXPECTED_TAIL {
        return Err(drift(format!("unexpected ending `{tail}`")));
    }
    Ok(&code[start..tail_at])
}

/// Calls `emit` for every `calldataload` in `body` (in order) and returns `body` with each
/// load replaced by what `emit` returned.
fn scan_loads(
    body: &str,
    mut emit: impl FnMut(Load, usize) -> Result<String, VerifierError>,
) -> Result<String, VerifierError> {
    let mut out = String::with_capacity(body.len() + body.len() / 8);
    let mut rest = body;
    while let Some(pos) = rest.find(LOAD) {
        let before = &rest[..pos];
        let after = &rest[pos + LOAD.len()..];
        let close = after.find(')').ok_or_else(|| drift("unterminated calldataload".into()))?;
        let offset = parse_hex(&after[..close])?;
        let tail = &after[close + 1..];
        if before.ends_with(SCALAR_PREFIX) && tail.starts_with(SCALAR_SUFFIX) {
            out.push_str(&before[..before.len() - SCALAR_PREFIX.len()]);
            out.push_str(&emit(Load::Scalar, offset)?);
            rest = &tail[SCALAR_SUFFIX.len()..];
        } else {
            let load = match before.trim_end() {
                text if text.ends_with("let x :=") => Load::PointX,
                text if text.ends_with("let y :=") => Load::PointY,
                _ => return Err(drift(format!("calldataload({offset:#x}) in an unknown context"))),
            };
            out.push_str(before);
            out.push_str(&emit(load, offset)?);
            rest = tail;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Rewrites every precompile call so that its failure (out of gas) reverts the whole call.
fn revert_on_precompile_failure(body: &str) -> Result<String, VerifierError> {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    let mut calls = 0;
    while let Some(pos) = rest.find(PRECOMPILE_CALL) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + PRECOMPILE_CALL.len()..];
        // The arguments hold one nested call, `gas()`; find the parenthesis closing `staticcall(`.
        let mut depth = 1usize;
        let close = after
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(index, _)| index)
            .ok_or_else(|| drift("unterminated staticcall".into()))?;
        let tail = &after[close..];
        if !tail.starts_with(PRECOMPILE_CALL_END) {
            return Err(drift("staticcall result used in an unknown way".into()));
        }
        let _ = write!(out, "if iszero(staticcall({})) {{ revert(0, 0) }}", &after[..close]);
        rest = &tail[PRECOMPILE_CALL_END.len()..];
        calls += 1;
    }
    out.push_str(rest);
    let all_calls = out.matches("staticcall(").count();
    if calls == 0 || all_calls != calls {
        return Err(drift(format!("{calls} of {all_calls} precompile calls have the expected shape")));
    }
    Ok(out)
}

/// Checks the loads read `instances ‖ proof` word by word, in order, each word once, with the
/// instances all scalars and every point's `y` right after its `x`; returns the proof layout.
fn proof_layout(loads: &[(Load, usize)], num_instances: usize) -> Result<ProofLayout, VerifierError> {
    if loads.len() <= num_instances {
        return Err(drift(format!(
            "{} calldata words for {num_instances} instances and a proof",
            loads.len()
        )));
    }
    let instance_bytes = 32 * num_instances;
    let mut layout = ProofLayout { proof_len: 0, scalar_offsets: Vec::new(), point_offsets: Vec::new() };
    for (index, &(load, offset)) in loads.iter().enumerate() {
        if offset != 32 * index {
            return Err(drift(format!("word {index} read at {offset:#x}, expected {:#x}", 32 * index)));
        }
        let previous = index.checked_sub(1).map(|i| loads[i].0);
        let in_proof = offset >= instance_bytes;
        match (load, previous) {
            (Load::Scalar, Some(Load::PointX)) | (Load::PointX, Some(Load::PointX)) => {
                return Err(drift(format!("point at {:#x} has no y", offset - 32)));
            }
            (Load::PointY, Some(Load::PointX)) => {}
            (Load::PointY, _) => return Err(drift(format!("y at {offset:#x} without x"))),
            (_, _) if !in_proof && load != Load::Scalar => {
                return Err(drift(format!("instance word {index} is not a scalar")));
            }
            (Load::Scalar, _) if in_proof => layout.scalar_offsets.push(offset - instance_bytes),
            (Load::PointX, _) => layout.point_offsets.push(offset - instance_bytes),
            _ => {}
        }
    }
    if loads.last().map(|(load, _)| *load) == Some(Load::PointX) {
        return Err(drift("last point has no y".into()));
    }
    layout.proof_len = 32 * loads.len() - instance_bytes;
    Ok(layout)
}

fn parse_hex(text: &str) -> Result<usize, VerifierError> {
    text.strip_prefix("0x")
        .and_then(|digits| usize::from_str_radix(digits, 16).ok())
        .ok_or_else(|| drift(format!("calldataload argument `{text}` is not a hex constant")))
}

fn drift(message: String) -> VerifierError {
    VerifierError::Generation(format!(
        "snark-verifier's output does not have the expected shape ({message}); \
         was the snark-verifier version changed?"
    ))
}

/// The BN254 scalar field modulus `r` as a 0x-prefixed 64-digit hex literal.
pub(crate) fn scalar_modulus_hex() -> String {
    let minus_one = U256::from_le_bytes((-Fr::ONE).to_repr());
    format!("{:#066x}", minus_one + U256::from(1))
}

struct ContractParts<'a> {
    contract_name: &'a str,
    vk_digest: &'a str,
    body: &'a str,
    num_instances: usize,
    proof_len: usize,
    instances_start: usize,
}

fn render_contract(parts: &ContractParts<'_>) -> String {
    let ContractParts { contract_name, vk_digest, body, num_instances, proof_len, instances_start } = *parts;
    let calldata_len = instances_start + 32 * num_instances;
    let r = scalar_modulus_hex();
    let mut out = String::new();
    // `write!` into a String cannot fail.
    let _ = write!(
        out,
        r#"// SPDX-License-Identifier: MIT
// Generated by loopx-verifier-contract from a halo2 verifying key (KZG on BN254, SHPLONK
// multi-open, Keccak256 EVM transcript). Do not edit: regenerate from the model package.
// The verification algorithm is snark-verifier's EvmLoader output, rewritten for the
// verifyProof interface and strict input checks.
//
// Verifying key digest: {vk_digest}
// Public instances:     {num_instances}
// Proof length:         {proof_len} bytes

pragma solidity 0.8.19;

/// @title LoopX halo2 proof verifier
/// @notice `verifyProof` returns true iff `proof` is a valid proof, under the embedded
///         verifying key, for exactly these public `instances`. It returns false when the
///         proof is not {proof_len} bytes, there are not {num_instances} instances, the call is not
///         the canonical ABI encoding (no extra calldata), any instance or proof scalar is
///         not below the BN254 scalar modulus r, or any proof point is not on BN254 (a
///         coordinate >= p, or the point at infinity, included). It reverts when it runs out
///         of gas (never answering `false` for lack of gas) or the calldata is not ABI.
contract {contract_name} {{
    /// @param proof The prover's transcript bytes.
    /// @param instances The public inputs: [commitment, wallet, outputs...].
    /// @return True iff the proof verifies for these instances.
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool) {{
        assembly ("memory-safe") {{
            // Any failed check ends the call with `false`.
            function reject() {{
                mstore(0x00, 0)
                return(0x00, 0x20)
            }}
            // A scalar read from calldata must be canonical: reducing it mod r instead would
            // let `s` and `s + r` both verify, and an out-of-range instance pass as another.
            function read_fr(cd) -> v {{
                v := calldataload(cd)
                if iszero(lt(v, {r})) {{ reject() }}
            }}
            // Canonical ABI layout with exact lengths: the generated code below reads the
            // proof at 0x64 and the instances at {instances_start:#x}.
            if iszero(and(eq(proof.offset, 0x64), eq(proof.length, {proof_len:#x}))) {{ reject() }}
            if iszero(and(eq(instances.offset, {instances_start:#x}), eq(instances.length, {num_instances}))) {{ reject() }}
            if iszero(eq(calldatasize(), {calldata_len:#x})) {{ reject() }}
{body}

            mstore(0x00, success)
            return(0x00, 0x20)
        }}
    }}
}}
"#
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_generated(runtime: &str) -> String {
        format!(
            "pragma solidity 0.8.19;\ncontract Halo2Verifier {{\n fallback(bytes calldata) external returns (bytes memory) {{\n \
             {ASSEMBLY_OPEN}\n let success := true\n {runtime}\n // Revert if anything fails\n \
             if iszero(success) {{ revert(0, 0) }}\n\n // Return empty bytes on success\n return(0, 0)\n }}\n }}\n}}\n"
        )
    }

    #[test]
    fn maps_instances_and_proof_into_abi_layout() {
        let runtime = "mstore(0xa0, mod(calldataload(0x0), f_q))\n\
             mstore(0xc0, mod(calldataload(0x20), f_q))\n\
             {\n let x := calldataload(0x40)\n mstore(0xe0, x)\n let y := calldataload(0x60)\n mstore(0x100, y)\n \
             success := and(validate_ec_point(x, y), success)\n }\n\
             mstore(0x120, mod(calldataload(0x80), f_q))\n\
             success := and(eq(staticcall(gas(), 0x8, 0x140, 0x180, 0x140, 0x20), 1), success)\n\
             success := and(eq(mload(0x140), 1), success)";
        let out = rewrite(&fake_generated(runtime), 2, "V", "0x01").unwrap();
        // proof = point (64 bytes) + scalar (32 bytes) = 96 = 0x60 bytes; instances at 0x84 + 0x60.
        assert_eq!(
            out.layout,
            ProofLayout { proof_len: 96, scalar_offsets: vec![64], point_offsets: vec![0] }
        );
        let sol = &out.solidity;
        assert!(sol.contains("mstore(0xa0, read_fr(0xe4))"), "{sol}");
        assert!(sol.contains("mstore(0xc0, read_fr(0x104))"), "{sol}");
        assert!(sol.contains("let x := calldataload(0x64)"), "{sol}");
        assert!(sol.contains("let y := calldataload(0x84)"), "{sol}");
        assert!(sol.contains("mstore(0x120, read_fr(0xa4))"), "{sol}");
        assert!(sol.contains(POINT_REJECT) && !sol.contains(POINT_CHECK), "{sol}");
        assert!(sol.contains("eq(calldatasize(), 0x124)"), "{sol}");
        assert!(
            sol.contains("if iszero(staticcall(gas(), 0x8, 0x140, 0x180, 0x140, 0x20)) { revert(0, 0) }"),
            "{sol}"
        );
        assert!(sol.contains("success := and(eq(mload(0x140), 1), success)"), "{sol}");
        assert!(!sol.contains("if iszero(success) { revert(0, 0) }"), "{sol}");
    }

    #[test]
    fn rejects_unknown_shapes() {
        let skipped_word =
            "mstore(0xa0, mod(calldataload(0x0), f_q))\nmstore(0xc0, mod(calldataload(0x40), f_q))";
        assert!(rewrite(&fake_generated(skipped_word), 1, "V", "0x01").is_err());
        let unknown_use = "mstore(0xa0, mod(calldataload(0x0), f_q))\nmstore(0xc0, calldataload(0x20))";
        assert!(rewrite(&fake_generated(unknown_use), 1, "V", "0x01").is_err());
        let point_instance = "{ let x := calldataload(0x0)\n let y := calldataload(0x20)\n }";
        let unknown_call =
            "mstore(0xa0, mod(calldataload(0x0), f_q))\nmstore(0xc0, mod(calldataload(0x20), f_q))\n\
             success := and(staticcall(gas(), 0x8, 0, 0, 0, 0), success)";
        assert!(rewrite(&fake_generated(unknown_call), 1, "V", "0x01").is_err());
        assert!(rewrite(&fake_generated(point_instance), 1, "V", "0x01").is_err());
        assert!(rewrite("contract X {}", 1, "V", "0x01").is_err());
    }

    #[test]
    fn scalar_modulus_literal() {
        assert_eq!(
            scalar_modulus_hex(),
            "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001"
        );
    }
}
