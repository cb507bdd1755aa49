//! Issuing and checking credentials: every edit of a signed or committed field is refused, and
//! one credential feeds every model of its schema.

use alloy_primitives::{Address, Bytes, U256};
use loopx_credentials::{issue, parse_private_key, Credential, CredentialError, IssueRequest};
use loopx_models::{compile_named, load_input_row, ModelPackage, Schema};
use loopx_test_support::fixtures_dir;

const ISSUER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const OTHER_KEY: &str = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const NOW: u64 = 1_800_000_000;

fn schema(name: &str) -> Schema {
    Schema::load(fixtures_dir().join(format!("{name}.schema.toml"))).expect("bundled schema")
}

fn wallet() -> Address {
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".parse().unwrap()
}

fn credential(schema_name: &str) -> Credential {
    let schema = schema(schema_name);
    let values =
        load_input_row(fixtures_dir().join("risk_mlp.input.json"), Some(&schema), schema.len()).unwrap();
    let request = IssueRequest {
        schema: &schema,
        values: &values,
        wallet: wallet(),
        issued_at: NOW - 10,
        expires_at: NOW + 86_400,
        chain_id: 31337,
    };
    issue(&request, &parse_private_key(ISSUER_KEY).unwrap()).expect("issues")
}

fn issuer() -> Address {
    parse_private_key(ISSUER_KEY).unwrap().address()
}

#[test]
fn an_issued_credential_checks_and_survives_a_file_round_trip() {
    let cred = credential("risk_mlp");
    cred.check(NOW, Some(issuer())).expect("fresh credential checks");
    cred.check_schema(&schema("risk_mlp")).expect("matches its schema");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cred.json");
    cred.save(&path).unwrap();
    let back = Credential::load(&path).unwrap();
    assert_eq!(back, cred);
    back.check(NOW, Some(issuer())).expect("round trip keeps it valid");
    assert_eq!(back.recover_signer().unwrap(), issuer());
}

#[test]
fn the_three_mlps_share_one_schema_id_and_the_tree_model_has_its_own() {
    let ids: Vec<_> =
        ["risk_mlp", "credit_mlp", "sybil_lr", "sybil_gbt"].map(|n| schema(n).id().unwrap()).into();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0], ids[2]);
    assert_ne!(ids[0], ids[3], "the tree model reads a finer encoding");
    assert_eq!(ids[0].0[0], 0, "a schema id is a BN254 scalar");
}

#[test]
fn models_compiled_against_a_schema_read_its_encoding_and_accept_its_credentials() {
    let cred = credential("risk_mlp");
    for name in ["risk_mlp", "credit_mlp", "sybil_lr"] {
        let (package, _): (ModelPackage, _) = compile_named(fixtures_dir(), name).unwrap();
        assert_eq!(package.quantized.schema_id(), cred.schema_id, "{name}");
        cred.check_for_model(&package.quantized, Some(wallet())).expect(name);
    }
    let (gbt, _) = compile_named(fixtures_dir(), "sybil_gbt").unwrap();
    assert!(matches!(
        cred.check_for_model(&gbt.quantized, None),
        Err(CredentialError::SchemaMismatch { .. })
    ));
    let (risk, _) = compile_named(fixtures_dir(), "risk_mlp").unwrap();
    let other: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC".parse().unwrap();
    assert!(matches!(
        cred.check_for_model(&risk.quantized, Some(other)),
        Err(CredentialError::WalletMismatch { .. })
    ));
}

