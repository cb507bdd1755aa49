// SPDX-License-Identifier: MIT
pragma solidity 0.8.19;

/// @notice The interface of every generated LoopX verifier.
interface IProofVerifier {
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
}

/// @title Wallet attributes proven by LoopX model proofs
/// @notice Records, per (wallet, model), the attribute a model computed on the wallet's private
///         features, once a proof for it verifies. Public instances are laid out as
///         [commitment, wallet, outputs...]; the recorded value is the first output.
/// @dev A proof names its wallet (instances[1]), so it can only be recorded for that wallet,
///      and only by the wallet itself or by a submitter the wallet allowed: a proof copied
///      from the mempool or another chain's history cannot be replayed by anyone else.
///      `submitBatch` records the wallets of one aggregate proof (loopx aggregate) under the
///      same rules, checked for every wallet it covers.
contract WalletAttributes {
    /// @notice A recorded attribute.
    struct Attribute {
        bool proven;
        uint256 value;
        uint256 commitment;
        uint64 provenAt;
    }

    /// @notice Administrator: registers the verifier of each model.
    address public owner;
    /// @notice Verifier contract of each model id (hash of the quantized weights).
    mapping(bytes32 => IProofVerifier) public verifierOf;
    /// @notice wallet => submitter => whether the submitter may record proofs for the wallet.
    mapping(address => mapping(address => bool)) public isAllowedSubmitter;

    mapping(address => mapping(bytes32 => Attribute)) private attributes;

    /// @notice The verifier of a model's aggregates, and the shape of their instances.
    struct BatchVerifier {
        IProofVerifier verifier;
        uint64 proofs;
        uint64 wordsPerProof;
    }

    /// @notice Aggregate verifiers: model id => instance count of its aggregates => verifier.
    mapping(bytes32 => mapping(uint256 => BatchVerifier)) public batchVerifierOf;

    /// @dev An aggregate's instances open with the KZG accumulator (12 limbs), then per covered
    ///      proof: commitment, wallet + (output0 + 2^63) * 2^160, output1, ... (the circuit
    ///      range-checks both fields, so the word splits uniquely).
    uint256 private constant ACCUMULATOR_LIMBS = 12;
    uint256 private constant OUTPUT_OFFSET = 1 << 63;
    uint256 private constant SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    event ModelRegistered(bytes32 indexed modelId, address verifier);
    event SubmitterAllowed(address indexed wallet, address indexed submitter, bool allowed);
    event AttributeProven(
        address indexed wallet, bytes32 indexed modelId, uint256 value, uint256 commitment, address submitter
    );
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event BatchVerifierRegistered(bytes32 indexed modelId, uint256 proofs, uint256 wordsPerProof, address verifier);

    error NotOwner();
    error UnknownModel(bytes32 modelId);
    error ModelAlreadyRegistered(bytes32 modelId);
    error ZeroAddress();
    error TooFewInstances(uint256 count);
    error WalletNotAnAddress(uint256 instance);
    error NotAuthorized(address wallet, address sender);
    error InvalidProof();
    error UnknownBatchVerifier(bytes32 modelId, uint256 instanceCount);
    error BatchVerifierAlreadyRegistered(bytes32 modelId, uint256 instanceCount);
    error BadBatchShape(uint256 proofs, uint256 wordsPerProof);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    constructor() {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    /// @notice Hands the administrator role to `newOwner`.
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    /// @notice Binds `modelId` to its verifier, once: a model id names fixed weights, so its
    ///         verifying key (and verifier) never changes.
    function registerModel(bytes32 modelId, IProofVerifier verifier) external onlyOwner {
        if (address(verifier) == address(0)) revert ZeroAddress();
        if (address(verifierOf[modelId]) != address(0)) revert ModelAlreadyRegistered(modelId);
        verifierOf[modelId] = verifier;
        emit ModelRegistered(modelId, address(verifier));
    }

    /// @notice Lets `submitter` (a relayer, a smart account) record proofs for the caller's wallet.
    function setSubmitter(address submitter, bool allowed) external {
        isAllowedSubmitter[msg.sender][submitter] = allowed;
        emit SubmitterAllowed(msg.sender, submitter, allowed);
    }

    /// @notice Verifies a proof of model `modelId` and records its attribute for the wallet the
    ///         proof names. Reverts unless the caller is that wallet or one of its submitters.
    /// @return value The recorded attribute (the model's first public output).
    function submit(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (uint256 value)
    {
        IProofVerifier verifier = verifierOf[modelId];
        if (address(verifier) == address(0)) revert UnknownModel(modelId);
        if (instances.length < 3) revert TooFewInstances(instances.length);

        // The wallet is a field element; only the canonical encoding of an address is one.
        uint256 walletWord = instances[1];
        if (walletWord >> 160 != 0) revert WalletNotAnAddress(walletWord);
        address wallet = address(uint160(walletWord));
        if (msg.sender != wallet && !isAllowedSubmitter[wallet][msg.sender]) {
            revert NotAuthorized(wallet, msg.sender);
        }

        if (!verifier.verifyProof(proof, instances)) revert InvalidProof();

        value = instances[2];
        attributes[wallet][modelId] =
            Attribute({proven: true, value: value, commitment: instances[0], provenAt: uint64(block.timestamp)});
        emit AttributeProven(wallet, modelId, value, instances[0], msg.sender);
    }

    /// @notice Binds the verifier of `modelId`'s aggregates of `proofs` proofs (each publishing
    ///         `wordsPerProof` words: commitment, packed wallet and first output, further
    ///         outputs), once. The aggregation circuit holds the model's verifying key as a
    ///         constant, so the verifier accepts aggregates of that model's proofs only.
    function registerBatchVerifier(bytes32 modelId, uint256 proofs, uint256 wordsPerProof, IProofVerifier verifier)
        external
        onlyOwner
    {
        if (address(verifier) == address(0)) revert ZeroAddress();
        if (proofs == 0 || wordsPerProof < 2 || proofs > type(uint64).max || wordsPerProof > type(uint64).max) {
            revert BadBatchShape(proofs, wordsPerProof);
        }
        uint256 count = ACCUMULATOR_LIMBS + proofs * wordsPerProof;
        if (address(batchVerifierOf[modelId][count].verifier) != address(0)) {
            revert BatchVerifierAlreadyRegistered(modelId, count);
        }
        batchVerifierOf[modelId][count] = BatchVerifier(verifier, uint64(proofs), uint64(wordsPerProof));
        emit BatchVerifierRegistered(modelId, proofs, wordsPerProof, address(verifier));
    }

    /// @notice Verifies an aggregate proof of model `modelId` and records the attribute of every
    ///         wallet it covers, in one transaction. Reverts (recording nothing) unless the caller
    ///         is, for every covered wallet, that wallet or one of its submitters.
    /// @return recorded The number of wallets recorded (a wallet covered twice counts twice).
    function submitBatch(bytes32 modelId, bytes calldata proof, uint256[] calldata instances)
        external
        returns (uint256 recorded)
    {
        BatchVerifier memory batch = batchVerifierOf[modelId][instances.length];
        if (address(batch.verifier) == address(0)) revert UnknownBatchVerifier(modelId, instances.length);
        uint256 words = batch.wordsPerProof;
        // Authorisation first, per wallet, as submit() does for its one wallet.
        for (uint256 at = ACCUMULATOR_LIMBS + 1; at < instances.length; at += words) {
            address wallet = address(uint160(instances[at]));
            if (msg.sender != wallet && !isAllowedSubmitter[wallet][msg.sender]) {
                revert NotAuthorized(wallet, msg.sender);
            }
        }
        if (!batch.verifier.verifyProof(proof, instances)) revert InvalidProof();
        for (uint256 at = ACCUMULATOR_LIMBS; at < instances.length; at += words) {
            recordPacked(modelId, instances[at], instances[at + 1]);
            recorded++;
        }
    }

    /// @dev Records one covered wallet of an aggregate from its commitment and packed word.
    function recordPacked(bytes32 modelId, uint256 commitment, uint256 packed) private {
        address wallet = address(uint160(packed));
        // The first output as the field element a single proof publishes (a negative value as
        // r - |v|), so that both paths record the same value.
        uint256 shifted = packed >> 160;
        uint256 value = shifted >= OUTPUT_OFFSET ? shifted - OUTPUT_OFFSET : SCALAR_FIELD - (OUTPUT_OFFSET - shifted);
        attributes[wallet][modelId] =
            Attribute({proven: true, value: value, commitment: commitment, provenAt: uint64(block.timestamp)});
        emit AttributeProven(wallet, modelId, value, commitment, msg.sender);
    }

    /// @notice The attribute recorded for `wallet` under `modelId` (`proven` is false if none).
    function attributeOf(address wallet, bytes32 modelId) external view returns (Attribute memory) {
        return attributes[wallet][modelId];
    }
}
