//! Verifiers too large for one contract (EIP-170's 24,576 bytes), split over several.
//!
//! The generated verifier is one straight line of Yul statements over memory at literal
//! addresses. Once the transcript has been read from calldata, every value lives in memory and
//! the only variables that cross statements are `success`, `f_p` and `f_q`. So the line can be
//! cut at statement boundaries after the last calldata read, and each later piece run by
//! another contract from a copy of the memory:
//!
//! ```text
//! LoopXVerifier.verifyProof       input checks, transcript, first statements
//!   └─ staticcall part 1          calldata: memory[0, B₁) ‖ success ‖ addresses of parts 2…
//!        └─ staticcall part 2     …; the last part answers the verdict word, passed back up
//! ```
//!
//! A part starts from exactly the memory the one-contract verifier holds at its cut (a word
//! never written reads zero in both), so it computes what that verifier computes. A part's
//! `reject()` answers `false` like the entry's; a failed precompile reverts the part, and with
//! it the whole call, as before.
//!
//! **Which contracts run.** The entry's constructor takes the parts' addresses and refuses any
//! whose code hash is not the part's code compiled here: once deployed, the chain cannot change
//! (parts have no state, no `SELFDESTRUCT`, no constructor). A part called directly answers for
//! whatever memory it was handed, which proves nothing: only the entry's answer is a verdict.
//! Parts are compiled without solc's metadata tail, so their code — and the hash the entry
//! pins — depends only on their text and the pinned compiler settings (see `solc::compile_many`).
//!
//! **Cost.** Each cut adds a call and a copy of the memory so far into the next part (its
//! memory expansion and `CALLDATACOPY`): ~10–20k gas per cut for verifiers of this size.

use super::inline::{calls, literal, split_args};
use super::{GeneratedVerifier, VERIFIER_CONTRACT_NAME};
use crate::{
    chain, solc::compile_many, CompiledContract, EmbeddedEvm, VerifierError, EIP170_CODE_SIZE_LIMIT,
};
use alloy::primitives::{keccak256, Address};
use std::fmt::Write as _;

/// Most contracts one verifier is split over before giving up.
pub const MAX_VERIFIER_CONTRACTS: usize = 6;

/// Where the generated verifier's input checks end: the statements after it are the body.
const BODY_START: &str = "if iszero(eq(calldatasize(), ";
/// What the generated verifier ends with after its body.
const BODY_END: &str =
    "\n\n            mstore(0x00, success)\n            return(0x00, 0x20)\n        }\n    }\n}\n";
const CONTRACT_OPEN: &str = "contract LoopXVerifier {\n";
const ASSEMBLY_OPEN: &str = "external view returns (bool) {\n        assembly (\"memory-safe\") {\n";
/// Statements the body opens with, kept by the entry; parts declare `f_p`, `f_q` and the
/// functions again and take `success` from their caller.
const PRELUDE: [&str; 6] =
    ["let data :=", "if iszero(eq(data, 0x80))", "let success :=", "let f_p :=", "let f_q :=", "function "];

/// A verifier ready to deploy: one contract, or an entry contract and the parts it calls.
#[derive(Clone, Debug)]
pub struct CompiledVerifier {
    /// Solidity source of every contract: the parts, then the verifier (`LoopXVerifier`).
    pub solidity: String,
    /// The parts, to deploy first and pass to the verifier's constructor in this order; none
    /// when the verifier fits one contract.
    pub parts: Vec<CompiledContract>,
    /// The verifier: `verifyProof` lives here. With parts, its constructor takes their addresses.
    pub entry: CompiledContract,
}

impl CompiledVerifier {
    /// Runtime code sizes, the parts' then the verifier's.
    pub fn deployed_sizes(&self) -> Vec<usize> {
        self.parts.iter().chain([&self.entry]).map(CompiledContract::deployed_size).collect()
    }

    /// The largest runtime code of the contracts (what EIP-170 limits).
    pub fn largest_size(&self) -> usize {
        self.deployed_sizes().into_iter().max().unwrap_or_default()
    }

    /// The runtime code of all contracts together.
    pub fn total_size(&self) -> usize {
        self.deployed_sizes().into_iter().sum()
    }

    /// Creation code of the verifier with `parts` (their addresses, in order) as constructor
    /// arguments.
    pub fn entry_creation_code(&self, parts: &[Address]) -> Result<Vec<u8>, VerifierError> {
        if parts.len() != self.parts.len() {
            return Err(VerifierError::InvalidInput(format!(
                "the verifier takes {} part addresses, not {}",
                self.parts.len(),
                parts.len()
            )));
        }
        let mut code = self.entry.bytecode.clone();
        for part in parts {
            code.extend_from_slice(part.into_word().as_slice());
        }
        Ok(code)
    }

