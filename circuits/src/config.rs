//! The columns and gates of a model circuit, for a [`CircuitShape`].

use halo2_proofs::plonk::{ConstraintSystem, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

use crate::chips::argmax::ArgMaxConfig;
use crate::chips::dense::DenseConfig;
use crate::chips::mux::MuxConfig;
use crate::chips::pool::ColumnPool;
use crate::chips::poseidon::PoseidonConfig;
use crate::chips::range::RangeConfig;
use crate::chips::rescale::RescaleConfig;
use crate::chips::table::TableConfig;
use crate::chips::threshold::ThresholdConfig;
use crate::shape::CircuitShape;

/// Every column and gate of a model circuit.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    pub(crate) dense: DenseConfig,
    pub(crate) rescale: RescaleConfig,
    pub(crate) argmax: Option<ArgMaxConfig>,
    pub(crate) threshold: Option<ThresholdConfig>,
    pub(crate) poseidon: PoseidonConfig,
    pub(crate) range: RangeConfig,
    pub(crate) mux: Option<MuxConfig>,
    pub(crate) table: Option<TableConfig>,
    pub(crate) pool: ColumnPool,
    pub(crate) q_public: Selector,
}

impl ModelConfig {
    /// The shared pool of columns (the specifications address its cells).
    pub fn pool(&self) -> &ColumnPool {
        &self.pool
    }

    /// The dense chip (the specifications find its chains by its selectors).
    pub fn dense(&self) -> &DenseConfig {
        &self.dense
    }

    /// Allocates the columns of `shape` and creates every gate.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> Self {
        // Degree 5 even where no gate needs it: the permutation argument then takes three
        // columns per product commitment, and selectors pack several to a fixed column.
        meta.set_minimum_degree(5);
        let pool = ColumnPool::configure(meta, shape.pool_width, shape.pool_fixed());
        // halo2 packs selectors into fixed columns greedily, in declaration order: s selectors
        // share a column as long as s plus the highest gate degree among them (without the
        // selector) stays within the system's degree, 5. Declaring them by falling gate degree
        // fills each column: the cubic Poseidon rounds share one, the quadratic gates the next
        // ones, the linear ones the last. Every column is an elliptic-curve multiplication
        // (~6k gas) in the on-chain verifier, and chips a model does not use are left out: an
        // idle selector still takes a place in a column.
        let poseidon_rounds = [meta.selector(), meta.selector(), meta.selector()];
        let dense = [meta.selector(), meta.selector()];
        let rescale = meta.selector();
        let range = meta.selector();
        let argmax = shape.argmax.then(|| meta.selector());
        let threshold = shape.threshold.then(|| meta.selector());
        // One multiplexer gate for every node, and one for two constants' nodes where no tree
        // ensemble needs the thermometer: two quadratic selectors either way.
        let mux = shape.mux.then(|| meta.selector());
        let mux_constants = (shape.mux && !shape.trees).then(|| meta.selector());
        let thermometer = shape.trees.then(|| meta.selector());
        let may_not_clamp = meta.selector();
        let below_only = meta.selector();
        let q_public = meta.selector();
        let poseidon_init = meta.selector();
        // A lookup's selector is complex (never packed with others): its own fixed column.
        let table = shape.lookup.then(|| meta.complex_selector());

        // The public values sit in the first pool rows, one per row, and a gate ties each to the
        // instance of the same row. Publishing by gate instead of by copy keeps the instance
        // column out of the permutation argument: one commitment fewer for every verifier.
        let instance = meta.instance_column();
        meta.create_gate("public instance", |meta| {
            let q = meta.query_selector(q_public);
            let published = meta.query_advice(pool.advice[0], Rotation::cur());
            vec![q * (published - meta.query_instance(instance, Rotation::cur()))]
        });
        ModelConfig {
            dense: DenseConfig::configure(meta, &pool, dense, shape.dense_outputs),
            rescale: RescaleConfig::configure(meta, &pool, [rescale, may_not_clamp, below_only]),
            argmax: argmax.map(|q| ArgMaxConfig::configure(meta, &pool, q)),
            threshold: threshold.map(|q| ThresholdConfig::configure(meta, &pool, q)),
            poseidon: PoseidonConfig::configure(
                meta,
                &pool,
                [poseidon_rounds[0], poseidon_rounds[1], poseidon_rounds[2], poseidon_init],
            ),
            range: RangeConfig::configure(meta, &pool, range, thermometer),
            mux: mux.map(|q| MuxConfig::configure(meta, &pool, q, mux_constants)),
            table: table.map(|q| TableConfig::configure(meta, &pool, q)),
            pool,
            q_public,
        }
    }
}