#[test]
fn every_edit_of_a_committed_or_signed_field_is_refused() {
    let cred = credential("risk_mlp");
    let check = |c: &Credential| c.check(NOW, Some(issuer()));

    let mut edited = cred.clone();
    edited.features[3].encoded += 1;
    assert!(matches!(check(&edited), Err(CredentialError::CommitmentMismatch { .. })), "encoded feature");

    let mut edited = cred.clone();
    edited.features[3].value += 1.0;
    assert!(check(&edited).is_ok(), "the readable value is not committed…");
    assert!(
        matches!(edited.check_schema(&schema("risk_mlp")), Err(CredentialError::EncodingMismatch { .. })),
        "…but it must encode to the committed integer"
    );

    let mut edited = cred.clone();
    edited.wallet = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC".parse().unwrap();
    assert!(matches!(check(&edited), Err(CredentialError::CommitmentMismatch { .. })), "wallet");

    let mut edited = cred.clone();
    edited.salt.0[31] ^= 1;
    assert!(matches!(check(&edited), Err(CredentialError::CommitmentMismatch { .. })), "salt");

    let mut edited = cred.clone();
    edited.expires_at += 86_400;
    assert!(matches!(check(&edited), Err(CredentialError::BadSignature(_))), "expiry");

    let mut edited = cred.clone();
    edited.chain_id = 1;
    assert!(matches!(check(&edited), Err(CredentialError::BadSignature(_))), "chain id");

    let mut edited = cred.clone();
    edited.issuer = parse_private_key(OTHER_KEY).unwrap().address();
    assert!(matches!(check(&edited), Err(CredentialError::BadSignature(_))), "stated issuer");

    // A malleated signature (s → n − s, v flipped) recovers the same key but is refused, as
    // the contract refuses it.
    let mut edited = cred.clone();
    let mut sig = edited.signature.to_vec();
    let n =
        U256::from_str_radix("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16).unwrap();
    let s = U256::from_be_slice(&sig[32..64]);
    sig[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    sig[64] ^= 1;
    edited.signature = Bytes::from(sig);
    assert!(matches!(check(&edited), Err(CredentialError::BadSignature(_))), "high s");

    let mut edited = cred.clone();
    edited.signature = Bytes::from(vec![0u8; 64]);
    assert!(matches!(check(&edited), Err(CredentialError::BadSignature(_))), "short signature");
}

#[test]
fn untrusted_expired_and_future_credentials_are_refused() {
    let cred = credential("risk_mlp");
    let other = parse_private_key(OTHER_KEY).unwrap().address();
    assert!(matches!(cred.check(NOW, Some(other)), Err(CredentialError::UntrustedIssuer { .. })));
    assert!(matches!(cred.check(NOW + 86_400, None), Err(CredentialError::Expired { .. })));
    assert!(matches!(cred.check(NOW - 11, None), Err(CredentialError::NotYetValid { .. })));
}

#[test]
fn bad_requests_and_files_get_clear_errors() {
    let schema = schema("risk_mlp");
    let signer = parse_private_key(ISSUER_KEY).unwrap();
    let mut values = vec![0.0; schema.len()];
    values[0] = 1e9;
    let request = IssueRequest {
        schema: &schema,
        values: &values,
        wallet: wallet(),
        issued_at: NOW,
        expires_at: NOW + 1,
        chain_id: 1,
    };
    let err = issue(&request, &signer).unwrap_err().to_string();
    assert!(err.contains("wallet_age_days"), "{err}");

    let mut plain = schema.clone();
    for f in &mut plain.features {
        f.scale_bits = None;
    }
    let request = IssueRequest { schema: &plain, values: &[0.0; 24], ..request };
    let err = issue(&request, &signer).unwrap_err().to_string();
    assert!(err.contains("scale_bits"), "{err}");

    assert!(matches!(parse_private_key("0x1234"), Err(CredentialError::InvalidKey)));
    for text in ["", "{", "[]", r#"{"format": "loopx-credential/9"}"#] {
        assert!(
            matches!(Credential::from_json(text, "cred.json"), Err(CredentialError::Malformed { .. })),
            "{text}"
        );
    }
    let mut json = serde_json::to_value(credential("risk_mlp")).unwrap();
    json["format"] = "loopx-credential/2".into();
    let err = Credential::from_json(&json.to_string(), "cred.json").unwrap_err().to_string();
    assert!(err.contains("loopx-credential/1"), "{err}");
}
