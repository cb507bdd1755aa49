//! One toy proof, its verifying key and its compiled verifier, built once per test binary;
//! plus the two judges every case is put to: the native halo2 verifier and the EVM.

use crate::toy_circuit::ToyCircuit;
use halo2_proofs::{
    plonk::{create_proof, keygen_pk, keygen_vk, verify_proof, ProvingKey, VerifyingKey},
    poly::kzg::{
        commitment::{KZGCommitmentScheme, ParamsKZG},
        multiopen::{ProverSHPLONK, VerifierSHPLONK},
        strategy::SingleStrategy,
    },
};
use halo2curves::{
    bn256::{Bn256, Fq, Fr, G1Affine},
    ff::{Field, PrimeField},
};
use loopx_verifier_contract::{
    encode_verify_calldata_words, fr_to_u256, generate_verifier, Address, CompiledContract, EmbeddedEvm,
    EvmVerdict, GeneratedVerifier, U256,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use snark_verifier::{loader::native::NativeLoader, system::halo2::transcript::evm::EvmTranscript};
use std::sync::OnceLock;

/// Rows = 2^K.
pub const K: u32 = 6;

/// The wallet the fixture proof is about.
pub const WALLET: Address = Address::new([0x5a; 20]);

pub struct Fixture {
    pub params: ParamsKZG<Bn256>,
    pub pk: ProvingKey<G1Affine>,
    pub proof: Vec<u8>,
    pub instances: Vec<Fr>,
    pub generated: GeneratedVerifier,
    pub compiled: CompiledContract,
}

impl Fixture {
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        self.pk.get_vk()
    }

    /// The fixture's instances as EVM words.
    pub fn words(&self) -> Vec<U256> {
        self.instances.iter().map(fr_to_u256).collect()
    }

    /// The native halo2 verifier's answer. Instances given as words must be canonical field
    /// elements (anything else has no native encoding and is rejected), and the proof must be
    /// consumed exactly: halo2's `verify_proof` ignores trailing bytes by itself.
    pub fn native_accepts(&self, proof: &[u8], words: &[U256]) -> bool {
        let Some(instances) = words.iter().map(u256_to_fr).collect::<Option<Vec<Fr>>>() else {
            return false;
        };
        let (accepted, rest) = native_verify(&self.params, self.vk(), proof, &instances);
        accepted && rest == 0
    }

    /// A fresh embedded EVM with the verifier deployed.
    pub fn deploy(&self) -> DeployedVerifier {
        let mut evm = EmbeddedEvm::new();
        let address = evm.deploy(&self.compiled.bytecode).expect("verifier deploys");
        DeployedVerifier { evm, address }
    }

    /// A proof for another witness or wallet, with the same keys.
    pub fn prove(&self, circuit: &ToyCircuit, seed: u64) -> Vec<u8> {
        prove(&self.params, &self.pk, circuit, seed)
    }
}

pub struct DeployedVerifier {
    pub evm: EmbeddedEvm,
    pub address: Address,
}

impl DeployedVerifier {
    pub fn verdict(&mut self, proof: &[u8], words: &[U256]) -> EvmVerdict {
        self.verdict_calldata(encode_verify_calldata_words(proof, words))
    }

    pub fn verdict_calldata(&mut self, calldata: Vec<u8>) -> EvmVerdict {
        self.evm.verify_calldata(self.address, calldata).expect("the EVM runs the call")
    }
}

/// The shared fixture (built on first use).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

pub fn toy_circuit() -> ToyCircuit {
    ToyCircuit { x: Fr::from(3), y: Fr::from(5), wallet: address_to_fr(WALLET) }
}

pub fn address_to_fr(address: Address) -> Fr {
    let mut repr = [0u8; 32];
    repr[..20].copy_from_slice(address.as_slice());
    repr[..20].reverse(); // big-endian address → little-endian field representation
    Fr::from_repr(repr).expect("a 160-bit value is canonical")
}

fn build_fixture() -> Fixture {
    // Seeded randomness: the same keys and proof on every run, so any failure reproduces.
    let params = ParamsKZG::<Bn256>::setup(K, ChaCha20Rng::seed_from_u64(0x100b));
    let circuit = toy_circuit();
    let vk = keygen_vk(&params, &circuit).expect("keygen_vk");
    let pk = keygen_pk(&params, vk, &circuit).expect("keygen_pk");
    let instances = circuit.instances();
    let proof = prove(&params, &pk, &circuit, 1);
    let (accepted, rest) = native_verify(&params, pk.get_vk(), &proof, &instances);
    assert!(accepted && rest == 0, "the fixture proof verifies natively");

    let generated = generate_verifier(&params, pk.get_vk(), instances.len()).expect("verifier generates");
    let compiled = generated.compile().expect("verifier compiles");
    Fixture { params, pk, proof, instances, generated, compiled }
}

fn prove(params: &ParamsKZG<Bn256>, pk: &ProvingKey<G1Affine>, circuit: &ToyCircuit, seed: u64) -> Vec<u8> {
    let instances = circuit.instances();
    let mut transcript = EvmTranscript::<G1Affine, NativeLoader, _, _>::new(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        params,
        pk,
        std::slice::from_ref(circuit),
        &[&[&instances]],
        ChaCha20Rng::seed_from_u64(seed),
        &mut transcript,
    )
    .expect("proving succeeds");
    transcript.finalize()
}

/// Runs halo2's verifier; returns its answer and how many proof bytes it left unread.
pub fn native_verify(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    instances: &[Fr],
) -> (bool, usize) {
    let mut reader = proof;
    let mut transcript = EvmTranscript::<G1Affine, NativeLoader, _, _>::new(&mut reader);
    let accepted = verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, _>(
        params,
        vk,
        SingleStrategy::new(params),
        &[&[instances]],
        &mut transcript,
    )
    .is_ok();
    drop(transcript);
    (accepted, reader.len())
}

/// A canonical field element from a word, or `None` when the word is `≥ r`.
pub fn u256_to_fr(word: &U256) -> Option<Fr> {
    Option::from(Fr::from_repr(word.to_le_bytes::<32>()))
}

/// BN254 scalar field modulus r.
pub fn scalar_modulus() -> U256 {
    U256::from_le_bytes((-Fr::ONE).to_repr()) + U256::from(1)
}

/// BN254 base field modulus p.
pub fn base_modulus() -> U256 {
    U256::from_le_bytes((-Fq::ONE).to_repr()) + U256::from(1)
}

pub fn read_word(bytes: &[u8], offset: usize) -> U256 {
    U256::from_be_slice(&bytes[offset..offset + 32])
}

pub fn write_word(bytes: &mut [u8], offset: usize, word: U256) {
    bytes[offset..offset + 32].copy_from_slice(&word.to_be_bytes::<32>());
}
