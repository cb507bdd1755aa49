//! Solidity bindings: EAS 1.8.0's structs and calls LoopX uses, and `AttestedAttributes`'
//! interface with its custom errors, decoded into sentences.

use alloy::sol;
use alloy::sol_types::SolInterface;

use crate::VerifierError;

sol! {
    #[sol(rpc)]
    interface ISchemaRegistry {
        function register(string calldata schema, address resolver, bool revocable) external returns (bytes32);
    }

    struct AttestationRequestData {
        address recipient;
        uint64 expirationTime;
        bool revocable;
        bytes32 refUID;
        bytes data;
        uint256 value;
    }
    struct AttestationRequest {
        bytes32 schema;
        AttestationRequestData data;
    }
    struct RevocationRequestData {
        bytes32 uid;
        uint256 value;
    }
    struct RevocationRequest {
        bytes32 schema;
        RevocationRequestData data;
    }
    struct Attestation {
        bytes32 uid;
        bytes32 schema;
        uint64 time;
        uint64 expirationTime;
        uint64 revocationTime;
        bytes32 refUID;
        address recipient;
        address attester;
        bool revocable;
        bytes data;
    }

    #[sol(rpc)]
    interface IEAS {
        event Attested(address indexed recipient, address indexed attester, bytes32 uid, bytes32 indexed schemaUID);
        function attest(AttestationRequest calldata request) external payable returns (bytes32);
        function revoke(RevocationRequest calldata request) external payable;
        function revokeOffchain(bytes32 data) external returns (uint64);
        function getAttestation(bytes32 uid) external view returns (Attestation memory);
    }

    #[derive(Debug, PartialEq, Eq)]
    struct FeatureCredential {
        address wallet;
        bytes32 commitment;
        bytes32 schemaId;
        uint64 issuedAt;
        uint64 expiresAt;
        bytes32 uid;
    }
    #[derive(Debug)]
    struct Attribute {
        bool proven;
        uint256[] outputs;
        uint256 commitment;
        address issuer;
        bytes32 source;
        bytes32 attributeUid;
        uint64 provenAt;
    }

    #[sol(rpc)]
    interface IAttestedAttributes {
        error NotOwner();
        error ZeroAddress();
        error UnknownModel(bytes32 modelId);
        error ModelAlreadyRegistered(bytes32 modelId);
        error TooFewInstances(uint256 count);
        error WalletNotAnAddress(uint256 instance);
        error NotAuthorized(address wallet, address sender);
        error UnknownAttestation(bytes32 uid);
        error WrongAttestationSchema(bytes32 schema);
        error AttestationRevoked(bytes32 uid);
        error AttestationExpired(bytes32 uid);
        error UntrustedIssuer(address issuer);
        error WrongRecipient(address recipient, address wallet);
        error WrongFeatureSchema(bytes32 stated, bytes32 expected);
        error CommitmentMismatch(uint256 attested, uint256 proven);
        error BadSignature();
        error CredentialExpired(uint64 expiresAt);
        error CredentialNotYetValid(uint64 issuedAt);
        error CredentialRevoked(bytes32 uid);
        error InvalidProof();

        function registerModel(bytes32 modelId, address verifier, bytes32 featureSchemaId) external;
        function models(bytes32 modelId) external view returns (address verifier, bytes32 featureSchemaId);
        function setIssuer(bytes32 featureSchemaId, address issuer, bool trusted) external;
        function setSubmitter(address submitter, bool allowed) external;
        function submit(bytes32 modelId, bytes calldata proof, uint256[] calldata instances, bytes32 attestationUid)
            external returns (uint256[] memory outputs);
        function submitWithCredential(
            bytes32 modelId,
            bytes calldata proof,
            uint256[] calldata instances,
            FeatureCredential calldata credential,
            bytes calldata signature
        ) external returns (uint256[] memory outputs);
        function attributeOf(address wallet, bytes32 modelId) external view returns (Attribute memory);
        function credentialDigest(FeatureCredential calldata credential) external view returns (bytes32);
    }
}

/// A revert, its custom error named when it is one of the consumer's.
pub(crate) fn reverted(message: String, data: Option<&[u8]>) -> VerifierError {
    let reason = data
        .and_then(|d| IAttestedAttributes::IAttestedAttributesErrors::abi_decode(d).ok())
        .map(|e| describe_consumer_error(&e));
    VerifierError::Reverted { reason: reason.unwrap_or(message) }
}

fn describe_consumer_error(e: &IAttestedAttributes::IAttestedAttributesErrors) -> String {
    use IAttestedAttributes::IAttestedAttributesErrors as E;
    match e {
        E::NotOwner(_) => "NotOwner: only the consumer's owner may do this".into(),
        E::ZeroAddress(_) => "ZeroAddress".into(),
        E::UnknownModel(x) => {
            format!("UnknownModel({}): the consumer has no verifier for this model", x.modelId)
        }
        E::ModelAlreadyRegistered(x) => format!("ModelAlreadyRegistered({})", x.modelId),
        E::TooFewInstances(x) => format!("TooFewInstances({})", x.count),
        E::WalletNotAnAddress(x) => format!("WalletNotAnAddress({})", x.instance),
        E::NotAuthorized(x) => format!(
            "NotAuthorized: {} may not submit for wallet {} (only the wallet or a submitter it allowed)",
            x.sender, x.wallet
        ),
        E::UnknownAttestation(x) => format!("UnknownAttestation({}): no such attestation in EAS", x.uid),
        E::WrongAttestationSchema(x) => {
            format!("WrongAttestationSchema({}): not a LoopX feature-commitment attestation", x.schema)
        }
        E::AttestationRevoked(x) => format!("AttestationRevoked({})", x.uid),
        E::AttestationExpired(x) => format!("AttestationExpired({})", x.uid),
        E::UntrustedIssuer(x) => {
            format!("UntrustedIssuer({}): the consumer does not trust this issuer", x.issuer)
        }
        E::WrongRecipient(x) => {
            format!("WrongRecipient: the evidence is for {}, the proof for {}", x.recipient, x.wallet)
        }
        E::WrongFeatureSchema(x) => {
            format!(
                "WrongFeatureSchema: the evidence is for schema {}, the model reads {}",
                x.stated, x.expected
            )
        }
        E::CommitmentMismatch(x) => format!(
            "CommitmentMismatch: the issuer vouched for commitment {:#x}, the proof commits to {:#x}",
            x.attested, x.proven
        ),
        E::BadSignature(_) => "BadSignature: the credential's signature is malformed".into(),
        E::CredentialExpired(x) => format!("CredentialExpired(at {})", x.expiresAt),
        E::CredentialNotYetValid(x) => format!("CredentialNotYetValid(from {})", x.issuedAt),
        E::CredentialRevoked(x) => format!("CredentialRevoked({}): the issuer revoked it in EAS", x.uid),
        E::InvalidProof(_) => "InvalidProof: the verifier rejected the proof".into(),
    }
}
