//! Why a credential cannot be issued or used.

use std::path::PathBuf;

use loopx_models::ModelError;

/// A credential error; the message says what was wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a credential.
    #[error("{what} is not a LoopX credential: {message}")]
    Malformed {
        /// The file or source.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// The schema or the features do not fit it.
    #[error(transparent)]
    Schema(#[from] ModelError),
    /// The private key does not parse.
    #[error("the private key is not 32 bytes of hex (64 hex digits, optional 0x)")]
    InvalidKey,
    /// The signature is malformed or was not made by the stated issuer over these fields.
    #[error("the issuer's signature does not check: {0}")]
    BadSignature(String),
    /// Signed by someone other than the issuer the caller trusts.
    #[error("issued by {found}, not by the trusted issuer {expected}")]
    UntrustedIssuer {
        /// The issuer the caller trusts.
        expected: String,
        /// The credential's (verified) issuer.
        found: String,
    },
    /// Past its expiry.
    #[error("the credential expired at {expires_at} (unix time; now {now}); ask the issuer for a new one")]
    Expired {
        /// Expiry (unix seconds).
        expires_at: u64,
        /// Now.
        now: u64,
    },
    /// Issued in the future.
    #[error("the credential is valid only from {issued_at} (unix time; now {now})")]
    NotYetValid {
        /// Issue time (unix seconds).
        issued_at: u64,
        /// Now.
        now: u64,
    },
    /// The commitment does not open to the credential's wallet, salt and features.
    #[error("the commitment {stated} does not open to the credential's wallet, salt and features (they give {recomputed}): the features were edited")]
    CommitmentMismatch {
        /// The signed commitment.
        stated: String,
        /// The commitment of the file's contents.
        recomputed: String,
    },
    /// A proof said to be made from the credential commits to something else.
    #[error("the proof commits to {proven}, not to the credential's signed commitment {signed}: it was not made from this credential")]
    ProofCommitment {
        /// The proof's commitment instance.
        proven: String,
        /// The credential's commitment.
        signed: String,
    },
    /// The readable feature values do not encode to the committed integers.
    #[error("feature `{feature}` = {value} encodes to {expected} under the schema, but the credential commits to {found}")]
    EncodingMismatch {
        /// Feature name.
        feature: String,
        /// The readable value.
        value: f64,
        /// Its canonical encoding.
        expected: i64,
        /// The committed integer.
        found: i64,
    },
    /// A credential of another feature schema.
    #[error("the credential is for feature schema {credential}, but {context} uses schema {expected}")]
    SchemaMismatch {
        /// The credential's schema id.
        credential: String,
        /// The expected schema id.
        expected: String,
        /// Who expects it (a model, a schema file).
        context: String,
    },
    /// A credential of another wallet.
    #[error("the credential is for wallet {credential}, not {expected}")]
    WalletMismatch {
        /// The credential's wallet.
        credential: String,
        /// The wallet asked for.
        expected: String,
    },
}
