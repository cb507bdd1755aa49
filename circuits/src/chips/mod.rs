//! The chips a wallet model circuit is assembled from. Each owns its gates, named so that a
//! MockProver failure points at the broken constraint, and shares the column pool.

pub mod argmax;
pub mod dense;
pub mod mux;
pub mod mux_tree;
pub mod pool;
pub mod poseidon;
pub mod range;
pub mod rescale;
pub mod table;
pub mod threshold;
pub mod trees;
