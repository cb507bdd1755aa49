//! One real aggregation of two app proofs (the default suite's only one: it takes minutes), shared
//! by every test here: it verifies natively, in revm and on an anvil node, says what each covered
//! proof says, and is refused when the proof, a covered wallet or output, or the accumulator is
//! changed; `WalletAttributes.submitBatch` records both wallets in one transaction under the
//! per-wallet rules of `submit`. Keys whose `vk.bin` or `srs.bin` was replaced are refused
//! (the forgeries are in `common/forge.rs`). The on-chain cases run against the verifier as one
//! contract and split over three (what an aggregate verifier over EIP-170 becomes).

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use alloy::primitives::{Bytes, B256, U256};
use alloy::sol;
use alloy::sol_types::{SolCall, SolError};
use common::forge;
use halo2_proofs::SerdeFormat;
use halo2curves::bn256::Fr;
use loopx_aggregate::{
    aggregate_all, covered_claims, read_proofs, verify_aggregate, AggregateError, AggregateFile,
    AggregateVerifier, AggregationKeys, AggregationProver, ACCUMULATOR_LIMBS,
};
use loopx_prover::{InstanceClaim, Package, ProofFile};
use loopx_srs::SrsPolicy;
use loopx_verifier_contract::{
    compile_wallet_attributes, fr_to_u256, generate_aggregate_verifier, Address, CompiledVerifier,
    EmbeddedEvm, EvmVerdict, DEFAULT_CALLER,
};

sol! {
    struct Attribute { bool proven; uint256 value; uint256 commitment; uint64 provenAt; }
    function registerBatchVerifier(bytes32 modelId, uint256 proofs, uint256 wordsPerProof, address verifier) external;
    function setSubmitter(address submitter, bool allowed) external;
    function submitBatch(bytes32 modelId, bytes calldata proof, uint256[] calldata instances) external returns (uint256);
    function attributeOf(address wallet, bytes32 modelId) external view returns (Attribute memory);
    error NotAuthorized(address wallet, address sender);
    error InvalidProof();
    error UnknownBatchVerifier(bytes32 modelId, uint256 instanceCount);
}

const MODEL: B256 = B256::new([0x42; 32]);
const RELAYER: Address = Address::new([0x99; 20]);

struct Fixture {
    _tmp: tempfile::TempDir,
    package: Package,
    /// The verifier as `loopx verify` loads it: keys read back, verifying key re-derived.
    verifier: AggregateVerifier,
    files: Vec<(String, ProofFile)>,
    prover: AggregationProver,
    proofs_dir: PathBuf,
    out_dir: PathBuf,
    aggregate: AggregateFile,
    /// The aggregate's Solidity verifier: as one contract, and split over three.
    contracts: [CompiledVerifier; 2],
}

impl Fixture {
    fn proof(&self) -> Vec<u8> {
        self.aggregate.proof_bytes().unwrap()
    }

    fn instances(&self) -> Vec<Fr> {
        self.aggregate.instance_values().unwrap()
    }

