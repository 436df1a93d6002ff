//! Loading trust bundles from files, every way a bundle can be broken, and rotation
//! while the watcher runs on real files.

mod support;

use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use support::bundles::{CapturedLogs, JwtFixture, config, next_change, replace_file, write_json};
use support::keys::{TestKey, now};
use tokio_util::sync::CancellationToken;
use warden_identity::{IdentityConfig, IdentityError, JwtSvidVerifier, Refusal, TrustBundles};

async fn load_jwks(document: serde_json::Value) -> Result<Arc<TrustBundles>, IdentityError> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bundle.jwks");
    write_json(&path, &document);
    TrustBundles::load(&config(Some(path), None)).await
}

async fn load_pem(text: &str) -> Result<Arc<TrustBundles>, IdentityError> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("roots.pem");
    std::fs::write(&path, text).expect("write pem");
    TrustBundles::load(&config(None, Some(path))).await
}

fn invalid_jwt_reason(result: Result<Arc<TrustBundles>, IdentityError>) -> String {
    match result {
        Err(IdentityError::InvalidJwtBundle { reason, .. }) => reason,
        other => panic!("expected InvalidJwtBundle, got {other:?}"),
    }
}

// ---- loading ----

#[tokio::test]
async fn a_missing_bundle_file_is_refused_naming_its_path() {
    let path = Path::new("/nonexistent/warden/bundle.jwks").to_owned();

    let error = TrustBundles::load(&config(Some(path), None))
        .await
        .expect_err("refused");

    assert!(
        matches!(error, IdentityError::ReadBundle { kind: "jwt", .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("/nonexistent/warden/bundle.jwks"),
        "{error}"
    );
}

#[tokio::test]
async fn a_file_that_is_not_jwks_is_refused() {
    for document in [json!("keys"), json!({"keys": 5}), json!({"kees": []})] {
        let reason = invalid_jwt_reason(load_jwks(document).await);
        assert!(reason.contains("not a jwks json document"), "{reason}");
    }
}

#[tokio::test]
async fn a_bundle_without_jwt_svid_keys_is_refused() {
    let x509_only = json!({"keys": [{"kty": "EC", "use": "x509-svid", "crv": "P-256"}]});
    let unsupported = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "AA"}]});

    for document in [json!({"keys": []}), x509_only, unsupported] {
        let result = load_jwks(document).await;
        assert!(
            matches!(result, Err(IdentityError::NoUsableJwtKeys { .. })),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn unsupported_keys_beside_a_usable_one_are_skipped() {
    let key = TestKey::p256("key-1", 7);
    let okp = json!({"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "AA"});

    load_jwks(json!({"keys": [okp, key.jwk()]}))
        .await
        .expect("loads");
}

#[tokio::test]
async fn a_bundle_with_private_key_material_is_refused() {
    let mut jwk = TestKey::p256("key-1", 7).jwk();
    jwk["d"] = json!("c2VjcmV0");

    let reason = invalid_jwt_reason(load_jwks(json!({"keys": [jwk]})).await);

    assert!(reason.contains("private key material"), "{reason}");
}

#[tokio::test]
async fn malformed_keys_are_refused_with_their_fault() {
    let good = TestKey::p256("key-1", 7).jwk();
    let mut off_curve = good.clone();
    off_curve["y"] = off_curve["x"].clone();
    let mut short_x = good.clone();
    short_x["x"] = json!("AAAA");
    let mut no_kid = good.clone();
    no_kid.as_object_mut().expect("object").remove("kid");
    let mut wrong_alg = good.clone();
    wrong_alg["alg"] = json!("RS256");
    let short_rsa =
        json!({"kty": "RSA", "kid": "r", "n": support::keys::b64(&[0xc3; 128]), "e": "AQAB"});
    let hmac = json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0"});

    for (jwk, fault) in [
        (json!([good.clone(), good]), "appears twice"),
        (json!([off_curve]), "not on its curve"),
        (json!([short_x]), "is 3 bytes, expected 32"),
        (json!([no_kid]), "has no `kid`"),
        (json!([wrong_alg]), "does not fit its key type"),
        (json!([short_rsa]), "1024 bits"),
        (json!([hmac]), "symmetric key"),
    ] {
        let reason = invalid_jwt_reason(load_jwks(json!({"keys": jwk})).await);
        assert!(reason.contains(fault), "expected {fault:?} in {reason:?}");
    }
}

#[tokio::test]
async fn a_bundle_that_is_not_pem_is_refused() {
    for text in [
        "",
        "hello",
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    ] {
        let result = load_pem(text).await;
        assert!(
            matches!(result, Err(IdentityError::InvalidX509Bundle { .. })),
            "{text:?}"
        );
    }
}

#[tokio::test]
async fn a_pem_bundle_loads_and_names_nothing_when_valid() {
    let ca = support::certs::TestCa::new("test ca");

    let bundles = load_pem(&ca.pem).await.expect("loads");

    assert!(bundles.has_x509_bundle());
    assert!(!bundles.has_jwt_bundle());
}

#[tokio::test]
async fn a_configuration_without_any_bundle_does_not_load() {
    let config = IdentityConfig::new("example.org".parse().expect("trust domain"));

    let result = TrustBundles::load(&config).await;

    assert!(
        matches!(result, Err(IdentityError::NoBundleSource)),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_unreachable_workload_api_does_not_load() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut config = config(None, None);
    let socket = format!("unix://{}", dir.path().join("agent.sock").display());
    config.workload_api_socket = Some(socket.clone());

    let result = TrustBundles::load(&config).await;

    assert!(
        matches!(&result, Err(IdentityError::WorkloadApi { socket: s, .. }) if *s == socket),
        "{result:?}"
    );
}

// ---- rotation ----

#[tokio::test]
async fn a_key_removed_from_the_bundle_stops_verifying_and_a_new_key_starts() {
    let old = TestKey::p256("key-old", 1);
    let new = TestKey::p256("key-new", 2);
    let fixture = JwtFixture::new(&[&old]).await;
    let verifier = fixture.verifier();
    let old_token = old.token("ES256");
    verifier
        .verify(&old_token, now())
        .expect("old key verifies, and is cached");
    assert!(matches!(
        verifier.verify(&new.token("ES256"), now()),
        Err(Refusal::UnknownKeyId { .. })
    ));

    let shutdown = CancellationToken::new();
    let watcher = fixture.bundles.watch(shutdown.clone());
    let mut changes = fixture.bundles.subscribe();
    support::bundles::write_jwks(&fixture.path, &[&new]);
    next_change(&mut changes).await;

    let refusal = verifier.verify(&old_token, now());
    assert!(
        matches!(refusal, Err(Refusal::UnknownKeyId { .. })),
        "cached token: {refusal:?}"
    );
    verifier
        .verify(&new.token("ES256"), now())
        .expect("new key verifies");

    support::bundles::write_jwks(&fixture.path, &[&old, &new]);
    next_change(&mut changes).await;
    verifier
        .verify(&old_token, now())
        .expect("old key verifies again");

    shutdown.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(5), watcher)
        .await
        .expect("watcher stops on shutdown")
        .expect("watcher did not panic");
}

#[tokio::test]
async fn a_broken_bundle_file_keeps_the_last_good_bundle() {
    let logs = CapturedLogs::default();
    let _guard = logs.install();
    let key = TestKey::p256("key-1", 1);
    let fixture = JwtFixture::new(&[&key]).await;
    let verifier = fixture.verifier();
    let shutdown = CancellationToken::new();
    let _watcher = fixture.bundles.watch(shutdown.clone());

    replace_file(&fixture.path, b"{\"keys\": [");
    logs.wait_for("bundle file is broken").await;
    verifier
        .verify(&key.token("ES256"), now())
        .expect("last good bundle still in force");

    std::fs::remove_file(&fixture.path).expect("remove bundle");
    logs.wait_for("cannot read jwt bundle").await;
    verifier
        .verify(&key.token("ES256"), now())
        .expect("last good bundle still in force");

    let mut changes = fixture.bundles.subscribe();
    let rotated = TestKey::p256("key-2", 2);
    support::bundles::write_jwks(&fixture.path, &[&rotated]);
    next_change(&mut changes).await;
    verifier
        .verify(&rotated.token("ES256"), now())
        .expect("repaired bundle in force");
    assert_eq!(
        logs.text().matches("bundle file is broken").count(),
        2,
        "{}",
        logs.text()
    );
    shutdown.cancel();
}

#[tokio::test]
async fn rewriting_an_identical_bundle_changes_nothing() {
    let key = TestKey::p256("key-1", 1);
    let fixture = JwtFixture::new(&[&key]).await;
    let changes = fixture.bundles.subscribe();
    let shutdown = CancellationToken::new();
    let _watcher = fixture.bundles.watch(shutdown.clone());

    let bytes = std::fs::read(&fixture.path).expect("read bundle");
    replace_file(&fixture.path, &bytes);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;

    assert!(
        !changes.has_changed().expect("alive"),
        "an identical bundle was re-installed"
    );
    shutdown.cancel();
}

#[tokio::test]
async fn extra_trust_domains_share_the_bundle_file() {
    let key = TestKey::p256("key-1", 1);
    let fixture = JwtFixture::with_config(&[&key], |config| {
        config.extra_trust_domains = vec!["partner.org".parse().expect("trust domain")];
    })
    .await;
    let verifier = JwtSvidVerifier::new(Arc::clone(&fixture.bundles), &fixture.config);
    let token = support::keys::Token::new()
        .claim("sub", json!("spiffe://partner.org/agent"))
        .sign_with(&key, "ES256");

    verifier.verify(&token, now()).expect("accepted");
}
