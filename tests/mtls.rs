//! X.509-SVIDs end to end: the real gateway serves `/mcp` over TLS, takes the
//! agent's SPIFFE ID from its client certificate (made by a test CA with
//! Python's `cryptography`), and refuses untrusted chains and certificates
//! with zero or several URI SANs with an HTTP 401 and the reason.

mod support;

use std::path::Path;

use reqwest::StatusCode;
use support::credentials::Credentials;
use support::http::{Reply, initialize, post, tools_list};
use support::process::{Gateway, agent_id};
use support::{GatewayLaunch, demo_upstream};

/// A gateway serving TLS with the test PKI, trusting both the test CA for
/// client certificates and the JWT bundle for bearer tokens.
fn launch(credentials: &Credentials, pki: &Path) -> Gateway {
    let tls = format!(
        "[gateway.tls]\ncert = \"{}\"\nkey = \"{}\"\n",
        pki.join("server.pem").display(),
        pki.join("server-key.pem").display()
    );
    let x509 = format!("x509_bundle = \"{}\"", pki.join("ca.pem").display());
    GatewayLaunch::new(demo_upstream("demo", ""))
        .gateway(&tls)
        .identity(&credentials.identity_table(&x509))
        .start()
}

/// An HTTPS client that trusts the test CA and presents `client` (a PEM file
/// with certificate and key), if given.
fn client(pki: &Path, client: Option<&str>) -> reqwest::Client {
    let ca = std::fs::read(pki.join("ca.pem")).expect("ca.pem");
    let ca = reqwest::Certificate::from_pem(&ca).expect("ca certificate");
    let mut builder = reqwest::Client::builder().tls_certs_only([ca]);
    if let Some(name) = client {
        let pem = std::fs::read(pki.join(format!("{name}.pem"))).expect("client pem");
        builder = builder.identity(reqwest::Identity::from_pem(&pem).expect("client identity"));
    }
    builder.build().expect("https client")
}

async fn initialize_with(
    gateway: &Gateway,
    client: &reqwest::Client,
    token: Option<&str>,
) -> Reply {
    post(client, &gateway.url, token, None, &initialize()).await
}

#[tokio::test]
async fn a_client_certificate_proves_the_agent_and_opens_a_session() {
    let credentials = Credentials::new(&["k1:ES256"]);
    let pki = credentials.pki();
    let gateway = launch(&credentials, &pki);
    let agent = client(&pki, Some("agent"));
    assert!(gateway.url.starts_with("https://"), "{}", gateway.url);

    let opened = initialize_with(&gateway, &agent, None).await;

    assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
    let session = opened.session.expect("session id");
    let listed = post(&agent, &gateway.url, None, Some(&session), &tools_list(2)).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    gateway
        .wait_for_log(
            "spiffe://example.org/agent/mtls",
            std::time::Duration::from_secs(5),
        )
        .await;
}

#[tokio::test]
async fn refused_certificates_get_a_401_with_the_reason() {
    let credentials = Credentials::new(&["k1:ES256"]);
    let pki = credentials.pki();
    let gateway = launch(&credentials, &pki);

    for (name, code) in [
        ("foreign", "certificate_chain_not_trusted"),
        ("nouri", "uri_san_count"),
        ("twouri", "uri_san_count"),
    ] {
        let refused = initialize_with(&gateway, &client(&pki, Some(name)), None).await;

        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "{name}: {refused:?}"
        );
        assert_eq!(refused.refusal(), code, "{name}: {refused:?}");
    }
}

#[tokio::test]
async fn without_a_certificate_a_bearer_token_still_works_over_tls() {
    let credentials = Credentials::new(&["k1:ES256"]);
    let pki = credentials.pki();
    let gateway = launch(&credentials, &pki);
    let anonymous = client(&pki, None);
    let token = credentials.jwt("k1", &agent_id("jwt-over-tls"), &[]);

    let bare = initialize_with(&gateway, &anonymous, None).await;
    let with_token = initialize_with(&gateway, &anonymous, Some(&token)).await;

    assert_eq!(bare.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bare.refusal(), "missing_credential");
    assert_eq!(with_token.status, StatusCode::OK, "{with_token:?}");
}

#[tokio::test]
async fn a_certificate_and_a_token_for_different_agents_are_refused() {
    let credentials = Credentials::new(&["k1:ES256"]);
    let pki = credentials.pki();
    let gateway = launch(&credentials, &pki);
    let agent = client(&pki, Some("agent"));
    let other = credentials.jwt("k1", &agent_id("someone-else"), &[]);

    let refused = initialize_with(&gateway, &agent, Some(&other)).await;

    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:?}");
    assert_eq!(refused.refusal(), "credentials_disagree");
}
