//! The credential as EIP-712 typed data: what the issuer's key signs, what a wallet UI shows and
//! what `AttestedAttributes.submitWithCredential` recovers the issuer from.

use alloy_sol_types::{eip712_domain, sol, Eip712Domain};

/// EIP-712 domain name of LoopX credentials.
pub const DOMAIN_NAME: &str = "LoopX Credential";
/// EIP-712 domain version.
pub const DOMAIN_VERSION: &str = "1";

sol! {
    /// The signed statement: "wallet's features, encoded under schema `schemaId`, are the ones
    /// `commitment` opens to; valid from `issuedAt` until `expiresAt`". `uid` names the credential
    /// (off-chain revocation in EAS is keyed by it).
    #[derive(Debug, PartialEq, Eq)]
    struct FeatureCredential {
        address wallet;
        bytes32 commitment;
        bytes32 schemaId;
        uint64 issuedAt;
        uint64 expiresAt;
        bytes32 uid;
    }
}

/// The domain: name, version and chain id, and no verifying contract, so one credential serves
/// every consumer contract on that chain (and none on another).
pub fn credential_domain(chain_id: u64) -> Eip712Domain {
    eip712_domain! {
        name: DOMAIN_NAME,
        version: DOMAIN_VERSION,
        chain_id: chain_id,
    }
}
