// SPDX-License-Identifier: MIT
pragma solidity 0.8.19;

/// @notice The interface of every generated LoopX verifier.
interface IProofVerifier {
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
}

// The Ethereum Attestation Service (EAS 1.8.0) types this contract uses, declared here because the
// EAS sources require solc 0.8.27 and this contract is built by the pinned 0.8.19. The ABI encoding
// follows field order and types, so these must stay identical to EAS's `Common.sol` (Attestation)
// and `IEAS.sol` (AttestationRequest, AttestationRequestData).

/// @notice An attestation as EAS stores it (`Common.sol`).
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

/// @notice The arguments of an attestation (`IEAS.sol`).
struct AttestationRequestData {
    address recipient;
    uint64 expirationTime;
    bool revocable;
    bytes32 refUID;
    bytes data;
    uint256 value;
}

/// @notice An attestation request (`IEAS.sol`).
struct AttestationRequest {
    bytes32 schema;
    AttestationRequestData data;
}

/// @notice The part of EAS's `IEAS` this contract calls.
interface IEAS {
    function attest(AttestationRequest calldata request) external payable returns (bytes32);

    function getAttestation(bytes32 uid) external view returns (Attestation memory);

    function getRevokeOffchain(address revoker, bytes32 data) external view returns (uint64);
}