    fn keys(&self) -> &AggregationKeys {
        &self.prover.keys
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let k = common::agg_k();
        let tmp = tempfile::tempdir().unwrap();
        let srs = common::dev_srs(k);
        let package = common::set_up(&tmp.path().join("pkg"), &srs);
        let files = common::poseidon_proofs(&package, 2);
        let proofs_dir = tmp.path().join("proofs");
        std::fs::create_dir_all(&proofs_dir).unwrap();
        for (name, file) in &files {
            file.save(&proofs_dir.join(name)).unwrap();
        }

        let start = Instant::now();
        let prover = AggregationProver::open(&package, 2, Some((&srs, k)), SrsPolicy::AllowDev).unwrap();
        eprintln!(
            "aggregation keygen (k = {k}): {:.1} s, {:?}",
            start.elapsed().as_secs_f64(),
            prover.keys.setup.config
        );
        // The verifier first: it fails fast, the aggregation takes minutes.
        let keys = &prover.keys;
        let generated =
            generate_aggregate_verifier(keys.srs.params(), &keys.vk, keys.setup.layout.num_instances())
                .unwrap();
        let one = generated.compile_deployable().unwrap();
        assert!(one.parts.is_empty(), "N = 2 fits one contract: {:?}", one.deployed_sizes());
        let contracts = [one, generated.compile_split(3).unwrap()];
        let out_dir = tmp.path().join("aggregates");
        let sources = read_proofs(&proofs_dir, &package.package.model_id).unwrap();
        let summary = aggregate_all(&prover, &sources, &out_dir, |_| {}).unwrap();
        assert_eq!((summary.aggregated, summary.skipped), (1, 0));
        let aggregate = AggregateFile::load(&out_dir.join("aggregate-00000.json")).unwrap();
        eprintln!(
            "aggregation proof: {:.1} s, {} bytes",
            aggregate.aggregate_seconds,
            aggregate.proof.len() / 2 - 1
        );
        let start = Instant::now();
        let verifier = AggregateVerifier::load(&package, 2, SrsPolicy::AllowDev).unwrap();
        let loading = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let srs_path = loopx_aggregate::keys_dir(&package, 2).join(loopx_aggregate::keys::AGG_SRS_FILE);
        loopx_aggregate::ceremony::check_powers(&verifier.keys().srs, &srs_path).unwrap();
        eprintln!(
            "loading the keys back (k = {k}): {loading:.1} s, of which {:.1} s checking the SRS's points \
             and the rest re-deriving the verifying key",
            start.elapsed().as_secs_f64()
        );

        Fixture { _tmp: tmp, package, verifier, files, prover, proofs_dir, out_dir, aggregate, contracts }
    })
}

#[test]
fn aggregate_verifies_natively_and_says_what_each_covered_proof_says() {
    let fx = fixture();
    verify_aggregate(fx.keys(), &fx.proof(), &fx.instances()).unwrap();
    let expected: Vec<InstanceClaim> =
        fx.files.iter().map(|(_, f)| InstanceClaim::decode(&f.instance_values().unwrap()).unwrap()).collect();
    assert_eq!(covered_claims(&fx.keys().setup.layout, &fx.instances()).unwrap(), expected);
    // Through the package, as `loopx verify` does: keys re-loaded from the package directory, the
    // re-derived verifying key the one the aggregate was proven with.
    assert_eq!(
        fx.verifier.keys().vk.to_bytes(SerdeFormat::RawBytes),
        fx.keys().vk.to_bytes(SerdeFormat::RawBytes)
    );
    let claims = fx.verifier.verify(&fx.aggregate).unwrap();
    assert_eq!(claims.iter().map(|c| c.proven.clone()).collect::<Vec<_>>(), expected);
    // A dev SRS is refused unless allowed.
    assert!(AggregateVerifier::load(&fx.package, 2, SrsPolicy::CeremonyOnly).is_err());
}

#[test]
fn native_verification_rejects_any_changed_instance_or_proof_byte() {
    let fx = fixture();
    let (proof, instances) = (fx.proof(), fx.instances());
    for index in 0..instances.len() {
        let mut changed = instances.clone();
        changed[index] += Fr::from(1);
        assert!(
            verify_aggregate(fx.keys(), &proof, &changed).is_err(),
            "instance {index} (accumulator limbs end at {ACCUMULATOR_LIMBS}) changed and still accepted"
        );
    }
    for at in [0, proof.len() / 2, proof.len() - 1] {
        let mut flipped = proof.clone();
        flipped[at] ^= 1;
        assert!(verify_aggregate(fx.keys(), &flipped, &instances).is_err(), "bit flipped at byte {at}");
    }
    let mut longer = proof.clone();
    longer.push(0);
    assert!(verify_aggregate(fx.keys(), &longer, &instances).is_err());
    assert!(verify_aggregate(fx.keys(), &proof[..proof.len() - 32], &instances).is_err());
    assert!(verify_aggregate(fx.keys(), &proof, &instances[..instances.len() - 1]).is_err());
}

#[test]
fn a_file_whose_coverage_disagrees_with_its_instances_is_refused() {
    let fx = fixture();
    let verifier = &fx.verifier;
    let mut file = fx.aggregate.clone();
    file.covered.swap(0, 1);
    assert!(verifier.verify(&file).is_err());
    let mut file = fx.aggregate.clone();
    file.covered[1].raw_outputs[0] += 1;
    assert!(verifier.verify(&file).is_err());
    let mut file = fx.aggregate.clone();
    file.model_id = "0xother".into();
    assert!(verifier.verify(&file).is_err());
}

