//! How a batch run shares the machine ([`Parallelism`]) and which rows it takes ([`BatchOptions`]).

use serde::Serialize;

use crate::Shard;

/// How the cores are shared: `jobs` proofs at once, each on `threads_per_proof` threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Parallelism {
    /// Proofs in flight.
    pub jobs: usize,
    /// Threads each proof's halo2 prover runs on (its own rayon pool).
    pub threads_per_proof: usize,
}

impl Parallelism {
    /// `jobs` proofs at once, sharing the machine's cores: each gets `cores / jobs` threads
    /// (at least one), so `jobs = 1` is one proof parallelised inside halo2 and `jobs = cores`
    /// is one single-threaded proof per core.
    pub fn with_jobs(jobs: usize) -> Self {
        let jobs = jobs.max(1);
        Parallelism { jobs, threads_per_proof: (available_cores() / jobs).max(1) }
    }

    /// The default: one single-threaded proof per core.
    ///
    /// Chosen by measurement on the 2-core development machine (bundled risk_mlp, dev SRS,
    /// `loopx batch` over 40 wallets; commands in docs/batch.md). Wall clock on the quiet
    /// machine at k = 13: two single-threaded proofs at once 1.88 proofs/s, one proof at a time
    /// on two threads 1.79 proofs/s, one thread on one core 0.94 proofs/s; at k = 11 the gap was
    /// wider (2.88 against 2.44 proofs/s). Much of a small proof (witness generation, the
    /// permutation product) is serial and halo2's parallel FFTs and MSMs are short, so splitting
    /// one proof leaves cores idle and adds fork/join work, while whole proofs in parallel keep
    /// every core busy. An extra job costs one proof's working set (peak RSS 34 MiB with one
    /// job, 41 MiB with two), small next to the shared proving key and SRS.
    pub fn across_proofs() -> Self {
        Parallelism::with_jobs(available_cores())
    }
}

impl Default for Parallelism {
    fn default() -> Self {
        Parallelism::across_proofs()
    }
}

/// Cores this process may use.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Options of a batch run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchOptions {
    /// How proofs share the cores.
    pub parallelism: Parallelism,
    /// Which rows to prove.
    pub shard: Shard,
}

impl Default for Shard {
    fn default() -> Self {
        Shard::ALL
    }
}
