//! The development issuer: its key and bundle files, and tokens that the verifier
//! and an independent ECDSA implementation both accept.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use warden_identity::dev::{DevIssuer, DevIssuerError};
use warden_identity::{JwtSvidVerifier, Proof, SpiffeId, TrustBundles};

const AUDIENCE: &str = "spiffe://example.org/warden";

fn agent() -> SpiffeId {
    "spiffe://example.org/agent/dev".parse().expect("spiffe id")
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_issuer_keeps_a_private_key_and_publishes_its_bundle() {
    let parent = tempfile::tempdir().expect("temporary directory");
    let dir = parent.path().join("dev");

    let issuer = DevIssuer::open_or_create(&dir).expect("created");

    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("jwt-signing-key.p8")), 0o600);
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(DevIssuer::bundle_path(&dir)).expect("bundle"))
            .expect("bundle is json");
    assert_eq!(bundle["keys"][0]["kid"], issuer.key_id());
    assert_eq!(bundle["keys"][0]["use"], "jwt-svid");
}

#[test]
fn reopening_the_directory_reuses_the_key() {
    let dir = tempfile::tempdir().expect("temporary directory");

    let first = DevIssuer::open_or_create(dir.path()).expect("created");
    let second = DevIssuer::open_or_create(dir.path()).expect("reopened");

    assert_eq!(first.key_id(), second.key_id());
}

#[test]
fn a_key_file_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    DevIssuer::open_or_create(dir.path()).expect("created");
    let key = dir.path().join("jwt-signing-key.p8");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");

    let result = DevIssuer::open_or_create(dir.path());

    assert!(
        matches!(
            result,
            Err(DevIssuerError::KeyFileTooOpen { mode: 0o644, .. })
        ),
        "{result:?}"
    );
}

#[test]
fn a_key_file_that_is_not_a_key_is_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let key = dir.path().join("jwt-signing-key.p8");
    std::fs::write(&key, b"not a key").expect("write");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let result = DevIssuer::open_or_create(dir.path());

    assert!(
        matches!(result, Err(DevIssuerError::InvalidKey { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn issued_tokens_verify_against_the_published_bundle() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let issuer = DevIssuer::open_or_create(dir.path()).expect("created");
    let token = issuer
        .issue(&agent(), AUDIENCE, Duration::from_secs(300))
        .expect("issued");
    let config = support::bundles::config(Some(DevIssuer::bundle_path(dir.path())), None);
    let bundles = TrustBundles::load(&config).await.expect("bundle loads");

    let identity = JwtSvidVerifier::new(Arc::clone(&bundles), &config)
        .verify(&token, SystemTime::now())
        .expect("accepted");

    assert_eq!(identity.spiffe_id, agent());
    assert!(matches!(identity.proof, Proof::JwtSvid { .. }));
}

#[test]
fn issued_tokens_verify_with_an_independent_ecdsa_implementation() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let issuer = DevIssuer::open_or_create(dir.path()).expect("created");
    let token = issuer
        .issue(&agent(), AUDIENCE, Duration::from_secs(60))
        .expect("issued");
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(DevIssuer::bundle_path(dir.path())).expect("bundle"))
            .expect("bundle is json");

    let decode = |field: &str| {
        let text = bundle["keys"][0][field].as_str().expect("coordinate");
        URL_SAFE_NO_PAD.decode(text).expect("base64url")
    };
    let mut point = vec![4];
    point.extend(decode("x"));
    point.extend(decode("y"));
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).expect("public key");
    let (input, signature) = token.rsplit_once('.').expect("three segments");
    let signature = URL_SAFE_NO_PAD.decode(signature).expect("signature");
    let signature = p256::ecdsa::Signature::from_slice(&signature).expect("fixed-size signature");

    key.verify(input.as_bytes(), &signature)
        .expect("signature verifies");
}

#[test]
fn an_empty_audience_is_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let issuer = DevIssuer::open_or_create(dir.path()).expect("created");

    let result = issuer.issue(&agent(), "", Duration::from_secs(60));

    assert!(
        matches!(result, Err(DevIssuerError::EmptyAudience)),
        "{result:?}"
    );
}