    /// Deploys the verifier (its parts first) in a fresh embedded EVM and asks it about one
    /// proof: [`crate::verify_in_evm`] for a verifier of any number of contracts.
    pub fn verify_in_evm(
        &self,
        proof: &[u8],
        instances: &[halo2curves::bn256::Fr],
    ) -> Result<crate::EvmVerdict, VerifierError> {
        let mut evm = EmbeddedEvm::new();
        let address = self.deploy_in(&mut evm)?;
        evm.verify(address, proof, instances)
    }

    /// Deploys the parts and then the verifier in `evm`; returns the verifier's address.
    pub fn deploy_in(&self, evm: &mut EmbeddedEvm) -> Result<Address, VerifierError> {
        let parts =
            self.parts.iter().map(|part| evm.deploy(&part.bytecode)).collect::<Result<Vec<_>, _>>()?;
        evm.deploy(&self.entry_creation_code(&parts)?)
    }

    /// Deploys the parts and then the verifier on the chain at `rpc_url`, from the account of
    /// `private_key`; returns the verifier's address.
    pub fn deploy_onchain_blocking(
        &self,
        rpc_url: &str,
        private_key: &str,
    ) -> Result<Address, VerifierError> {
        let parts = self
            .parts
            .iter()
            .map(|part| chain::deploy_blocking(rpc_url, private_key, &part.bytecode))
            .collect::<Result<Vec<_>, _>>()?;
        chain::deploy_blocking(rpc_url, private_key, &self.entry_creation_code(&parts)?)
    }
}

impl GeneratedVerifier {
    /// Compiles the verifier for deployment: one contract when it fits EIP-170, else split over
    /// the fewest contracts that each fit (see `generate/split.rs`).
    pub fn compile_deployable(&self) -> Result<CompiledVerifier, VerifierError> {
        let single =
            crate::compile_solidity(&[("LoopXVerifier.sol", &self.solidity)], VERIFIER_CONTRACT_NAME)?;
        if single.deployed_size() <= EIP170_CODE_SIZE_LIMIT {
            return Ok(CompiledVerifier {
                solidity: self.solidity.clone(),
                parts: Vec::new(),
                entry: single,
            });
        }
        let mut largest = single.deployed_size();
        for contracts in 2..=MAX_VERIFIER_CONTRACTS {
            let split = self.compile_split(contracts)?;
            if split.largest_size() <= EIP170_CODE_SIZE_LIMIT {
                return Ok(split);
            }
            largest = split.largest_size();
        }
        Err(VerifierError::CodeTooLarge { size: largest, limit: EIP170_CODE_SIZE_LIMIT })
    }

    /// Compiles the verifier split over exactly `contracts` contracts (at least 2), whatever its
    /// size: the verifier and `contracts − 1` parts.
    pub fn compile_split(&self, contracts: usize) -> Result<CompiledVerifier, VerifierError> {
        if !(2..=MAX_VERIFIER_CONTRACTS).contains(&contracts) {
            return Err(VerifierError::InvalidInput(format!(
                "a verifier is split over 2 to {MAX_VERIFIER_CONTRACTS} contracts, not {contracts}"
            )));
        }
        let program = Program::parse(&self.solidity)?;
        let cuts = program.cuts(contracts)?;
        let part_names: Vec<String> =
            (1..contracts).map(|i| format!("{VERIFIER_CONTRACT_NAME}Part{i}")).collect();
        let mut parts_source = String::new();
        for (i, name) in part_names.iter().enumerate() {
            parts_source.push_str(&program.render_part(name, &cuts, i + 1));
        }
        let names: Vec<&str> = part_names.iter().map(String::as_str).collect();
        let alone = format!("// SPDX-License-Identifier: MIT\npragma solidity 0.8.19;\n\n{parts_source}");
        let parts = compile_many(&[("LoopXVerifierParts.sol", &alone)], &names, true)?;
        let hashes: Vec<String> =
            parts.iter().map(|p| format!("{}", keccak256(&p.deployed_bytecode))).collect();
        let entry_source = program.render_entry(&cuts, &part_names, &hashes)?;
        let solidity = format!("{entry_source}\n{parts_source}");

        // The whole file, as a user would compile it: the parts must come out byte for byte as
        // compiled alone, or the hashes the verifier pins would not be theirs.
        let mut all_names = names.clone();
        all_names.push(VERIFIER_CONTRACT_NAME);
        let mut compiled = compile_many(&[("LoopXVerifier.sol", &solidity)], &all_names, true)?;
        let entry =
            compiled.pop().ok_or_else(|| VerifierError::Generation("solc returned no verifier".into()))?;
        if compiled
            .iter()
            .zip(&parts)
            .any(|(again, alone)| again.deployed_bytecode != alone.deployed_bytecode)
        {
            return Err(VerifierError::Generation(
                "a verifier part compiles to other code beside the verifier than alone; its pinned hash would not match"
                    .into(),
            ));
        }
        Ok(CompiledVerifier { solidity, parts, entry })
    }
}