/// @title Wallet attributes proven by LoopX model proofs over issuer-attested features
/// @notice Records, per (wallet, model), the outputs a model computed on the wallet's private
///         features, once (1) an issuer this contract trusts has vouched for the feature
///         commitment and (2) a proof that the model ran on features with that commitment verifies.
///         Public instances are laid out as [commitment, wallet, outputs...].
///
///         The issuer's statement "wallet W's features (of schema S) commit to C" comes either as
///         an on-chain EAS attestation (`submit`) or as an EIP-712 signed credential checked here
///         (`submitWithCredential`: no issuer transaction per wallet; the issuer revokes through
///         EAS's off-chain revocation registry). Optionally the result is itself recorded in EAS.
/// @dev Without the issuer check a proof shows only that *some* features give these outputs: the
///      prover picks the features. The commitment binds the proof to the features the issuer saw.
///      As in `WalletAttributes`, only the wallet the proof names, or a submitter it allowed, may
///      record it, so a proof copied from the mempool cannot be replayed by anyone else.
contract AttestedAttributes {
    /// @notice An issuer's off-chain statement that `wallet`'s features, of feature schema
    ///         `schemaId`, commit to `commitment`; valid in [issuedAt, expiresAt).
    /// @dev Signed as EIP-712 typed data (see `credentialDigest`). `uid` is chosen by the issuer;
    ///      the issuer revokes the credential with `eas.revokeOffchain(uid)`.
    struct FeatureCredential {
        address wallet;
        bytes32 commitment;
        bytes32 schemaId;
        uint64 issuedAt;
        uint64 expiresAt;
        bytes32 uid;
    }

    /// @notice A recorded attribute.
    /// @param outputs The model's public outputs (instances[2..]).
    /// @param commitment The feature commitment (instances[0]).
    /// @param issuer The issuer whose attestation or credential vouched for the commitment.
    /// @param source The uid of that attestation or credential.
    /// @param attributeUid The EAS attestation recording this attribute (0 when not recorded).
    struct Attribute {
        bool proven;
        uint256[] outputs;
        uint256 commitment;
        address issuer;
        bytes32 source;
        bytes32 attributeUid;
        uint64 provenAt;
    }

    /// @notice A registered model.
    /// @param verifier The model's proof verifier.
    /// @param featureSchemaId The feature schema its inputs follow; issuers are trusted per schema.
    struct Model {
        address verifier;
        bytes32 featureSchemaId;
    }

    /// @dev `Attribute` as stored: the same fields ordered so that issuer, provenAt and proven
    ///      share one slot (7 slots would become 5; two fewer 22,100-gas first writes). The public
    ///      `Attribute` keeps the interface's field order.
    struct StoredAttribute {
        address issuer;
        uint64 provenAt;
        bool proven;
        uint256 commitment;
        bytes32 source;
        bytes32 attributeUid;
        uint256[] outputs;
    }

    // EIP-712. The domain has no verifyingContract on purpose: one credential is valid for every
    // consumer contract on its chain (the issuer signs once per wallet, not once per consumer).
    // chainId keeps it from being replayed on another chain.
    bytes32 private constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId)");
    bytes32 private constant DOMAIN_NAME_HASH = keccak256("LoopX Credential");
    bytes32 private constant DOMAIN_VERSION_HASH = keccak256("1");
    bytes32 private constant CREDENTIAL_TYPEHASH = keccak256(
        "FeatureCredential(address wallet,bytes32 commitment,bytes32 schemaId,uint64 issuedAt,uint64 expiresAt,bytes32 uid)"
    );
    /// @dev secp256k1 order / 2: signatures with a larger s are the malleated twin of a valid one.
    uint256 private constant SECP256K1_HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice Administrator: registers models and trusted issuers.
    address public owner;
    /// @notice The EAS instance holding commitment attestations and off-chain revocations.
    IEAS public immutable eas;
    /// @notice EAS schema of the issuers' commitment attestations:
    ///         "bytes32 commitment, bytes32 featureSchemaId".
    bytes32 public immutable commitmentSchema;
    /// @notice EAS schema this contract records attributes under, or 0 for none:
    ///         "bytes32 modelId, uint256[] outputs, bytes32 featureCommitment" (not revocable).
    bytes32 public immutable attributeSchema;

    /// @notice Verifier and feature schema of each model id (hash of the quantized weights).
    mapping(bytes32 => Model) public models;
    /// @notice feature schema id => issuer => whether the issuer is trusted for that schema.
    mapping(bytes32 => mapping(address => bool)) public isTrustedIssuer;
    /// @notice wallet => submitter => whether the submitter may record proofs for the wallet.
    mapping(address => mapping(address => bool)) public isAllowedSubmitter;

    mapping(address => mapping(bytes32 => StoredAttribute)) private attributes;

    event ModelRegistered(bytes32 indexed modelId, address verifier, bytes32 featureSchemaId);
    event IssuerTrusted(bytes32 indexed featureSchemaId, address indexed issuer, bool trusted);
    event SubmitterAllowed(address indexed wallet, address indexed submitter, bool allowed);
    event AttributeProven(
        address indexed wallet,
        bytes32 indexed modelId,
        address indexed issuer,
        uint256[] outputs,
        uint256 commitment,
        bytes32 source,
        bytes32 attributeUid
    );
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

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

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// @param eas_ The EAS contract.
    /// @param commitmentSchema_ The EAS schema uid of commitment attestations.
    /// @param attributeSchema_ The EAS schema uid to record attributes under; 0: do not record.
    constructor(address eas_, bytes32 commitmentSchema_, bytes32 attributeSchema_) {
        if (eas_ == address(0)) revert ZeroAddress();
        eas = IEAS(eas_);
        commitmentSchema = commitmentSchema_;
        attributeSchema = attributeSchema_;
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    /// @notice Hands the administrator role to `newOwner`.
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    /// @notice Binds `modelId` to its verifier and feature schema, once: a model id names fixed
    ///         weights, so its verifying key (and verifier) and its input schema never change.
    function registerModel(bytes32 modelId, address verifier, bytes32 featureSchemaId) external onlyOwner {
        if (verifier == address(0)) revert ZeroAddress();
        if (models[modelId].verifier != address(0)) revert ModelAlreadyRegistered(modelId);
        models[modelId] = Model({verifier: verifier, featureSchemaId: featureSchemaId});
        emit ModelRegistered(modelId, verifier, featureSchemaId);
    }

    /// @notice Trusts (or stops trusting) `issuer` to vouch for feature commitments of
    ///         `featureSchemaId`. Already recorded attributes are kept.
    function setIssuer(bytes32 featureSchemaId, address issuer, bool trusted) external onlyOwner {
        // ecrecover's failure value; never a real signer.
        if (issuer == address(0)) revert ZeroAddress();
        isTrustedIssuer[featureSchemaId][issuer] = trusted;
        emit IssuerTrusted(featureSchemaId, issuer, trusted);
    }

    /// @notice Lets `submitter` (a relayer, a smart account) record proofs for the caller's wallet.
    function setSubmitter(address submitter, bool allowed) external {
        isAllowedSubmitter[msg.sender][submitter] = allowed;
        emit SubmitterAllowed(msg.sender, submitter, allowed);
    }

    /// @notice Verifies a proof of model `modelId` over features an issuer attested in EAS
    ///         (attestation `attestationUid` of `commitmentSchema`, recipient = the wallet) and
    ///         records its outputs for the wallet the proof names. Reverts unless the caller is
    ///         that wallet or one of its submitters.
    /// @return outputs The recorded outputs (instances[2..]).
    function submit(bytes32 modelId, bytes calldata proof, uint256[] calldata instances, bytes32 attestationUid)
        external
        returns (uint256[] memory outputs)
    {
        (address verifier, bytes32 featureSchemaId, address wallet) = checkSubmission(modelId, instances);
        address issuer = checkAttestation(attestationUid, wallet, featureSchemaId, instances[0]);
        verify(verifier, proof, instances);
        outputs = record(modelId, instances, wallet, issuer, attestationUid, attestationUid);
    }

    /// @notice Verifies a proof of model `modelId` over features vouched for by an issuer's
    ///         signed `credential` and records its outputs for the wallet the proof names.
    ///         Reverts unless the caller is that wallet or one of its submitters.
    /// @param signature 65 bytes r ‖ s ‖ v over `credentialDigest(credential)`.
    /// @return outputs The recorded outputs (instances[2..]).
    function submitWithCredential(
        bytes32 modelId,
        bytes calldata proof,
        uint256[] calldata instances,
        FeatureCredential calldata credential,
        bytes calldata signature
    ) external returns (uint256[] memory outputs) {
        (address verifier, bytes32 featureSchemaId, address wallet) = checkSubmission(modelId, instances);
        address issuer = checkCredential(credential, signature, wallet, featureSchemaId, instances[0]);
        verify(verifier, proof, instances);
        // No EAS attestation to refer to: the attribute's refUID is 0, its source the credential uid.
        outputs = record(modelId, instances, wallet, issuer, credential.uid, bytes32(0));
    }

    /// @notice The attribute recorded for `wallet` under `modelId` (`proven` is false if none).
    function attributeOf(address wallet, bytes32 modelId) external view returns (Attribute memory) {
        StoredAttribute storage stored = attributes[wallet][modelId];
        return Attribute({
            proven: stored.proven,
            outputs: stored.outputs,
            commitment: stored.commitment,
            issuer: stored.issuer,
            source: stored.source,
            attributeUid: stored.attributeUid,
            provenAt: stored.provenAt
        });
    }

    /// @notice The EIP-712 digest an issuer signs for `credential`: domain
    ///         EIP712Domain(string name,string version,uint256 chainId) with name
    ///         "LoopX Credential", version "1" and this chain's id.
    function credentialDigest(FeatureCredential calldata credential) public view returns (bytes32) {
        // Recomputed per call (a few hundred gas) rather than cached, so a chain fork that
        // changes the chain id changes the domain too.
        bytes32 domainSeparator =
            keccak256(abi.encode(DOMAIN_TYPEHASH, DOMAIN_NAME_HASH, DOMAIN_VERSION_HASH, block.chainid));
        bytes32 structHash = keccak256(
            abi.encode(
                CREDENTIAL_TYPEHASH,
                credential.wallet,
                credential.commitment,
                credential.schemaId,
                credential.issuedAt,
                credential.expiresAt,
                credential.uid
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    /// @dev The checks both submit paths start with, in order: known model, instance count,
    ///      canonical wallet word, caller authorized for that wallet.
    function checkSubmission(bytes32 modelId, uint256[] calldata instances)
        private
        view
        returns (address verifier, bytes32 featureSchemaId, address wallet)
    {
        Model storage model = models[modelId];
        verifier = model.verifier;
        if (verifier == address(0)) revert UnknownModel(modelId);
        featureSchemaId = model.featureSchemaId;
        if (instances.length < 3) revert TooFewInstances(instances.length);

        // The wallet is a field element; only the canonical encoding of an address is one.
        uint256 walletWord = instances[1];
        if (walletWord >> 160 != 0) revert WalletNotAnAddress(walletWord);
        wallet = address(uint160(walletWord));
        if (msg.sender != wallet && !isAllowedSubmitter[wallet][msg.sender]) {
            revert NotAuthorized(wallet, msg.sender);
        }
    }

    /// @dev Checks EAS attestation `uid` vouches for `commitment` as `wallet`'s features of
    ///      `featureSchemaId`, by an issuer trusted for that schema; returns the issuer.
    function checkAttestation(bytes32 uid, address wallet, bytes32 featureSchemaId, uint256 commitment)
        private
        view
        returns (address issuer)
    {
        Attestation memory attestation = eas.getAttestation(uid);
        // EAS returns an all-zero attestation for an unknown uid.
        if (attestation.uid == bytes32(0)) revert UnknownAttestation(uid);
        if (attestation.schema != commitmentSchema) revert WrongAttestationSchema(attestation.schema);
        if (attestation.revocationTime != 0) revert AttestationRevoked(uid);
        if (attestation.expirationTime != 0 && attestation.expirationTime <= block.timestamp) {
            revert AttestationExpired(uid);
        }
        issuer = attestation.attester;
        if (!isTrustedIssuer[featureSchemaId][issuer]) revert UntrustedIssuer(issuer);
        if (attestation.recipient != wallet) revert WrongRecipient(attestation.recipient, wallet);

        // EAS does not check data against the schema; data a trusted issuer wrote malformed
        // (under 64 bytes) makes abi.decode revert without a reason.
        (bytes32 attested, bytes32 statedSchema) = abi.decode(attestation.data, (bytes32, bytes32));
        if (statedSchema != featureSchemaId) revert WrongFeatureSchema(statedSchema, featureSchemaId);
        if (uint256(attested) != commitment) revert CommitmentMismatch(uint256(attested), commitment);
    }

    /// @dev Checks `credential` is signed by an issuer trusted for `featureSchemaId`, names
    ///      `wallet`, this schema and `commitment`, is within its validity window and is not
    ///      revoked off-chain in EAS by its issuer; returns the issuer.
    function checkCredential(
        FeatureCredential calldata credential,
        bytes calldata signature,
        address wallet,
        bytes32 featureSchemaId,
        uint256 commitment
    ) private view returns (address issuer) {
        issuer = recoverSigner(credentialDigest(credential), signature);
        if (!isTrustedIssuer[featureSchemaId][issuer]) revert UntrustedIssuer(issuer);
        if (credential.wallet != wallet) revert WrongRecipient(credential.wallet, wallet);
        if (credential.schemaId != featureSchemaId) revert WrongFeatureSchema(credential.schemaId, featureSchemaId);
        if (uint256(credential.commitment) != commitment) {
            revert CommitmentMismatch(uint256(credential.commitment), commitment);
        }
        // A credential always expires (expiresAt 0 is expired): a leaked or stale credential
        // must not stay usable forever if the issuer forgets to revoke it.
        if (credential.expiresAt <= block.timestamp) revert CredentialExpired(credential.expiresAt);
        if (credential.issuedAt > block.timestamp) revert CredentialNotYetValid(credential.issuedAt);
        // EAS's off-chain revocation registry is keyed by revoker: only the signer's own
        // revocation counts, so nobody else can revoke a credential by publishing its uid.
        if (eas.getRevokeOffchain(issuer, credential.uid) != 0) revert CredentialRevoked(credential.uid);
    }

    /// @dev ecrecover with the usual hardening: exactly 65 bytes (r ‖ s ‖ v), v in {27, 28}
    ///      (0 and 1 accepted as 27 and 28), s in the lower half order (no malleated twins), and
    ///      a non-zero result (ecrecover's failure value).
    function recoverSigner(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        if (signature.length != 65) revert BadSignature();
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v < 27) v += 27;
        if (v != 27 && v != 28) revert BadSignature();
        if (uint256(s) > SECP256K1_HALF_ORDER) revert BadSignature();
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert BadSignature();
    }

    /// @dev Runs the model's verifier; checked after the (cheaper) issuer evidence.
    function verify(address verifier, bytes calldata proof, uint256[] calldata instances) private view {
        if (!IProofVerifier(verifier).verifyProof(proof, instances)) revert InvalidProof();
    }

    /// @dev Records a verified attribute, first attesting it in EAS when `attributeSchema` is set.
    function record(
        bytes32 modelId,
        uint256[] calldata instances,
        address wallet,
        address issuer,
        bytes32 source,
        bytes32 refUid
    ) private returns (uint256[] memory outputs) {
        outputs = instances[2:];
        uint256 commitment = instances[0];

        bytes32 attributeUid;
        if (attributeSchema != bytes32(0)) {
            // This contract is the attester. The call comes before the state write because its
            // uid is part of what is stored; EAS is fixed at deployment and the attribute schema
            // is chosen by the deployer (a resolver on it is trusted like EAS itself), and a
            // reentrant submit could only record another proof it is itself authorized for.
            attributeUid = eas.attest(
                AttestationRequest({
                    schema: attributeSchema,
                    data: AttestationRequestData({
                        recipient: wallet,
                        expirationTime: 0,
                        revocable: false,
                        refUID: refUid,
                        data: abi.encode(modelId, outputs, bytes32(commitment)),
                        value: 0
                    })
                })
            );
        }

        StoredAttribute storage stored = attributes[wallet][modelId];
        stored.issuer = issuer;
        stored.provenAt = uint64(block.timestamp);
        stored.proven = true;
        stored.commitment = commitment;
        stored.source = source;
        stored.attributeUid = attributeUid;
        stored.outputs = outputs;
        emit AttributeProven(wallet, modelId, issuer, outputs, commitment, source, attributeUid);
    }
}
