//! One module per command family; each parses nothing itself and calls the libraries.

pub mod compile;
pub mod keys;
pub mod prove;
pub mod quickstart;
pub mod srs;