/// The generated verifier taken apart: its head (contract, input checks) and its body's
/// top-level statements.
struct Program<'s> {
    head: &'s str,
    prelude: Vec<&'s str>,
    statements: Vec<&'s str>,
    /// Statements `[0, first_cut)` read calldata: the first cut comes after them.
    first_cut: usize,
}

/// Where the body is cut, and the memory bound at each cut.
struct Cuts {
    /// Statement index where each segment after the first starts.
    at: Vec<usize>,
    /// Bytes of memory handed over at each cut (every word written before it lies below).
    memory: Vec<u64>,
}

impl<'s> Program<'s> {
    fn parse(solidity: &'s str) -> Result<Self, VerifierError> {
        let start = solidity.find(BODY_START).ok_or_else(|| shape("no calldata size check"))?;
        let head_end = start + solidity[start..].find('\n').ok_or_else(|| shape("no body"))? + 1;
        let body = solidity[head_end..].strip_suffix(BODY_END).ok_or_else(|| shape("no final return"))?;
        let all = top_level_statements(body)?;
        let prelude_len =
            all.iter().take_while(|s| PRELUDE.iter().any(|p| code_of(s).starts_with(p))).count();
        let (prelude, statements) = (all[..prelude_len].to_vec(), all[prelude_len..].to_vec());
        if let Some(s) =
            statements.iter().find(|s| code_of(s).starts_with("let ") || code_of(s).starts_with("function "))
        {
            return Err(shape(&format!("a top-level declaration after the prelude: {}", first_line(s))));
        }
        let reads_calldata = |s: &&str| s.contains("calldata") || s.contains("read_fr(");
        let first_cut = statements.iter().rposition(reads_calldata).map_or(0, |i| i + 1);
        Ok(Program { head: &solidity[..head_end], prelude, statements, first_cut })
    }

    /// Cuts into `segments` pieces of about equal text (a proxy for code size), the first
    /// holding every calldata read.
    fn cuts(&self, segments: usize) -> Result<Cuts, VerifierError> {
        let total: usize = self.statements.iter().map(|s| s.len()).sum();
        let mut at = Vec::new();
        let mut written = 0;
        for (i, s) in self.statements.iter().enumerate() {
            let target = total * (at.len() + 1) / segments;
            if at.len() + 1 < segments && written >= target && i >= self.first_cut.max(1) {
                at.push(i);
            }
            written += s.len();
        }
        if at.len() + 1 != segments {
            return Err(VerifierError::Generation(format!(
                "the verifier has too few statements after its calldata reads to split over {segments} contracts"
            )));
        }
        let memory = at
            .iter()
            .map(|&cut| memory_bound(self.prelude.iter().chain(&self.statements[..cut]).copied()))
            .collect::<Result<_, _>>()?;
        Ok(Cuts { at, memory })
    }

    fn segment(&self, cuts: &Cuts, index: usize) -> &[&'s str] {
        let start = if index == 0 { 0 } else { cuts.at[index - 1] };
        let end = cuts.at.get(index).copied().unwrap_or(self.statements.len());
        &self.statements[start..end]
    }

    /// The Yul that hands memory over at cut `cut` (after segment `cut`): `success` and the
    /// addresses of the parts after the next one are appended, then the next part is called and
    /// its answer returned. `next` and `later` are Yul expressions of addresses.
    fn handover(memory: u64, next: &str, later: &[String]) -> String {
        let mut yul = format!(
            "\n            // Hand over to the next part: memory[0, {memory:#x}) ‖ success ‖ later parts.\n"
        );
        let _ = writeln!(yul, "            mstore({memory:#x}, success)");
        for (j, address) in later.iter().enumerate() {
            let _ = writeln!(yul, "            mstore({:#x}, {address})", memory + 0x20 * (j as u64 + 1));
        }
        let len = memory + 0x20 * (later.len() as u64 + 1);
        let _ = writeln!(
            yul,
            "            if iszero(staticcall(gas(), {next}, 0, {len:#x}, 0x00, 0x20)) {{ revert(0, 0) }}"
        );
        yul.push_str("            if iszero(eq(returndatasize(), 0x20)) { revert(0, 0) }\n            return(0x00, 0x20)");
        yul
    }

