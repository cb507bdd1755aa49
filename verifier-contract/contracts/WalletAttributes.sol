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

    event ModelRegistered(bytes32 indexed modelId, address verifier);
    event SubmitterAllowed(address indexed wallet, address indexed submitter, bool allowed);
    event AttributeProven(
        address indexed wallet, bytes32 indexed modelId, uint256 value, uint256 commitment, address submitter
    );
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotOwner();
    error UnknownModel(bytes32 modelId);
    error ModelAlreadyRegistered(bytes32 modelId);
    error ZeroAddress();
    error TooFewInstances(uint256 count);
    error WalletNotAnAddress(uint256 instance);
    error NotAuthorized(address wallet, address sender);
    error InvalidProof();

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

    /// @notice The attribute recorded for `wallet` under `modelId` (`proven` is false if none).
    function attributeOf(address wallet, bytes32 modelId) external view returns (Attribute memory) {
        return attributes[wallet][modelId];
    }
}