#[test]
fn a_tampered_covered_proof_cannot_be_aggregated() {
    let fx = fixture();
    let mut files = fx.files.clone();
    let mut bytes = files[1].1.proof_bytes().unwrap();
    bytes[100] ^= 1;
    files[1].1.proof = format!("0x{}", hex::encode(&bytes));
    let refusal = fx.prover.aggregate(&files).unwrap_err().to_string();
    assert!(refusal.contains("proof-1.json"), "{refusal}");
    // A covered proof with its wallet changed (the file's fields follow) is refused too.
    let mut files = fx.files.clone();
    let mut values = files[0].1.instance_values().unwrap();
    values[1] += Fr::from(1);
    files[0].1.instances[1] = loopx_prover::proof::fr_to_hex(&values[1]);
    assert!(fx.prover.aggregate(&files).is_err());
}

#[test]
fn rerun_skips_the_finished_chunk_without_deriving_the_proving_key() {
    let fx = fixture();
    let sources = read_proofs(&fx.proofs_dir, &fx.package.package.model_id).unwrap();
    // A new run opens the saved keys: it has no proving key until a chunk needs one.
    let prover = AggregationProver::open(&fx.package, 2, None, SrsPolicy::AllowDev).unwrap();
    assert!(!prover.has_proving_key());
    let summary = aggregate_all(&prover, &sources, &fx.out_dir, |_| {}).unwrap();
    assert_eq!((summary.aggregated, summary.skipped), (0, 1));
    assert!(!prover.has_proving_key(), "the proving key was derived for a run with nothing to prove");
    let manifest = std::fs::read_to_string(&summary.manifest).unwrap();
    assert_eq!(manifest.lines().count(), 2);
    assert!(manifest.contains(&common::WALLETS[0].to_lowercase()));
}

/// Why the aggregate verifier of `package` for 2 proofs is refused (not `unwrap_err`: it would
/// print the accepted verifier, SRS and all).
fn refusal_of(package: &Package) -> AggregateError {
    match AggregateVerifier::load(package, 2, SrsPolicy::AllowDev) {
        Ok(_) => panic!("the forged aggregation keys in {} were accepted", package.path().display()),
        Err(refusal) => refusal,
    }
}

#[test]
fn a_vk_of_another_circuit_in_the_package_keys_is_refused() {
    let fx = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let forged = forge::copy_package(fx.package.path(), &tmp.path().join("pkg"));
    // A valid aggregation key, same configuration and break points, of a circuit that checks the
    // app proofs against another app key; setup.json names it (so the file parses under its
    // configuration and matches its digest: all that was checked before keys were re-derived).
    let vk = forge::vk_for_another_app_key(&fx.package, fx.keys());
    assert_ne!(vk.to_bytes(SerdeFormat::RawBytes), fx.keys().vk.to_bytes(SerdeFormat::RawBytes));
    forge::replace_vk(&forged, 2, &vk);

    let refusal = refusal_of(&forged);
    assert!(
        matches!(refusal, AggregateError::VkMismatch { ref path, .. } if path.ends_with("vk.bin")),
        "{refusal}"
    );
    let message = refusal.to_string();
    assert!(message.contains("delete") && message.contains("loopx aggregate"), "{message}");
}

#[test]
fn an_srs_whose_points_are_not_the_ceremony_powers_is_refused() {
    let fx = fixture();
    for which in [forge::SrsPoints::Monomial, forge::SrsPoints::Lagrange] {
        let tmp = tempfile::tempdir().unwrap();
        let forged = forge::copy_package(fx.package.path(), &tmp.path().join("pkg"));
        // Same generator, [1]₂ and [s]₂: the ceremony comparison alone lets it through.
        forge::swap_srs_points(&forged, 2, which);
        let refusal = refusal_of(&forged);
        assert!(matches!(refusal, AggregateError::SrsMismatch(_)), "{which:?}: {refusal}");
        assert!(refusal.to_string().contains("srs.bin"), "{which:?}: {refusal}");
    }
}

