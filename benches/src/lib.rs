//! Criterion benchmarks for LoopX prover.
