//! X.509-SVIDs: reading the SPIFFE ID from a client certificate, and real TLS
//! handshakes over loopback TCP against the rustls verifier, rotation included.

mod support;

use std::io;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::server::danger::ClientCertVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use support::bundles::{config, next_change};
use support::certs::{Leaf, TestCa};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use warden_identity::{
    IdentityConfig, IdentityError, Proof, Refusal, TrustBundles, client_cert_verifier,
    deferred_client_verifier, identity_from_certificate, identity_from_chain,
    refusal_from_tls_error, spiffe_id_from_certificate,
};

const AGENT: &str = "spiffe://example.org/agent/reviewer";

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// An X.509 bundle file with `ca`, loaded.
struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    bundles: Arc<TrustBundles>,
    ca: TestCa,
}

impl Fixture {
    async fn new() -> Self {
        let ca = TestCa::new("example.org ca");
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("roots.pem");
        std::fs::write(&path, &ca.pem).expect("write roots");
        let bundles = TrustBundles::load(&config(None, Some(path.clone())))
            .await
            .expect("loads");
        Self {
            _dir: dir,
            path,
            bundles,
            ca,
        }
    }

    fn server_config(&self, mandatory: bool) -> Arc<ServerConfig> {
        let verifier =
            client_cert_verifier(Arc::clone(&self.bundles), mandatory).expect("verifier");
        self.server_with(verifier)
    }

    fn deferred_server_config(&self) -> Arc<ServerConfig> {
        self.server_with(deferred_client_verifier(&self.bundles).expect("verifier"))
    }

    fn server_with(&self, verifier: Arc<dyn ClientCertVerifier>) -> Arc<ServerConfig> {
        let server = self.ca.server();
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![server.der], server.key)
            .expect("server certificate");
        Arc::new(config)
    }

    fn client_config(&self, client: Option<Leaf>) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.der.clone()).expect("server root");
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots);
        let config = match client {
            Some(leaf) => builder
                .with_client_auth_cert(leaf.chain, leaf.key)
                .expect("client"),
            None => builder.with_no_client_auth(),
        };
        Arc::new(config)
    }
}

/// Runs one handshake over loopback TCP and returns what the server saw: the
/// client's certificates, or the handshake error.
async fn handshake(
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
) -> Result<Vec<CertificateDer<'static>>, io::Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("address");

    let serve = async move {
        let (tcp, _) = listener.accept().await?;
        let mut tls = tokio_rustls::TlsAcceptor::from(server).accept(tcp).await?;
        let certificates = tls
            .get_ref()
            .1
            .peer_certificates()
            .unwrap_or_default()
            .to_vec();
        tls.write_all(b"ok").await?;
        tls.shutdown().await?;
        Ok(certificates)
    };
    let connect = async move {
        let tcp = tokio::net::TcpStream::connect(address).await?;
        let name = ServerName::try_from("localhost").expect("server name");
        let mut tls = tokio_rustls::TlsConnector::from(client)
            .connect(name, tcp)
            .await?;
        let mut answer = Vec::new();
        tls.read_to_end(&mut answer).await?;
        io::Result::Ok(())
    };

    let within = std::time::Duration::from_secs(10);
    let (served, _) = tokio::time::timeout(within, async { tokio::join!(serve, connect) })
        .await
        .expect("handshake finished within 10 s");
    served
}

fn refusal_of(result: Result<Vec<CertificateDer<'static>>, io::Error>) -> Refusal {
    let error = result.expect_err("the server refused the handshake");
    refusal_from_tls_error(&error).unwrap_or_else(|| panic!("not a refusal: {error}"))
}

// ---- handshakes ----

#[tokio::test]
async fn a_client_certificate_from_the_bundle_ca_proves_its_spiffe_id() {
    let fixture = Fixture::new().await;
    let client = fixture.client_config(Some(fixture.ca.leaf(&[AGENT])));

    let certificates = handshake(fixture.server_config(true), client)
        .await
        .expect("accepted");
    let identity =
        identity_from_certificate(&certificates[0], fixture.bundles.config()).expect("identity");

    assert_eq!(identity.spiffe_id.to_string(), AGENT);
    assert_eq!(identity.proof, Proof::X509Svid);
}

#[tokio::test]
async fn a_client_certificate_from_a_foreign_ca_is_not_trusted() {
    let fixture = Fixture::new().await;
    let foreign = TestCa::new("foreign ca");
    let client = fixture.client_config(Some(foreign.leaf(&[AGENT])));

    let refusal = refusal_of(handshake(fixture.server_config(true), client).await);

    assert!(
        matches!(refusal, Refusal::CertificateChainNotTrusted { .. }),
        "{refusal:?}"
    );
    assert_eq!(refusal.code(), "certificate_chain_not_trusted");
}