#[test]
fn evm_verifier_accepts_the_aggregate_and_rejects_tampering() {
    let fx = fixture();
    let (proof, instances) = (fx.proof(), fx.instances());
    for contracts in &fx.contracts {
        let mut evm = EmbeddedEvm::new();
        let verifier = contracts.deploy_in(&mut evm).unwrap();
        let mut verdict = |proof: &[u8], instances: &[Fr]| -> EvmVerdict {
            evm.verify(verifier, proof, instances).unwrap()
        };
        let count = contracts.parts.len() + 1;
        let valid = verdict(&proof, &instances);
        assert!(valid.valid, "{count} contracts");
        eprintln!(
            "aggregate verifyProof in {count} contracts {:?}: {} gas, {} per proof",
            contracts.deployed_sizes(),
            valid.gas_used,
            valid.gas_used / 2
        );
        for index in 0..instances.len() {
            let mut changed = instances.clone();
            changed[index] += Fr::from(1);
            assert!(!verdict(&proof, &changed).valid, "{count} contracts: instance {index}");
        }
        for at in [0, proof.len() / 2, proof.len() - 1] {
            let mut flipped = proof.clone();
            flipped[at] ^= 1;
            assert!(!verdict(&flipped, &instances).valid, "{count} contracts: byte {at}");
        }
    }
}

fn submit_batch(
    evm: &mut EmbeddedEvm,
    from: Address,
    consumer: Address,
    proof: &[u8],
    words: Vec<U256>,
) -> loopx_verifier_contract::CallOutcome {
    let call = submitBatchCall { modelId: MODEL, proof: Bytes::copy_from_slice(proof), instances: words }
        .abi_encode();
    evm.send(from, consumer, call).unwrap()
}

fn attribute_of(evm: &mut EmbeddedEvm, consumer: Address, wallet: Address) -> Attribute {
    let call = attributeOfCall { wallet, modelId: MODEL }.abi_encode();
    attributeOfCall::abi_decode_returns(&evm.call(DEFAULT_CALLER, consumer, call).unwrap().output).unwrap()
}

#[test]
fn submit_batch_records_every_covered_wallet_under_the_per_wallet_rules() {
    let fx = fixture();
    for contracts in &fx.contracts {
        submit_batch_under_the_per_wallet_rules(fx, contracts);
    }
}

fn submit_batch_under_the_per_wallet_rules(fx: &Fixture, contracts: &CompiledVerifier) {
    let mut evm = EmbeddedEvm::new();
    let verifier = contracts.deploy_in(&mut evm).unwrap();
    let consumer = evm.deploy(&compile_wallet_attributes().unwrap().bytecode).unwrap();
    let words: Vec<U256> = fx.instances().iter().map(fr_to_u256).collect();
    let proof = fx.proof();
    let per_proof = fx.keys().setup.layout.words_per_proof();

    // No verifier registered for the model yet.
    let unknown = submit_batch(&mut evm, RELAYER, consumer, &proof, words.clone());
    assert_eq!(
        unknown.output,
        UnknownBatchVerifier { modelId: MODEL, instanceCount: U256::from(words.len()) }.abi_encode()
    );
    let register = registerBatchVerifierCall {
        modelId: MODEL,
        proofs: U256::from(2),
        wordsPerProof: U256::from(per_proof),
        verifier,
    };
    assert!(evm.send(DEFAULT_CALLER, consumer, register.abi_encode()).unwrap().success);

    let wallets: Vec<Address> = common::WALLETS.iter().map(|w| w.parse().unwrap()).collect();
    // The relayer is allowed by the first wallet only: refused for the second, nothing recorded.
    let allow = setSubmitterCall { submitter: RELAYER, allowed: true }.abi_encode();
    assert!(evm.send(wallets[0], consumer, allow.clone()).unwrap().success);
    let refused = submit_batch(&mut evm, RELAYER, consumer, &proof, words.clone());
    assert_eq!(refused.output, NotAuthorized { wallet: wallets[1], sender: RELAYER }.abi_encode());
    assert!(!attribute_of(&mut evm, consumer, wallets[0]).proven);

    assert!(evm.send(wallets[1], consumer, allow).unwrap().success);
    // Any changed word (accumulator, commitment, wallet/output) is an invalid proof (a changed
    // wallet may first fail authorisation instead: also a refusal).
    for index in [0, ACCUMULATOR_LIMBS - 1, ACCUMULATOR_LIMBS, ACCUMULATOR_LIMBS + 1, words.len() - 1] {
        let mut changed = words.clone();
        changed[index] += U256::from(1u64 << 40);
        let outcome = submit_batch(&mut evm, RELAYER, consumer, &proof, changed);
        assert!(!outcome.success, "word {index} changed and recorded");
    }
    let mut flipped = proof.clone();
    flipped[64] ^= 1;
    assert_eq!(
        submit_batch(&mut evm, RELAYER, consumer, &flipped, words.clone()).output,
        InvalidProof {}.abi_encode()
    );

    let recorded = submit_batch(&mut evm, RELAYER, consumer, &proof, words.clone());
    assert!(recorded.success, "0x{}", hex::encode(&recorded.output));
    assert_eq!(recorded.logs.len(), 2);
    for (i, (_, file)) in fx.files.iter().enumerate() {
        let single = file.instance_values().unwrap();
        let attribute = attribute_of(&mut evm, consumer, wallets[i]);
        assert!(attribute.proven);
        // The same value and commitment a single submission of the proof records.
        assert_eq!(attribute.value, fr_to_u256(&single[2]));
        assert_eq!(attribute.commitment, fr_to_u256(&single[0]));
    }
    eprintln!(
        "submitBatch (2 wallets, new storage, verifier in {} contracts): {} gas, {} per wallet",
        contracts.parts.len() + 1,
        recorded.gas_used,
        recorded.gas_used / 2
    );
    let again = submit_batch(&mut evm, RELAYER, consumer, &proof, words);
    assert!(again.success);
    eprintln!("submitBatch (2 wallets, storage rewritten): {} gas", again.gas_used);
}

