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
    /// Claim the output clamped above (`s_hi = 1`, `out = hi`), whatever the pre-activation.
    ClampAbove {
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
    /// Add one to the first multiplexer over a sigmoid table's constants (entries 0 and 1), which
    /// the table's index need not select.
    SigmoidTableEntry {
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
    /// Send tree `tree`'s path the wrong way at `level`: the feature's thermometer moves past (or
    /// back before) that split's threshold, and every split, leaf and sum follows it.
    TreeDirection {
        /// Tree index.
        tree: usize,
        /// Level of the flipped step.
        level: usize,
    },
    /// Give feature `feature`'s thermometer a second step (at its last cell), so its first cell
    /// counts two.
    TreeThermometer {
        /// Feature index.
        feature: usize,
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
    /// Add one to a Poseidon state word at the start of a round of the first permutation.
    PoseidonState {
        /// Round.
        round: usize,
        /// State word.
        word: usize,
    },
    /// Start the commitment's sponge from the capacity of a plain, schema-less hash (a cheater
    /// committing outside the feature schema's domain).
    PoseidonCapacity,
    /// Hash message element `index` (0 = wallet, 1 = salt, then the features) plus one instead
    /// of the wire the model reads (a commitment to other features than the ones proven).
    PoseidonMessage {
        /// Message element.
        index: usize,
    },
}

impl Tamper {
    /// Whether the tamper corrupts a tree ensemble's path, leaf or sum.
    pub fn is_tree(&self) -> bool {
        matches!(self, Tamper::TreeDirection { .. } | Tamper::TreeLeaf { .. } | Tamper::TreeSum { .. })
    }
}
