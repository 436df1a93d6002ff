//! Workload identity end to end: the real gateway verifies JWT-SVIDs minted by
//! PyJWT against a bundle on disk, refuses each bad credential with its own
//! reason, binds sessions to the identity that opened them, and follows a
//! rotated bundle without a restart.

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use support::credentials::Credentials;
use support::http::{open_session, post, tools_list};
use support::process::{Gateway, agent_id};
use support::{GatewayLaunch, demo_upstream};

fn launch(credentials: &Credentials, identity_extra: &str) -> Gateway {
    GatewayLaunch::new(demo_upstream("demo", ""))
        .identity(&credentials.identity_table(identity_extra))
        .start()
}

#[tokio::test]
async fn a_request_without_a_credential_is_pointed_to_the_resource_metadata() {
    let credentials = Credentials::new(&["k1:ES256"]);
    let gateway = launch(&credentials, "");
    let client = reqwest::Client::new();

    let refused = post(&client, &gateway.url, None, None, &tools_list(1)).await;

    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.refusal(), "missing_credential");
    let origin = gateway.url.trim_end_matches("/mcp");
    let metadata_url = format!("{origin}/.well-known/oauth-protected-resource/mcp");
    assert_eq!(
        refused.challenge,
        format!("Bearer realm=\"warden\", resource_metadata=\"{metadata_url}\"")
    );

    let metadata: serde_json::Value = client
        .get(&metadata_url)
        .send()
        .await
        .expect("metadata served")
        .json()
        .await
        .expect("metadata is JSON");
    assert_eq!(metadata["resource"], json!(gateway.url));
    assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));
}

#[tokio::test]
async fn every_bad_credential_is_refused_with_its_own_reason() {
    let credentials = Credentials::new(&["k1:ES256", "k2:ES256", "r1:RS256"]);
    let stranger = Credentials::new(&["ghost:ES256"]);
    let gateway = launch(&credentials, "");
    let client = reqwest::Client::new();
    let agent = agent_id("bad");
    let jwt = |kid: &str, sub: &str, flags: &[&str]| credentials.jwt(kid, sub, flags);

    let cases = [
        ("garbage", "not.a.jwt".to_owned()),
        ("unknown kid", stranger.jwt("ghost", &agent, &[])),
        ("bad signature", jwt("k1", &agent, &["--sign-with", "k2"])),
        (
            "rsa under an ec key",
            jwt("k1", &agent, &["--sign-with", "r1"]),
        ),
        ("alg none", jwt("k1", &agent, &["--alg", "none"])),
        ("alg HS256", jwt("k1", &agent, &["--alg", "HS256"])),
        ("expired", jwt("k1", &agent, &["--exp", "-120"])),
        ("nbf ahead", jwt("k1", &agent, &["--nbf", "600"])),
        ("iat ahead", jwt("k1", &agent, &["--iat", "600"])),
        (
            "wrong audience",
            credentials.jwt_for("k1", &agent, "spiffe://example.org/other", &[]),
        ),
        (
            "foreign trust domain",
            jwt("k1", "spiffe://evil.example/agent/x", &[]),
        ),
        ("not a spiffe id", jwt("k1", "agent-x", &[])),
    ];
    let expected = [
        "malformed_token",
        "unknown_key_id",
        "bad_signature",
        "key_algorithm_mismatch",
        "algorithm_not_allowed",
        "algorithm_not_allowed",
        "expired",
        "not_yet_valid",
        "not_yet_valid",
        "wrong_audience",
        "untrusted_trust_domain",
        "not_spiffe_id",
    ];

    for ((case, token), code) in cases.iter().zip(expected) {
        let refused = post(&client, &gateway.url, Some(token), None, &tools_list(1)).await;

        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "{case}: {refused:?}"
        );
        assert_eq!(refused.refusal(), code, "{case}: {refused:?}");
        assert!(
            refused.challenge.contains("error=\"invalid_token\""),
            "{case}: {}",
            refused.challenge
        );
    }

    let basic = client
        .post(&gateway.url)
        .header("authorization", "Basic dXNlcjpwYXNz")
        .body("{}")
        .send()
        .await
        .expect("answer");
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    let good = jwt("k1", &agent, &[]);
    let session = open_session(&client, &gateway.url, &good).await;
    let listed = post(
        &client,
        &gateway.url,
        Some(&good),
        Some(&session),
        &tools_list(2),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "still serving: {listed:?}");
    gateway
        .wait_for_log("refusal.code=bad_signature", Duration::from_secs(5))
        .await;
}

