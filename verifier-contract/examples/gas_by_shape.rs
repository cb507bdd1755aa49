//! Verifier gas and bytecode size of a bundled model under every pool width the layouter can
//! choose: the trade-off the layouter's shape choice rests on.
//! `cargo run --release -p loopx-verifier-contract --example gas_by_shape -- sybil_lr`

use std::path::Path;

use halo2curves::bn256::Fr;
use loopx_circuits::plan::{measure, unusable_rows, POOL_WIDTHS};
use loopx_prover::{prove, setup, ProofRequest, Srs};
use loopx_verifier_contract::{generate_verifier, verify_in_evm};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "sybil_lr".into());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let file = |s: &str| dir.join(format!("{name}.{s}"));
    let (package, _) = loopx_models::compile_named(&dir, &name)?;
    let features = package.load_input(file("input.json"))?;
    let widths: Vec<usize> = match std::env::var("WIDTHS") {
        Ok(list) => list.split(',').map(|w| w.parse()).collect::<Result<_, _>>()?,
        Err(_) => POOL_WIDTHS.to_vec(),
    };
    for width in widths {
        let mut plan = measure(&package.quantized, width, false);
        let total = plan.rows_needed() + unusable_rows(plan.shape);
        plan.shape.k = total.next_power_of_two().trailing_zeros();
        let srs = Srs::dev(plan.shape.k)?;
        let keys = setup(&package.quantized, &package.model_id, &plan, &srs)?;
        let request = ProofRequest { features: &features, wallet: [7; 20], salt: Fr::from(3) };
        let proof = prove(&package.quantized, &keys, &srs, &request)?;
        let generated = generate_verifier(srs.params(), keys.vk(), plan.instances)?;
        let compiled =
            loopx_verifier_contract::compile_solidity(&[("V.sol", &generated.solidity)], "LoopXVerifier")?;
        let size = compiled.deployed_size();
        let gas = if size <= 24_576 {
            verify_in_evm(&compiled.bytecode, &proof.bytes, &proof.instances.to_vec())?.gas_used.to_string()
        } else {
            "-".into()
        };
        let cs = keys.vk().cs();
        println!(
            "{name} width={width:<2} k={:<2} advice={:<2} fixed={:<2} (after selector compression {}, queries {}a/{}f, degree {}) proof={}B runtime={size}B gas={gas}",
            plan.shape.k,
            plan.advice_columns,
            plan.fixed_columns,
            cs.num_fixed_columns(),
            cs.advice_queries().len(),
            cs.fixed_queries().len(),
            cs.degree(),
            proof.bytes.len()
        );
    }
    Ok(())
}
