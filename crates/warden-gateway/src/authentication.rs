//! Setting up workload authentication from the configuration: trust bundles
//! that follow rotation, the JWT-SVID verifier, and for a TLS listener the
//! server certificate and the client-certificate check.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use warden_identity::{JwtSvidVerifier, TrustBundles};

use crate::config::{Config, TlsConfig};
use crate::error::GatewayError;
use crate::front::auth::Authenticator;
use crate::front::discovery::ResourceMetadata;
use crate::front::tls::ChainCheck;

/// What the agent-facing listener needs to authenticate requests.
pub(crate) struct Authentication {
    pub(crate) authenticator: Arc<Authenticator>,
    /// Present when `/mcp` is served over TLS.
    pub(crate) tls: Option<(TlsAcceptor, ChainCheck)>,
}

impl Authentication {
    /// Loads the bundles (refusing to start on a broken one), starts
    /// following their changes until `shutdown`, and builds the verifiers.
    pub(crate) async fn start(
        config: &Config,
        bound: SocketAddr,
        shutdown: &CancellationToken,
    ) -> Result<Self, GatewayError> {
        let identity = &config.identity;
        identity.validate()?;
        let bundles = TrustBundles::load(identity).await?;
        bundles.watch(shutdown.child_token());

        let jwt = identity
            .accepts_jwt_svids()
            .then(|| JwtSvidVerifier::new(Arc::clone(&bundles), identity));
        let tls = match &config.gateway.tls {
            Some(tls) => Some(tls_setup(tls, &bundles, config)?),
            None => None,
        };

        let gateway = &config.gateway;
        let metadata = ResourceMetadata::new(
            tls.is_some(),
            bound.to_string(),
            crate::front::allowed_hosts(gateway, bound),
            gateway.authorization_servers.clone(),
        )
        .with_public_origin(public_origin(gateway.public_url.as_deref()));
        let authenticator = Arc::new(Authenticator::new(jwt, metadata));
        Ok(Self { authenticator, tls })
    }
}

/// The TLS acceptor and the check of client chains against the current
/// X.509 bundle.
fn tls_setup(
    tls: &TlsConfig,
    bundles: &Arc<TrustBundles>,
    config: &Config,
) -> Result<(TlsAcceptor, ChainCheck), GatewayError> {
    let chain = read_certificates(&tls.cert)?;
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|error| {
        GatewayError::Tls(format!(
            "cannot read private key `{}`: {error}",
            tls.key.display()
        ))
    })?;

    let verifier = warden_identity::deferred_client_verifier(bundles)?;
    let mut server = rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|error| GatewayError::Tls(format!("certificate and key: {error}")))?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

    let bundles = Arc::clone(bundles);
    let identity = config.identity.clone();
    let check: ChainCheck = Arc::new(move |chain: &[CertificateDer<'_>]| {
        warden_identity::identity_from_chain(&bundles, &identity, chain)
    });
    Ok((TlsAcceptor::from(Arc::new(server)), check))
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, GatewayError> {
    let unreadable = |error: rustls::pki_types::pem::Error| {
        GatewayError::Tls(format!(
            "cannot read certificates `{}`: {error}",
            path.display()
        ))
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(unreadable)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    if chain.is_empty() {
        return Err(GatewayError::Tls(format!(
            "`{}` holds no PEM certificate: put the server certificate chain there, leaf first",
            path.display()
        )));
    }
    Ok(chain)
}

/// The `scheme://host[:port]` of `gateway.public_url`, validated with the
/// rest of the configuration.
fn public_origin(url: Option<&str>) -> Option<String> {
    let url = reqwest::Url::parse(url?).ok()?;
    Some(url.origin().ascii_serialization())
}
