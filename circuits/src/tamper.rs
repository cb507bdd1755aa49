//! Deliberate witness corruptions: how the soundness tests play a cheating prover.

/// A deliberate corruption of one witness cell, for soundness tests: a cheating prover controls
/// its witness, and each of these must make verification fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tamper {
    /// Replace model input `index` by this quantized value (e.g. one outside its range).
    Input {
        /// Feature index.
        index: usize,
        /// The value the cheater uses.
        value: i64,
    },
    /// Add one to the accumulator at the end of a multiply-accumulate chain.
    DenseAccumulator {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Lower the floor quotient by one and raise the remainder by `2^shift` (out of range).
    RescaleRemainder {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Add one to an activation output (ReLU/clip output or the clamped sigmoid input).
    ActivationOutput {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Flip the clamp-below flag, keeping the output consistent with the flipped flag.
    ClampFlag {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Add one to a sigmoid table output.
    SigmoidOutput {
        /// Layer index.
        layer: usize,
        /// Output index.
        neuron: usize,
    },
    /// Claim another class index.
    ArgMax {
        /// The index claimed.
        index: usize,
    },
    /// Flip the threshold predicate's bit.
    ThresholdBit,
    /// Send tree `tree`'s path the wrong way at `level` (and on consistently from there: the
    /// other subtree's splits, its leaf and the sums).
    TreeDirection {
        /// Tree index.
        tree: usize,
        /// Level of the flipped step.
        level: usize,
    },
    /// Witness tree `tree`'s split at `level` with its threshold plus one (comparison kept
    /// consistent).
    TreeThreshold {
        /// Tree index.
        tree: usize,
        /// Level of the step.
        level: usize,
    },
    /// Witness the feature value read at `level` of tree `tree` plus one.
    TreeFeature {
        /// Tree index.
        tree: usize,
        /// Level of the step.
        level: usize,
    },
    /// Add one to tree `tree`'s leaf value (and to the sum).
    TreeLeaf {
        /// Tree index.
        tree: usize,
    },
    /// Add one to the sum of leaves of output `output`.
    TreeSum {
        /// Score index.
        output: usize,
    },
    /// Add one to the dynamic table column at `row`: on a feature entry row it no longer holds
    /// the feature; on any other row it would shift a fixed table entry.
    DynamicTable {
        /// Circuit row.
        row: usize,
    },
    /// Add one to a Poseidon state word at the start of a round of the first permutation.
    PoseidonState {
        /// Round.
        round: usize,
        /// State word.
        word: usize,
    },
}

impl Tamper {
    /// Whether the tamper corrupts a tree ensemble's path, leaf or sum.
    pub fn is_tree(&self) -> bool {
        matches!(
            self,
            Tamper::TreeDirection { .. }
                | Tamper::TreeThreshold { .. }
                | Tamper::TreeFeature { .. }
                | Tamper::TreeLeaf { .. }
                | Tamper::TreeSum { .. }
        )
    }
}