#[tokio::test]
async fn a_client_certificate_with_two_uri_sans_fails_the_handshake() {
    let fixture = Fixture::new().await;
    let leaf = fixture
        .ca
        .leaf(&[AGENT, "spiffe://example.org/agent/other"]);

    let refusal = refusal_of(
        handshake(
            fixture.server_config(true),
            fixture.client_config(Some(leaf)),
        )
        .await,
    );

    assert_eq!(refusal, Refusal::UriSanCount { count: 2 });
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused_when_one_is_mandatory() {
    let fixture = Fixture::new().await;

    let refusal =
        refusal_of(handshake(fixture.server_config(true), fixture.client_config(None)).await);

    assert_eq!(refusal, Refusal::MissingCredential);
}

#[tokio::test]
async fn a_client_without_a_certificate_connects_when_one_is_optional() {
    let fixture = Fixture::new().await;

    let certificates = handshake(fixture.server_config(false), fixture.client_config(None))
        .await
        .expect("accepted without a certificate");

    assert!(certificates.is_empty());
}

#[tokio::test]
async fn a_rotated_x509_bundle_applies_to_the_next_handshake() {
    let fixture = Fixture::new().await;
    let server = fixture.server_config(true);
    let successor = TestCa::new("successor ca");
    let shutdown = CancellationToken::new();
    let _watcher = fixture.bundles.watch(shutdown.clone());
    let mut changes = fixture.bundles.subscribe();

    support::bundles::replace_file(&fixture.path, successor.pem.as_bytes());
    next_change(&mut changes).await;

    let old = fixture.client_config(Some(fixture.ca.leaf(&[AGENT])));
    let refusal = refusal_of(handshake(Arc::clone(&server), old).await);
    assert!(
        matches!(refusal, Refusal::CertificateChainNotTrusted { .. }),
        "{refusal:?}"
    );
    let new = fixture.client_config(Some(successor.leaf(&[AGENT])));
    handshake(server, new)
        .await
        .expect("the successor ca's leaf is accepted");
    shutdown.cancel();
}

#[tokio::test]
async fn a_leaf_issued_by_an_intermediate_ca_is_accepted_with_its_chain() {
    let fixture = Fixture::new().await;
    let intermediate = fixture.ca.subordinate("intermediate ca");
    let leaf = intermediate.leaf(&[AGENT]);

    let client = fixture.client_config(Some(leaf));
    let certificates = handshake(fixture.server_config(true), client)
        .await
        .expect("accepted");

    assert_eq!(certificates.len(), 2, "leaf and intermediate");
}

// ---- checking after the handshake ----

#[tokio::test]
async fn a_deferred_handshake_accepts_any_chain_and_the_chain_check_judges_it() {
    let fixture = Fixture::new().await;
    let config = fixture.bundles.config().clone();
    let trusted = fixture.ca.subordinate("intermediate ca").leaf(&[AGENT]);
    let foreign = TestCa::new("foreign ca").leaf(&[AGENT]);
    let two_sans = fixture
        .ca
        .leaf(&[AGENT, "spiffe://example.org/agent/other"]);

    let chain = handshake(
        fixture.deferred_server_config(),
        fixture.client_config(Some(trusted)),
    )
    .await
    .expect("handshake completes");
    let identity = identity_from_chain(&fixture.bundles, &config, &chain).expect("trusted");
    assert_eq!(identity.spiffe_id.to_string(), AGENT);

    let chain = handshake(
        fixture.deferred_server_config(),
        fixture.client_config(Some(foreign)),
    )
    .await
    .expect("handshake completes");
    let refusal = identity_from_chain(&fixture.bundles, &config, &chain);
    assert!(
        matches!(refusal, Err(Refusal::CertificateChainNotTrusted { .. })),
        "{refusal:?}"
    );

    let chain = handshake(
        fixture.deferred_server_config(),
        fixture.client_config(Some(two_sans)),
    )
    .await
    .expect("handshake completes");
    let refusal = identity_from_chain(&fixture.bundles, &config, &chain);
    assert_eq!(refusal, Err(Refusal::UriSanCount { count: 2 }));
}

#[tokio::test]
async fn a_deferred_handshake_without_a_certificate_leaves_no_chain() {
    let fixture = Fixture::new().await;

    let chain = handshake(
        fixture.deferred_server_config(),
        fixture.client_config(None),
    )
    .await
    .expect("handshake completes");

    assert!(chain.is_empty());
    let refusal = identity_from_chain(&fixture.bundles, fixture.bundles.config(), &chain);
    assert_eq!(refusal, Err(Refusal::MissingCredential));
}

#[tokio::test]
async fn the_chain_check_follows_a_rotated_bundle() {
    let fixture = Fixture::new().await;
    let config = fixture.bundles.config().clone();
    let chain = fixture.ca.leaf(&[AGENT]).chain;
    identity_from_chain(&fixture.bundles, &config, &chain).expect("trusted before rotation");
    let shutdown = CancellationToken::new();
    let _watcher = fixture.bundles.watch(shutdown.clone());
    let mut changes = fixture.bundles.subscribe();

    support::bundles::replace_file(&fixture.path, TestCa::new("successor").pem.as_bytes());
    next_change(&mut changes).await;

    let refusal = identity_from_chain(&fixture.bundles, &config, &chain);
    assert!(
        matches!(refusal, Err(Refusal::CertificateChainNotTrusted { .. })),
        "{refusal:?}"
    );
    shutdown.cancel();
}

#[tokio::test]
async fn a_verifier_needs_an_x509_bundle() {
    let key = support::keys::TestKey::p256("key-1", 1);
    let fixture = support::bundles::JwtFixture::new(&[&key]).await;

    let result = client_cert_verifier(Arc::clone(&fixture.bundles), true);

    assert!(
        matches!(result, Err(IdentityError::NoX509Bundle)),
        "{result:?}"
    );
}

// ---- reading the certificate ----

fn example_config() -> IdentityConfig {
    config(None, None)
}

#[test]
fn a_certificate_without_a_uri_san_is_refused() {
    let ca = TestCa::new("ca");

    let refusal = spiffe_id_from_certificate(&ca.leaf(&[]).der, &example_config());

    assert_eq!(refusal, Err(Refusal::UriSanCount { count: 0 }));
}

#[test]
fn a_certificate_with_two_uri_sans_is_refused() {
    let ca = TestCa::new("ca");
    let leaf = ca.leaf(&[AGENT, "spiffe://example.org/agent/other"]);

    let refusal = spiffe_id_from_certificate(&leaf.der, &example_config());

    assert_eq!(refusal, Err(Refusal::UriSanCount { count: 2 }));
}

#[test]
fn a_certificate_of_another_trust_domain_is_refused() {
    let ca = TestCa::new("ca");
    let leaf = ca.leaf(&["spiffe://evil.example/agent"]);

    let refusal = spiffe_id_from_certificate(&leaf.der, &example_config());

    assert!(
        matches!(refusal, Err(Refusal::UntrustedTrustDomain { .. })),
        "{refusal:?}"
    );
}

#[test]
fn a_certificate_of_an_extra_trust_domain_is_accepted() {
    let ca = TestCa::new("ca");
    let leaf = ca.leaf(&["spiffe://partner.org/agent"]);
    let mut config = example_config();
    config.extra_trust_domains = vec!["partner.org".parse().expect("trust domain")];

    let id = spiffe_id_from_certificate(&leaf.der, &config).expect("accepted");

    assert_eq!(id.to_string(), "spiffe://partner.org/agent");
}

#[test]
fn a_uri_san_that_is_not_a_spiffe_id_is_refused() {
    let ca = TestCa::new("ca");
    let leaf = ca.leaf(&["https://example.org/agent"]);

    let refusal = spiffe_id_from_certificate(&leaf.der, &example_config());

    assert!(
        matches!(refusal, Err(Refusal::NotSpiffeId { .. })),
        "{refusal:?}"
    );
}

#[test]
fn a_ca_certificate_is_not_an_svid() {
    let ca = TestCa::new("ca");

    let refusal = spiffe_id_from_certificate(&ca.intermediate(AGENT).der, &example_config());

    assert_eq!(refusal, Err(Refusal::CertificateIsCa));
}

#[test]
fn bytes_that_are_not_a_certificate_are_refused() {
    let ca = TestCa::new("ca");
    let mut trailing = ca.leaf(&[AGENT]).der.to_vec();
    trailing.push(0);

    for garbage in [&b""[..], b"\x30\x03\x02\x01\x01", b"not der", &trailing] {
        let refusal = spiffe_id_from_certificate(garbage, &example_config());
        assert!(
            matches!(refusal, Err(Refusal::MalformedCertificate { .. })),
            "{refusal:?}"
        );
    }
}

#[test]
fn errors_other_than_certificate_errors_are_not_refusals() {
    let error = rustls::Error::HandshakeNotComplete;

    assert_eq!(refusal_from_tls_error(&error), None);
}