    fn render_entry(
        &self,
        cuts: &Cuts,
        part_names: &[String],
        hashes: &[String],
    ) -> Result<String, VerifierError> {
        let mut members = String::new();
        for i in 1..=part_names.len() {
            let _ = writeln!(members, "    address private immutable PART_{i};");
        }
        let params: Vec<String> = (1..=part_names.len()).map(|i| format!("address part{i}")).collect();
        let _ = writeln!(
            members,
            "\n    /// @notice Too large for one contract (EIP-170), this verifier runs its last steps in\n    \
             ///         {} part contracts, deployed first. Each must hold exactly the code of its\n    \
             ///         contract below, compiled with solc 0.8.19, optimizer on with runs 1 and\n    \
             ///         details.yul false, evmVersion paris, metadata.bytecodeHash none and\n    \
             ///         metadata.appendCBOR false.\n    \
             constructor({}) {{",
            part_names.len(),
            params.join(", ")
        );
        for (i, (name, hash)) in part_names.iter().zip(hashes).enumerate() {
            let n = i + 1;
            let _ =
                writeln!(members, "        require(part{n}.codehash == {hash}, \"part {n} is not {name}\");");
            let _ = writeln!(members, "        PART_{n} = part{n};");
        }
        members.push_str("    }\n\n");
        let locals: String =
            (1..=part_names.len()).map(|i| format!("        address part{i} = PART_{i};\n")).collect();

        let head = self.head.replacen(CONTRACT_OPEN, &format!("{CONTRACT_OPEN}{members}"), 1).replacen(
            ASSEMBLY_OPEN,
            &ASSEMBLY_OPEN.replacen("{\n", &format!("{{\n{locals}"), 1),
            1,
        );
        if !head.contains(&members) || !head.contains(&locals) {
            return Err(shape("the contract or its assembly block opens differently"));
        }
        let later: Vec<String> = (2..=part_names.len()).map(|i| format!("part{i}")).collect();
        let mut out = head;
        for s in self.prelude.iter().chain(self.segment(cuts, 0)) {
            let _ = writeln!(out, "            {s}");
        }
        out.push_str(&Self::handover(cuts.memory[0], "part1", &later));
        out.push_str("\n        }\n    }\n}\n");
        Ok(out)
    }

    /// Part `index` (1-based): memory and `success` from its caller, its segment, then the next
    /// part or the verdict.
    fn render_part(&self, name: &str, cuts: &Cuts, index: usize) -> String {
        let memory = cuts.memory[index - 1];
        let remaining = cuts.at.len() - index;
        let input_len = memory + 0x20 * (remaining as u64 + 1);
        let mut out = format!(
            "/// @notice Part {index} of LoopXVerifier: it answers for whatever memory its caller hands over,\n\
             ///         so its answer is a verdict only when LoopXVerifier calls it.\n\
             contract {name} {{\n    fallback() external {{\n        assembly (\"memory-safe\") {{\n            \
             function reject() {{\n                mstore(0x00, 0)\n                return(0x00, 0x20)\n            }}\n"
        );
        let _ = writeln!(out, "            if iszero(eq(calldatasize(), {input_len:#x})) {{ revert(0, 0) }}");
        let _ = writeln!(out, "            calldatacopy(0, 0, {memory:#x})");
        // The variables in the one-contract verifier's order: the generated code keeps `f_q`
        // within the stack's reach by that order.
        let _ = writeln!(out, "            let success := calldataload({memory:#x})");
        for s in self.prelude.iter().filter(|s| {
            let code = code_of(s);
            code.starts_with("function ") || code.starts_with("let f_p") || code.starts_with("let f_q")
        }) {
            let _ = writeln!(out, "            {s}");
        }
        for s in self.segment(cuts, index) {
            let _ = writeln!(out, "            {s}");
        }
        if remaining == 0 {
            out.push_str("            mstore(0x00, success)\n            return(0x00, 0x20)");
        } else {
            let later: Vec<String> = (1..remaining)
                .map(|j| format!("calldataload({:#x})", memory + 0x20 * (j as u64 + 1)))
                .collect();
            out.push_str(&Self::handover(
                cuts.memory[index],
                &format!("calldataload({:#x})", memory + 0x20),
                &later,
            ));
        }
        out.push_str("\n        }\n    }\n}\n");
        out
    }
}

