//! The Warden gateway: an MCP server for agents in front of the MCP servers
//! that hold the tools.
//!
//! Agents connect over Streamable HTTP at `/mcp` and prove a SPIFFE workload
//! identity on every request. Each registered upstream (a
//! stdio child process or a Streamable HTTP endpoint) is kept connected by a
//! supervisor; its tools, prompts and resources are re-exported under a
//! prefix, and every request is forwarded to the upstream that serves it, with
//! progress, cancellation, log messages and the upstream's own requests to the
//! agent (sampling, elicitation, roots) relayed to the agent that asked.
//!
//! ```no_run
//! # async fn run() -> Result<(), warden_gateway::GatewayError> {
//! use warden_gateway::{Config, Gateway};
//!
//! let config = Config::embedded_default()?;
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! let gateway = Gateway::start(config, shutdown).await?;
//! println!("MCP endpoint: {}", gateway.mcp_url());
//! gateway.serve().await
//! # }
//! ```

#![allow(
    deprecated,
    reason = "the gateway relays logging, sampling, roots and resource subscriptions, which rmcp \
              deprecates for protocol 2026-07-28 but agents on earlier versions still use"
)]

mod audit;
mod authentication;
pub mod bridge;
pub mod config;
mod error;
mod front;
mod hints;
mod hub;
mod relay;
mod routes;
mod tasks;
mod upstream;
mod uri_template;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use warden_policy::PolicyStore;

use authentication::Authentication;
pub use config::{Config, ConfigError};
pub use error::GatewayError;
use hub::Hub;

/// A started gateway: listeners bound, upstreams started, not yet serving.
pub struct Gateway {
    hub: Arc<Hub>,
    authentication: Authentication,
    mcp: TcpListener,
    admin: Option<TcpListener>,
    shutdown: CancellationToken,
}

impl Gateway {
    /// Binds the listeners, loads the trust bundles and starts every
    /// upstream, waiting for each one's first connection attempt. An upstream
    /// that fails to start does not stop the gateway; a broken bundle or
    /// clashing exported names do.
    pub async fn start(config: Config, shutdown: CancellationToken) -> Result<Self, GatewayError> {
        let mcp = bind(config.gateway.listen).await?;
        let admin = match config.gateway.admin_listen {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let authentication = Authentication::start(&config, local_addr(&mcp), &shutdown).await?;
        let policy = start_policy(&config, &shutdown)?;
        let hub = Hub::start(config, policy, &shutdown).await?;

        Ok(Self {
            hub,
            authentication,
            mcp,
            admin,
            shutdown,
        })
    }

    /// The bound address of the MCP listener.
    pub fn mcp_addr(&self) -> SocketAddr {
        local_addr(&self.mcp)
    }

    /// The URL of the MCP endpoint: `https` when the listener serves TLS.
    pub fn mcp_url(&self) -> String {
        let scheme = if self.authentication.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}/mcp", self.mcp_addr())
    }

    /// The bound address of the admin listener, if one is configured.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().map(local_addr)
    }

    /// Serves until the shutdown token is cancelled.
    pub async fn serve(self) -> Result<(), GatewayError> {
        let mcp_addr = self.mcp_addr();
        let Authentication { authenticator, tls } = self.authentication;
        let router = front::mcp_router(
            Arc::clone(&self.hub),
            Arc::clone(&authenticator),
            mcp_addr,
            self.shutdown.clone(),
        );
        let shutdown = self.shutdown.clone();
        let mcp_server = async move {
            match tls {
                Some((acceptor, check)) => {
                    front::tls::serve(self.mcp, acceptor, check, router, shutdown).await
                }
                None => {
                    let service = router.into_make_service_with_connect_info::<SocketAddr>();
                    axum::serve(self.mcp.tap_io(no_delay), service)
                        .with_graceful_shutdown(async move { shutdown.cancelled().await })
                        .await
                }
            }
        };

        let admin_server = self.admin.map(|listener| {
            let shutdown = self.shutdown.clone();
            let router = front::admin::router(Arc::clone(&self.hub), authenticator);
            axum::serve(listener, router)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
        });

        tracing::info!(listen.addr = %mcp_addr, "gateway serving MCP at /mcp");
        let served = match admin_server {
            Some(admin) => tokio::try_join!(mcp_server, admin.into_future()).map(drop),
            None => mcp_server.await,
        };
        self.hub.audit().close().await;
        served.map_err(|source| GatewayError::Bind {
            addr: mcp_addr,
            source,
        })
    }
}

/// Loads the policy set (a broken one refuses the start), archives each
/// version in the data directory for later replay, and follows changes.
fn start_policy(
    config: &Config,
    shutdown: &CancellationToken,
) -> Result<Arc<PolicyStore>, GatewayError> {
    let gateway = &config.gateway;
    let archive = gateway.data_dir.join("policy-versions");
    let store = PolicyStore::start(&gateway.policy_dir, config.policy, Some(archive))?;
    store.watch(shutdown.child_token());
    Ok(store)
}

/// Sends small writes at once: a streamed MCP response leaves in several
/// pieces, and a client that reuses its connection would otherwise wait for a
/// delayed acknowledgement on every call.
pub(crate) fn no_delay(stream: &mut tokio::net::TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY on an agent connection");
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, GatewayError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| GatewayError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener) -> SocketAddr {
    listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
}
