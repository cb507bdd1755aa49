//! Prints what drives a model's on-chain verification cost: committed columns (after
//! selector compression), gates with their degrees, lookups and queries.
//! `cargo run --release -p loopx-benches --example constraints -- sybil_lr|PACKAGE_DIR`

use loopx_benches::{bundled, BUNDLED};
use loopx_srs::Srs;

fn main() {
    let only = std::env::args().nth(1);
    if let Some(dir) = only.as_deref().filter(|o| std::path::Path::new(o).is_dir()) {
        let package = loopx_prover::Package::open(dir).expect("package");
        print_constraints(dir, &package.keys().expect("keys"), package.plan().shape);
        return;
    }
    for name in BUNDLED.iter().filter(|n| only.as_deref().is_none_or(|o| o == **n)) {
        let w = bundled(name);
        let srs = Srs::dev(w.plan.shape.k).expect("dev SRS");
        print_constraints(name, &w.keys(&srs), w.plan.shape);
    }
}

fn print_constraints(name: &str, keys: &loopx_prover::ModelKeys, shape: loopx_circuits::CircuitShape) {
    let cs = keys.vk().cs();
    println!(
        "{name}: degree {} advice {} fixed {} (after selector compression) lookups {} perm columns {} fixed commitments {} advice queries {} fixed queries {}",
        cs.degree(),
        cs.num_advice_columns(),
        cs.num_fixed_columns(),
        cs.lookups().len(),
        cs.permutation().get_columns().len(),
        keys.vk().fixed_commitments().len(),
        cs.advice_queries().len(),
        cs.fixed_queries().len(),
    );
    let mut raw = halo2_proofs::plonk::ConstraintSystem::default();
    loopx_circuits::ModelConfig::configure(&mut raw, shape);
    for gate in raw.gates() {
        let degrees: Vec<_> = gate.polynomials().iter().map(|p| p.degree()).collect();
        println!("  raw gate {:<28} degrees {:?}", gate.name(), degrees);
    }
    for gate in cs.gates() {
        let degrees: Vec<_> = gate.polynomials().iter().map(|p| p.degree()).collect();
        let fixed = gate.polynomials()[0].evaluate(
            &|_| Vec::new(),
            &|_| Vec::new(),
            &|q| vec![q.column_index()],
            &|_| Vec::new(),
            &|_| Vec::new(),
            &|_| Vec::new(),
            &|a| a,
            &|mut a, b| {
                a.extend(b);
                a
            },
            &|mut a, b| {
                a.extend(b);
                a
            },
            &|a, _| a,
        );
        let mut fixed = fixed;
        fixed.sort();
        fixed.dedup();
        println!("  gate {:<32} degrees {:?} fixed columns {:?}", gate.name(), degrees, fixed);
    }
}