/// The top-level statements of a Yul body (a block, a call, an assignment, a function), each
/// with the comment lines before it.
fn top_level_statements(body: &str) -> Result<Vec<&str>, VerifierError> {
    let mut out = Vec::new();
    let (mut braces, mut parens, mut start, mut comment) = (0usize, 0usize, 0usize, false);
    for (i, c) in body.char_indices() {
        if comment && c != '\n' {
            continue;
        }
        comment = false;
        match c {
            '/' if body[i + 1..].starts_with('/') => comment = true,
            '{' => braces += 1,
            '}' => braces = braces.checked_sub(1).ok_or_else(|| shape("unbalanced braces"))?,
            '(' => parens += 1,
            ')' => parens = parens.checked_sub(1).ok_or_else(|| shape("unbalanced parentheses"))?,
            '\n' if braces == 0 && parens == 0 && !code_of(&body[start..i]).is_empty() => {
                out.push(body[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if braces != 0 || parens != 0 {
        return Err(shape("unbalanced body"));
    }
    if !code_of(&body[start..]).is_empty() {
        out.push(body[start..].trim());
    }
    Ok(out)
}

/// A statement without its leading comment lines.
fn code_of(statement: &str) -> &str {
    let mut rest = statement.trim_start();
    while rest.starts_with("//") {
        rest = rest.find('\n').map_or("", |nl| rest[nl + 1..].trim_start());
    }
    rest
}

fn first_line(statement: &str) -> &str {
    code_of(statement).lines().next().unwrap_or_default()
}

/// One past the highest memory byte `statements` write, rounded up to a word: every store and
/// precompile output has a literal address in the generated code.
fn memory_bound<'a>(statements: impl Iterator<Item = &'a str>) -> Result<u64, VerifierError> {
    let mut bound = 0x80u64;
    for s in statements {
        if ["calldatacopy", "codecopy", "returndatacopy", "mcopy", "extcodecopy"]
            .iter()
            .any(|b| s.contains(b))
        {
            return Err(shape(&format!("a memory copy the split does not model: {}", first_line(s))));
        }
        let unknown = || shape(&format!("a memory write at a non-literal address: {}", first_line(s)));
        for (name, width) in [("mstore(", 32), ("mstore8(", 1)] {
            for (_, (_, args)) in calls(s, name) {
                let [address, _] = split_args::<2>(args).ok_or_else(unknown)?;
                bound = bound.max(literal(address).ok_or_else(unknown)? + width);
            }
        }
        for (_, (_, args)) in calls(s, "staticcall(") {
            let [_, _, _, _, output, output_len] = split_args::<6>(args).ok_or_else(unknown)?;
            let end = literal(output).ok_or_else(unknown)? + literal(output_len).ok_or_else(unknown)?;
            bound = bound.max(end);
        }
    }
    Ok(bound.div_ceil(32) * 32)
}

fn shape(what: &str) -> VerifierError {
    VerifierError::Generation(format!("cannot split the verifier: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_at_top_level_newlines_only() {
        let body = "// a comment\nlet f_q := 7\n{\n  let x := 1\n  mstore(0xa0, x)\n}\nmstore(0xc0,\n  add(1, 2))\nif iszero(x) { reject() }\n";
        let statements = top_level_statements(body).unwrap();
        assert_eq!(
            statements,
            [
                "// a comment\nlet f_q := 7",
                "{\n  let x := 1\n  mstore(0xa0, x)\n}",
                "mstore(0xc0,\n  add(1, 2))",
                "if iszero(x) { reject() }"
            ]
        );
        assert!(top_level_statements("{ mstore(0, 1)").is_err());
    }

    #[test]
    fn memory_bound_covers_every_write() {
        let bound = |s: &str| memory_bound([s].into_iter()).unwrap();
        assert_eq!(bound("mstore(0x100, 1)"), 0x120);
        assert_eq!(bound("mstore8(0x121, 1)"), 0x140);
        assert_eq!(
            bound("if iszero(staticcall(gas(), 0x7, 0x100, 0x60, 0x200, 0x40)) { revert(0, 0) }"),
            0x240
        );
        assert_eq!(bound("mstore(4832, 1)"), 4864);
        assert!(memory_bound(["mstore(add(x, 1), 2)"].into_iter()).is_err());
        assert!(memory_bound(["calldatacopy(0, 0, 4)"].into_iter()).is_err());
    }
}
