//! The agent-facing listener over TLS, where agents may prove their identity
//! with an X.509-SVID client certificate.
//!
//! The handshake proves that the client holds the certificate's key; whether
//! the chain is trusted and which SPIFFE ID it carries is decided afterwards,
//! against the current bundle, so that a refused certificate gets an HTTP 401
//! with its reason like any other credential, instead of a bare TLS alert.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::CertificateDer;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use warden_identity::{Identity, Refusal};

use super::auth::PeerCertificate;

/// Time a client has to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time open connections get to finish after shutdown begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Decides what a presented client chain proves, leaf first.
pub(crate) type ChainCheck =
    Arc<dyn Fn(&[CertificateDer<'_>]) -> Result<Identity, Refusal> + Send + Sync>;

/// Serves `router` over TLS on `listener` until `shutdown`.
pub(crate) async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    check: ChainCheck,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    loop {
        let (mut stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };

        crate::no_delay(&mut stream);
        let acceptor = acceptor.clone();
        let check = Arc::clone(&check);
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let Some(connection) = handshake(&acceptor, stream, client).await else {
                return;
            };
            let peer = peer_certificate(&connection, &check);
            let service = router.map_request(move |mut request: axum::extract::Request<_>| {
                let extensions = request.extensions_mut();
                extensions.insert(ConnectInfo(client));
                if let Some(peer) = &peer {
                    extensions.insert(peer.clone());
                }
                request
            });

            let builder = Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(connection),
                TowerToHyperService::new(service),
            );
            if let Err(error) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(client.addr = %client, %error, "tls connection ended");
            }
        });
    }

    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::debug!("open tls connections did not finish before shutdown");
    }
    Ok(())
}

async fn handshake(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    client: SocketAddr,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(connection)) => Some(connection),
        Ok(Err(error)) => {
            tracing::info!(client.addr = %client, %error, "tls handshake refused");
            None
        }
        Err(_) => {
            tracing::info!(client.addr = %client, "tls handshake timed out");
            None
        }
    }
}

/// What the connection's client certificate proves; `None` without one.
fn peer_certificate(
    connection: &tokio_rustls::server::TlsStream<TcpStream>,
    check: &ChainCheck,
) -> Option<PeerCertificate> {
    let (_, session) = connection.get_ref();
    let chain = session
        .peer_certificates()
        .filter(|chain| !chain.is_empty())?;
    Some(PeerCertificate(check(chain)))
}
