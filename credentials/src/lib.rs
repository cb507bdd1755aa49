//! Issuer credentials over a wallet's features.
//!
//! A data issuer (an exchange, an indexer of public chain data, a device) vouches for a wallet's
//! features without publishing them: it encodes them canonically under a feature schema
//! ([`loopx_models::Schema::encoding`]), commits to them with the same Poseidon commitment the
//! model circuits recompute ([`loopx_circuits::commitment`]), and signs the commitment — not the
//! features — as EIP-712 typed data ([`FeatureCredential`]). The owner keeps the credential (features
//! and salt included) and proves any model of that schema from it; a contract checks the
//! signature (or the issuer's EAS attestation of the same commitment) against the proof's
//! commitment instance.
//!
//! The file format is documented on [`Credential`]; [`Credential::check`] is the one place that
//! decides whether a credential can be used, and [`Credential::opening_for`] the one place that
//! decides whether it can be proven with a model package (the CLI and the browser both call it).
//!
//! Reading and checking a credential builds everywhere, the browser included; issuing one
//! (signing) is the `issue` feature (on by default).

// Dependency lists stay honest; test builds see the dev-dependencies too, so they are exempt.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod credential;
mod eip712;
mod error;
#[cfg(feature = "issue")]
mod issue;

pub use credential::{
    now_unix, Credential, CredentialFeature, CredentialOpening, CREDENTIAL_FORMAT, DEFAULT_CHAIN_ID,
    DEFAULT_VALIDITY_DAYS,
};
pub use eip712::{credential_domain, FeatureCredential, DOMAIN_NAME, DOMAIN_VERSION};
pub use error::CredentialError;
#[cfg(feature = "issue")]
pub use issue::{issue, IssueRequest};

pub use alloy_primitives::Address;
#[cfg(feature = "issue")]
pub use alloy_signer_local::PrivateKeySigner;

/// Parses an issuer or owner private key (32 bytes of hex, `0x` optional).
#[cfg(feature = "issue")]
pub fn parse_private_key(text: &str) -> Result<PrivateKeySigner, CredentialError> {
    text.trim().parse().map_err(|_| CredentialError::InvalidKey)
}