#[test]
fn submit_batch_on_an_anvil_node() {
    use loopx_verifier_contract::eas::transact;
    use loopx_verifier_contract::{
        block_on, deploy_blocking, verify_onchain_blocking, AnvilNode, ANVIL_DEV_PRIVATE_KEYS,
    };
    let fx = fixture();
    let node = AnvilNode::start().expect("anvil starts");
    let (url, owner) = (node.url(), ANVIL_DEV_PRIVATE_KEYS[0]);
    // The split verifier: parts, then the verifier pinning them (the one contract runs in revm).
    let verifier = fx.contracts[1].deploy_onchain_blocking(url, owner).unwrap();
    let consumer = deploy_blocking(url, owner, &compile_wallet_attributes().unwrap().bytecode).unwrap();
    let (proof, instances) = (fx.proof(), fx.instances());

    let verdict = verify_onchain_blocking(url, verifier, &proof, &instances).unwrap();
    assert!(verdict.valid);
    let mut changed = instances.clone();
    changed[0] += Fr::from(1);
    assert!(!verify_onchain_blocking(url, verifier, &proof, &changed).unwrap().valid, "accumulator changed");
    changed = instances.clone();
    changed[ACCUMULATOR_LIMBS + 1] += Fr::from(1);
    assert!(!verify_onchain_blocking(url, verifier, &proof, &changed).unwrap().valid, "wallet changed");

    let relayer: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse().unwrap();
    let register = registerBatchVerifierCall {
        modelId: MODEL,
        proofs: U256::from(2),
        wordsPerProof: U256::from(fx.keys().setup.layout.words_per_proof()),
        verifier,
    };
    block_on(transact(url, owner, consumer, register.abi_encode())).unwrap();
    let words: Vec<U256> = instances.iter().map(fr_to_u256).collect();
    let call = |proof: &[u8], words: Vec<U256>| {
        submitBatchCall { modelId: MODEL, proof: Bytes::copy_from_slice(proof), instances: words }
            .abi_encode()
    };
    // Neither wallet allowed the relayer yet.
    assert!(block_on(transact(url, owner, consumer, call(&proof, words.clone()))).is_err());
    for key in &ANVIL_DEV_PRIVATE_KEYS[1..3] {
        let allow = setSubmitterCall { submitter: relayer, allowed: true }.abi_encode();
        block_on(transact(url, key, consumer, allow)).unwrap();
    }
    let mut output_changed = words.clone();
    output_changed[ACCUMULATOR_LIMBS + 1] += U256::from(1) << 160;
    assert!(
        block_on(transact(url, owner, consumer, call(&proof, output_changed))).is_err(),
        "output changed"
    );
    let (receipt, logs) = block_on(transact(url, owner, consumer, call(&proof, words))).unwrap();
    assert_eq!(logs.len(), 2);
    eprintln!("anvil submitBatch (2 wallets): {} gas", receipt.gas_used);
}
