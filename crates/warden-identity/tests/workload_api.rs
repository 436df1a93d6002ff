//! Bundles from the SPIFFE Workload API, served by a stand-in agent over a real
//! unix socket: first load, per-trust-domain binding, updates and reconnection.

mod support;

use std::sync::Arc;

use rustls::pki_types::UnixTime;
use serde_json::json;
use support::agent::{Bundles, FakeAgent};
use support::bundles::{config, next_change};
use support::certs::TestCa;
use support::keys::{TestKey, Token, now};
use tokio_util::sync::CancellationToken;
use warden_identity::{
    IdentityConfig, IdentityError, JwtSvidVerifier, Refusal, TrustBundles, client_cert_verifier,
};

fn jwks(keys: &[&TestKey]) -> Vec<u8> {
    let keys: Vec<_> = keys.iter().map(|key| key.jwk()).collect();
    json!({ "keys": keys }).to_string().into_bytes()
}

fn bundles(entries: &[(&str, Vec<u8>)]) -> Bundles {
    entries
        .iter()
        .map(|(domain, bytes)| (format!("spiffe://{domain}"), bytes.clone()))
        .collect()
}

fn agent_config(agent: &FakeAgent) -> IdentityConfig {
    let mut config = config(None, None);
    config.workload_api_socket = Some(agent.address());
    config
}

#[tokio::test]
async fn bundles_load_from_the_workload_api_and_follow_its_updates() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = TestKey::p256("key-1", 1);
    let second = TestKey::p256("key-2", 2);
    let ca = TestCa::new("agent ca");
    let agent = FakeAgent::start(
        &dir.path().join("agent.sock"),
        bundles(&[("example.org", jwks(&[&first]))]),
        bundles(&[("example.org", ca.der.to_vec())]),
    );
    let config = agent_config(&agent);
    let loaded = TrustBundles::load(&config)
        .await
        .expect("loads from the workload api");
    let verifier = JwtSvidVerifier::new(Arc::clone(&loaded), &config);
    verifier
        .verify(&first.token("ES256"), now())
        .expect("first key verifies");

    let chain = client_cert_verifier(Arc::clone(&loaded), true).expect("x.509 bundle loaded");
    let leaf = ca.leaf(&["spiffe://example.org/agent"]);
    chain
        .verify_client_cert(&leaf.der, &[], UnixTime::now())
        .expect("agent ca's leaf chains");

    let shutdown = CancellationToken::new();
    let _watcher = loaded.watch(shutdown.clone());
    let mut changes = loaded.subscribe();
    agent
        .jwt
        .send_replace(bundles(&[("example.org", jwks(&[&second]))]));
    next_change(&mut changes).await;

    let refusal = verifier.verify(&first.token("ES256"), now());
    assert!(
        matches!(refusal, Err(Refusal::UnknownKeyId { .. })),
        "{refusal:?}"
    );
    verifier
        .verify(&second.token("ES256"), now())
        .expect("second key verifies");
    shutdown.cancel();
}

#[tokio::test]
async fn each_trust_domain_is_vouched_for_by_its_own_bundle_only() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let local = TestKey::p256("key-local", 1);
    let partner = TestKey::p256("key-partner", 2);
    let stranger = TestKey::p256("key-stranger", 3);
    let agent = FakeAgent::start(
        &dir.path().join("agent.sock"),
        bundles(&[
            ("example.org", jwks(&[&local])),
            ("partner.org", jwks(&[&partner])),
            ("stranger.org", jwks(&[&stranger])),
        ]),
        bundles(&[("example.org", TestCa::new("ca").der.to_vec())]),
    );
    let mut config = agent_config(&agent);
    config.extra_trust_domains = vec!["partner.org".parse().expect("trust domain")];
    let loaded = TrustBundles::load(&config).await.expect("loads");
    let verifier = JwtSvidVerifier::new(loaded, &config);
    let as_partner = Token::new().claim("sub", json!("spiffe://partner.org/agent"));

    verifier
        .verify(&as_partner.sign_with(&partner, "ES256"), now())
        .expect("partner key");
    let crossed = verifier.verify(&as_partner.sign_with(&local, "ES256"), now());
    assert!(
        matches!(crossed, Err(Refusal::UnknownKeyId { .. })),
        "{crossed:?}"
    );
    let as_stranger = Token::new().claim("sub", json!("spiffe://stranger.org/agent"));
    let refused = verifier.verify(&as_stranger.sign_with(&stranger, "ES256"), now());
    assert!(
        matches!(refused, Err(Refusal::UntrustedTrustDomain { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_workload_api_without_the_primary_trust_domain_does_not_load() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let key = TestKey::p256("key-1", 1);
    let agent = FakeAgent::start(
        &dir.path().join("agent.sock"),
        bundles(&[("partner.org", jwks(&[&key]))]),
        bundles(&[("partner.org", TestCa::new("ca").der.to_vec())]),
    );

    let result = TrustBundles::load(&agent_config(&agent)).await;

    match result {
        Err(IdentityError::WorkloadApi { reason, .. }) => {
            assert!(
                reason.contains("no jwt bundle for trust domain `example.org`"),
                "{reason}"
            );
        }
        other => panic!("expected a workload api error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_watcher_reconnects_after_the_agent_restarts() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let socket = dir.path().join("agent.sock");
    let first = TestKey::p256("key-1", 1);
    let second = TestKey::p256("key-2", 2);
    let x509 = bundles(&[("example.org", TestCa::new("ca").der.to_vec())]);
    let agent = FakeAgent::start(
        &socket,
        bundles(&[("example.org", jwks(&[&first]))]),
        x509.clone(),
    );
    let config = agent_config(&agent);
    let loaded = TrustBundles::load(&config).await.expect("loads");
    let verifier = JwtSvidVerifier::new(Arc::clone(&loaded), &config);
    let shutdown = CancellationToken::new();
    let _watcher = loaded.watch(shutdown.clone());

    agent.stop().await;
    let mut changes = loaded.subscribe();
    let _restarted = FakeAgent::start(&socket, bundles(&[("example.org", jwks(&[&second]))]), x509);
    next_change(&mut changes).await;

    verifier
        .verify(&second.token("ES256"), now())
        .expect("bundle from the restarted agent");
    shutdown.cancel();
}