#[tokio::test]
async fn a_session_serves_only_the_identity_that_opened_it() {
    let credentials = Credentials::new(&["k1:ES256"]);
    let gateway = launch(&credentials, "");
    let client = reqwest::Client::new();
    let alice = credentials.jwt("k1", &agent_id("alice"), &[]);
    let mallory = credentials.jwt("k1", &agent_id("mallory"), &[]);
    let session = open_session(&client, &gateway.url, &alice).await;

    let hijack = post(
        &client,
        &gateway.url,
        Some(&mallory),
        Some(&session),
        &tools_list(2),
    )
    .await;
    let bare = post(&client, &gateway.url, None, Some(&session), &tools_list(3)).await;
    let owner = post(
        &client,
        &gateway.url,
        Some(&alice),
        Some(&session),
        &tools_list(4),
    )
    .await;

    assert_eq!(hijack.status, StatusCode::FORBIDDEN, "{hijack:?}");
    assert_eq!(hijack.refusal(), "foreign_session");
    assert!(
        !hijack.body.to_string().contains("alice"),
        "the owner is not disclosed: {hijack:?}"
    );
    assert_eq!(bare.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bare.refusal(), "missing_credential");
    assert_eq!(owner.status, StatusCode::OK, "{owner:?}");
    assert!(owner.body["result"]["tools"].is_array(), "{owner:?}");
}

#[tokio::test]
async fn a_session_id_the_gateway_never_issued_is_not_found() {
    let credentials = Credentials::new(&["k1:ES256"]);
    let gateway = launch(&credentials, "");
    let client = reqwest::Client::new();
    let token = credentials.jwt("k1", &agent_id("guesser"), &[]);

    let guessed = post(
        &client,
        &gateway.url,
        Some(&token),
        Some("made-up"),
        &tools_list(1),
    )
    .await;

    assert_eq!(guessed.status, StatusCode::NOT_FOUND, "{guessed:?}");
    assert_eq!(guessed.refusal(), "unknown_session");
}

#[tokio::test]
async fn a_rotated_bundle_is_followed_without_a_restart() {
    let credentials = Credentials::new(&["old:ES256", "new:ES384"]);
    credentials.publish(&["old:ES256"]);
    let gateway = launch(&credentials, "");
    let client = reqwest::Client::new();
    let agent = agent_id("rotating");
    let old = credentials.jwt("old", &agent, &[]);
    let new = credentials.jwt("new", &agent, &[]);
    let session = open_session(&client, &gateway.url, &old).await;

    credentials.publish(&["new:ES384"]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let reply = post(
            &client,
            &gateway.url,
            Some(&old),
            Some(&session),
            &tools_list(2),
        )
        .await;
        if reply.status == StatusCode::UNAUTHORIZED {
            assert_eq!(reply.refusal(), "unknown_key_id", "{reply:?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the old key still verifies after rotation: {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let rotated = post(
        &client,
        &gateway.url,
        Some(&new),
        Some(&session),
        &tools_list(3),
    )
    .await;
    assert_eq!(rotated.status, StatusCode::OK, "{rotated:?}");
}

#[tokio::test]
async fn a_token_that_expires_mid_session_is_refused_on_the_next_request() {
    let credentials = Credentials::new(&["k1:ES256"]);
    let gateway = launch(&credentials, "clock_skew = \"0s\"");
    let client = reqwest::Client::new();
    let short = credentials.jwt("k1", &agent_id("brief"), &["--exp", "3"]);
    let session = open_session(&client, &gateway.url, &short).await;
    let fresh = post(
        &client,
        &gateway.url,
        Some(&short),
        Some(&session),
        &tools_list(2),
    )
    .await;
    assert_eq!(fresh.status, StatusCode::OK, "{fresh:?}");

    tokio::time::sleep(Duration::from_secs(4)).await;
    let stale = post(
        &client,
        &gateway.url,
        Some(&short),
        Some(&session),
        &tools_list(3),
    )
    .await;

    assert_eq!(stale.status, StatusCode::UNAUTHORIZED, "{stale:?}");
    assert_eq!(stale.refusal(), "expired");
    let renewed = credentials.jwt("k1", &agent_id("brief"), &[]);
    let again = post(
        &client,
        &gateway.url,
        Some(&renewed),
        Some(&session),
        &tools_list(4),
    )
    .await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "a renewed svid keeps the session: {again:?}"
    );
}

#[tokio::test]
async fn a_development_svid_is_refused_unless_its_bundle_is_named() {
    let credentials = Credentials::new(&["k1:ES256"]);
    let gateway = launch(&credentials, "");
    let client = reqwest::Client::new();

    let dev_token = gateway.svid(&agent_id("dev"));
    let refused = post(
        &client,
        &gateway.url,
        Some(&dev_token),
        None,
        &tools_list(1),
    )
    .await;

    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:?}");
    assert_eq!(refused.refusal(), "unknown_key_id");
}
