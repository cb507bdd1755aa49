//! Bytecode size and verification gas of the verifier for a set-up package:
//! `cargo run --release -p loopx-verifier-contract --example gas -- PKG_DIR PROOF.json`.

use loopx_prover::{Package, ProofFile};
use loopx_verifier_contract::package_verifier;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (dir, proof) = (args.next().ok_or("PKG_DIR")?, args.next().ok_or("PROOF.json")?);
    let dir = Package::open(dir)?;
    let verifier = package_verifier(&dir)?;
    let file = ProofFile::load(proof.as_ref())?;
    let verdict = verifier.compiled.verify_in_evm(&file.proof_bytes()?, &file.instance_values()?)?;
    println!(
        "{}: runtime {:?} bytes, proof {} bytes, valid {}, gas {}",
        dir.package.name,
        verifier.compiled.deployed_sizes(),
        verifier.generated.proof_len,
        verdict.valid,
        verdict.gas_used
    );
    Ok(())
}
