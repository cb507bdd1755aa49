//! Solidity compilation through the pinned solc-js (0.8.19), via `scripts/solc-compile.js`.
//!
//! No native `solc` exists on the target machines, and snark-verifier's own helper shells out
//! to one; the npm package of the exact pragma version is used instead.

use crate::{tools, VerifierError};
use serde_json::{json, Value};
use std::{
    io::Write,
    process::{Command, Stdio},
};

/// EIP-170 limit on deployed contract code, in bytes.
pub const EIP170_CODE_SIZE_LIMIT: usize = 24_576;

/// Optimizer `runs` used for every compile: 1 tunes for deployed size over per-call gas, the
/// right trade for a verifier that is large and called rarely per block.
pub const OPTIMIZER_RUNS: u32 = 1;

/// EVM version targeted: `paris` (no PUSH0), so the bytecode also deploys on chains that lag
/// behind mainnet's Shanghai opcodes. It is solc 0.8.19's default, pinned here explicitly.
pub const EVM_VERSION: &str = "paris";

/// One compiled contract.
#[derive(Clone, Debug)]
pub struct CompiledContract {
    /// Contract name, as declared in the source.
    pub name: String,
    /// The ABI JSON array.
    pub abi: Value,
    /// Creation (init) code: what a deployment transaction carries.
    pub bytecode: Vec<u8>,
    /// Runtime code: what ends up at the contract's address (EIP-170 applies to this).
    pub deployed_bytecode: Vec<u8>,
    /// solc's warnings, if any.
    pub warnings: Vec<String>,
}

impl CompiledContract {
    /// Size of the runtime code in bytes.
    pub fn deployed_size(&self) -> usize {
        self.deployed_bytecode.len()
    }

    /// Fails when the runtime code is over the EIP-170 limit.
    pub fn check_code_size(&self) -> Result<(), VerifierError> {
        let size = self.deployed_size();
        if size > EIP170_CODE_SIZE_LIMIT {
            return Err(VerifierError::CodeTooLarge { size, limit: EIP170_CODE_SIZE_LIMIT });
        }
        Ok(())
    }
}

/// Compiles `sources` (pairs of file name and Solidity text) with solc-js 0.8.19, optimizer on,
/// and returns the contract named `contract`.
///
/// Compiler errors come back as [`VerifierError::Compile`] carrying solc's own messages.
pub fn compile_solidity(sources: &[(&str, &str)], contract: &str) -> Result<CompiledContract, VerifierError> {
    let mut compiled = compile_many(sources, &[contract], false)?;
    Ok(compiled.remove(0))
}

