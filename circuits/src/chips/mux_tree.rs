//! The shape of a multiplexer tree over a table of `2^n` constants, and its nodes' values.
//!
//! Node `j` of level `l` chooses between the pair `j` of the level below (level 0 pairs the
//! constants). A node whose two inputs are the same constant *is* that constant — whatever its
//! bit, the output cannot differ — so a pruned tree gives it no record, and a subtree whose
//! leaves are all equal costs nothing. What remains is one record per node, of one of three
//! kinds by its inputs: two constants, a constant and a wire, two wires (how each is
//! constrained: [`super::mux`]).
//! A tree padded to depth `D` from ~`n` real splits thus costs ~`n` records instead of `2^D − 1`.

/// One input of a multiplexer node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MuxInput {
    /// A constant of the table (or a subtree folded to one).
    Constant(i64),
    /// The output of node `i` of the tree (an earlier record).
    Node(usize),
}

/// What a node chooses between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MuxKind {
    /// Both inputs constants.
    Constants,
    /// One constant, one wire (on either side).
    Mixed,
    /// Both inputs wires.
    Wires,
}

impl MuxKind {
    /// Every kind.
    pub const ALL: [MuxKind; 3] = [MuxKind::Constants, MuxKind::Mixed, MuxKind::Wires];
}

/// A node that needs a record: `bit ? hi : lo`, driven by the bit of `(level, j)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MuxNode {
    /// Level, 0 at the constants.
    pub level: u32,
    /// Position in its level.
    pub j: usize,
    /// Chosen when the bit is 0.
    pub lo: MuxInput,
    /// Chosen when the bit is 1.
    pub hi: MuxInput,
}

impl MuxNode {
    /// The record's kind.
    pub fn kind(&self) -> MuxKind {
        match (self.lo, self.hi) {
            (MuxInput::Constant(_), MuxInput::Constant(_)) => MuxKind::Constants,
            (MuxInput::Node(_), MuxInput::Node(_)) => MuxKind::Wires,
            _ => MuxKind::Mixed,
        }
    }
}

/// The records of a multiplexer tree, bottom-up (a node's inputs come before it, the root last).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MuxTree {
    /// Levels of the tree: the table has `2^levels` constants.
    pub levels: u32,
    /// The nodes that need records, level by level from the constants up.
    pub nodes: Vec<MuxNode>,
    /// The tree's value: the root's record, or a constant if every entry is equal.
    pub output: MuxInput,
}

impl MuxTree {
    /// Every node of the tree over `table` (`2^levels` constants) gets a record.
    pub fn full(table: &[i64], levels: u32) -> Self {
        Self::build(table, levels, false)
    }

    /// Only the nodes that can choose between different values get a record.
    pub fn pruned(table: &[i64], levels: u32) -> Self {
        Self::build(table, levels, true)
    }

    fn build(table: &[i64], levels: u32, prune: bool) -> Self {
        debug_assert_eq!(table.len(), 1 << levels);
        let mut nodes = Vec::new();
        let mut current: Vec<MuxInput> = table.iter().map(|c| MuxInput::Constant(*c)).collect();
        for level in 0..levels {
            current = current
                .chunks(2)
                .enumerate()
                .map(|(j, pair)| {
                    let (lo, hi) = (pair[0], pair[1]);
                    if prune && lo == hi && matches!(lo, MuxInput::Constant(_)) {
                        lo
                    } else {
                        nodes.push(MuxNode { level, j, lo, hi });
                        MuxInput::Node(nodes.len() - 1)
                    }
                })
                .collect();
        }
        let output = current.first().copied().unwrap_or(MuxInput::Constant(0));
        MuxTree { levels, nodes, output }
    }
}

/// The values of a multiplexer tree's records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MuxWitness {
    /// `nodes[i]`: the output of the tree's node `i` (the root last).
    pub nodes: Vec<i64>,
    /// `inputs[i]`: the values of node `i`'s two inputs (low, high).
    pub inputs: Vec<[i64; 2]>,
    /// The tree's value where it is a constant (then `nodes` is empty).
    pub constant: Option<i64>,
}

impl MuxWitness {
    /// The nodes of `tree` when node `j` of level `l` takes its second input iff `bit(l, j)`.
    pub fn of(tree: &MuxTree, bit: impl Fn(u32, usize) -> bool) -> Self {
        let mut nodes: Vec<i64> = Vec::with_capacity(tree.nodes.len());
        let mut inputs = Vec::with_capacity(tree.nodes.len());
        for node in &tree.nodes {
            let pair = [Self::value(&nodes, node.lo), Self::value(&nodes, node.hi)];
            nodes.push(pair[usize::from(bit(node.level, node.j))]);
            inputs.push(pair);
        }
        let constant = match tree.output {
            MuxInput::Constant(c) => Some(c),
            MuxInput::Node(_) => None,
        };
        MuxWitness { nodes, inputs, constant }
    }

    /// The nodes of the full tree over `table` (`2^levels` constants); see [`MuxWitness::of`].
    pub fn read(table: &[i64], levels: u32, bit: impl Fn(u32, usize) -> bool) -> Self {
        Self::of(&MuxTree::full(table, levels), bit)
    }

    /// The value of `input` given the nodes' values `nodes`.
    pub fn value(nodes: &[i64], input: MuxInput) -> i64 {
        match input {
            MuxInput::Constant(c) => c,
            MuxInput::Node(i) => nodes[i],
        }
    }

    /// The tree's output (0 for an empty tree).
    pub fn output(&self) -> i64 {
        self.constant.or_else(|| self.nodes.last().copied()).unwrap_or(0)
    }
}
