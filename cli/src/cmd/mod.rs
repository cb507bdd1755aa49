//! One module per command family; each parses nothing itself and calls the libraries.

pub mod aggregate;
pub mod batch;
pub mod compile;
pub mod credential;
pub mod eas;
pub mod eval;
pub mod evm;
pub mod keys;
pub mod prove;
pub mod quickstart;
pub mod serve;
pub mod srs;