/// Compiles `sources` once and returns the named contracts, in order.
///
/// With `split`, the settings of a verifier split over several contracts:
/// - no metadata tail (`bytecodeHash: none`, `appendCBOR: false`), so that a contract's runtime
///   code depends on its own code alone, not on file names, comments or the other contracts of
///   its file: anyone compiling it with solc 0.8.19 and these settings gets the very bytes whose
///   hash the verifier pins;
/// - no Yul optimizer (`details.yul: false`). On a piece of the generated verifier it rewrites
///   the straight-line code into stack-hungry forms ("stack too deep", also with `viaIR`), while
///   on the generated code it saves under 0.5 % of the size.
pub(crate) fn compile_many(
    sources: &[(&str, &str)],
    contracts: &[&str],
    split: bool,
) -> Result<Vec<CompiledContract>, VerifierError> {
    let contract = contracts.first().copied().unwrap_or_default();
    let dir = tools::ensure_tools()?;
    let script = dir.join("scripts").join("solc-compile.js");
    let input = standard_json_input(sources, split);

    let mut child = Command::new("node")
        .arg(&script)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| VerifierError::io(format!("starting node {}", script.display()), err))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.to_string().as_bytes())
            .map_err(|err| VerifierError::io("sending sources to solc-js", err))?;
    }
    let output = child.wait_with_output().map_err(|err| VerifierError::io("waiting for solc-js", err))?;
    if !output.status.success() {
        return Err(VerifierError::Compile {
            contract: contract.to_string(),
            message: format!(
                "solc-js exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    let output: Value = serde_json::from_slice(&output.stdout).map_err(|err| VerifierError::Compile {
        contract: contract.to_string(),
        message: format!("solc-js printed something that is not JSON: {err}"),
    })?;
    contracts.iter().map(|name| parse_standard_json_output(&output, name)).collect()
}

/// Standard-JSON input for `sources`, with this crate's fixed settings (for a split verifier's
/// contracts or not; see [`compile_many`]).
fn standard_json_input(sources: &[(&str, &str)], split: bool) -> Value {
    let sources: serde_json::Map<String, Value> =
        sources.iter().map(|(name, content)| (name.to_string(), json!({ "content": content }))).collect();
    let mut input = json!({
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "optimizer": { "enabled": true, "runs": OPTIMIZER_RUNS },
            "evmVersion": EVM_VERSION,
            "outputSelection": {
                "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] }
            }
        }
    });
    if split {
        input["settings"]["metadata"] = json!({ "bytecodeHash": "none", "appendCBOR": false });
        input["settings"]["optimizer"]["details"] = json!({ "yul": false });
    }
    input
}

/// Picks `contract` out of solc's standard-JSON output, or turns solc's errors into one message.
fn parse_standard_json_output(output: &Value, contract: &str) -> Result<CompiledContract, VerifierError> {
    let compile_error = |message: String| VerifierError::Compile { contract: contract.to_string(), message };
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for diagnostic in output["errors"].as_array().into_iter().flatten() {
        let text = diagnostic["formattedMessage"]
            .as_str()
            .or_else(|| diagnostic["message"].as_str())
            .unwrap_or("(no message)")
            .trim()
            .to_string();
        match diagnostic["severity"].as_str() {
            Some("error") => errors.push(text),
            _ => warnings.push(text),
        }
    }
    if !errors.is_empty() {
        return Err(compile_error(errors.join("\n")));
    }

    let found = output["contracts"]
        .as_object()
        .into_iter()
        .flat_map(|files| files.values())
        .find_map(|file| file.get(contract))
        .ok_or_else(|| compile_error(format!("no contract named `{contract}` in the sources")))?;
    let decode = |field: &str| -> Result<Vec<u8>, VerifierError> {
        let text = found["evm"][field]["object"].as_str().ok_or_else(|| {
            compile_error(format!("solc returned no {field} (abstract contract or interface?)"))
        })?;
        hex::decode(text).map_err(|err| compile_error(format!("solc returned non-hex {field}: {err}")))
    };
    let bytecode = decode("bytecode")?;
    let deployed_bytecode = decode("deployedBytecode")?;
    if bytecode.is_empty() {
        return Err(compile_error("solc returned empty bytecode (abstract contract or interface?)".into()));
    }
    Ok(CompiledContract {
        name: contract.to_string(),
        abi: found["abi"].clone(),
        bytecode,
        deployed_bytecode,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solc_errors_are_reported_with_solc_text() {
        let output = json!({ "errors": [
            { "severity": "warning", "formattedMessage": "Warning: unused" },
            { "severity": "error", "formattedMessage": "ParserError: Expected ';' but got '}'" }
        ]});
        let err = parse_standard_json_output(&output, "A").unwrap_err().to_string();
        assert!(err.contains("Expected ';'"), "{err}");
        assert!(!err.contains("unused"), "{err}");
    }

    #[test]
    fn missing_contract_is_an_error() {
        let output = json!({ "contracts": { "a.sol": { "B": {} } } });
        let err = parse_standard_json_output(&output, "A").unwrap_err().to_string();
        assert!(err.contains("no contract named `A`"), "{err}");
    }
}
