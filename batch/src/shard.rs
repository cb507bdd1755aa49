//! Deterministic slices of a batch: `--shard I/N` takes the data rows whose 0-based index is
//! `I` modulo `N`, so N independent processes (a Kubernetes indexed Job, a Slurm array, GNU
//! parallel) cover a batch exactly once with no coordinator.

use std::fmt;
use std::str::FromStr;

use crate::error::BatchError;

/// One slice of a batch: rows with `(row − 1) mod count == index` (rows are 1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shard {
    /// This slice, `0 ≤ index < count`.
    index: usize,
    /// Number of slices.
    count: usize,
}

impl Shard {
    /// The whole batch (`0/1`).
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Slice `index` of `count`; `None` unless `index < count`.
    pub fn new(index: usize, count: usize) -> Option<Self> {
        (index < count).then_some(Shard { index, count })
    }

    /// This slice's index (0-based).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Number of slices.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether this is the whole batch.
    pub fn is_all(&self) -> bool {
        self.count == 1
    }

    /// Whether data row `row` (1-based, as in error reports and the manifest) is in this slice.
    pub fn contains(&self, row: usize) -> bool {
        row >= 1 && (row - 1) % self.count == self.index
    }

    /// How many of the data rows `1..=rows` this slice holds.
    pub fn rows_of(&self, rows: usize) -> usize {
        rows / self.count + usize::from(rows % self.count > self.index)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = BatchError;

    /// Parses `I/N` (e.g. `0/4`), with `0 ≤ I < N`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BatchError::InvalidShard(text.to_string());
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = index.trim().parse().map_err(|_| bad())?;
        let count: usize = count.trim().parse().map_err(|_| bad())?;
        Shard::new(index, count).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_rows() {
        let rows = 10;
        let mut seen = vec![0; rows + 1];
        for i in 0..3 {
            let shard = Shard::new(i, 3).unwrap();
            let mine: Vec<usize> = (1..=rows).filter(|r| shard.contains(*r)).collect();
            assert_eq!(mine.len(), shard.rows_of(rows));
            for r in mine {
                seen[r] += 1;
            }
        }
        assert!(seen[1..].iter().all(|n| *n == 1), "{seen:?}");
    }

    #[test]
    fn parses_index_over_count_and_rejects_the_rest() {
        assert_eq!("2/5".parse::<Shard>().unwrap(), Shard::new(2, 5).unwrap());
        assert_eq!("0/1".parse::<Shard>().unwrap(), Shard::ALL);
        for bad in ["5/5", "1/0", "0/0", "-1/3", "1", "a/b", "1/2/3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad} should be rejected");
        }
    }
}
