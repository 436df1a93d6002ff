//! The two ways to reach the demo server: stdio and Streamable HTTP.
//!
//! These are the library's entry points; the `demo-upstream` binary and `warden dev
//! demo-upstream` only parse flags and call one of them. Neither writes anything but
//! protocol to stdout, so stdio mode stays clean.

use std::sync::Arc;

use anyhow::Context as _;
use rmcp::ServiceExt as _;
use rmcp::transport::stdio_pipes;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;

use crate::options::DemoOptions;
use crate::server::DemoServer;

/// The `Host` headers HTTP mode accepts: loopback names only, against DNS rebinding.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Serves one MCP session over stdin and stdout until the client closes stdin.
///
/// # Errors
///
/// Fails when the handshake with the client fails or the session task dies.
pub async fn serve_stdio(options: DemoOptions) -> anyhow::Result<()> {
    tracing::info!(
        server.transport = "stdio",
        server.faults = options.faults,
        server.page_size = options.page_size,
        "demo upstream serving"
    );

    let running = DemoServer::new(options)
        .serve(stdio_pipes())
        .await
        .context("the MCP handshake over stdio failed; start this command from an MCP client")?;
    let reason = running
        .waiting()
        .await
        .context("the stdio session task failed")?;

    tracing::info!(session.end = ?reason, "stdio session ended");
    Ok(())
}

/// Serves Streamable HTTP at `/mcp` on `listener` until the process ends.
///
/// Every session shares one desk. Only loopback `Host` headers are accepted.
///
/// # Errors
///
/// Fails when the listener's address cannot be read or the HTTP server stops with an
/// error.
pub async fn serve_http(listener: TcpListener, options: DemoOptions) -> anyhow::Result<()> {
    let address = listener
        .local_addr()
        .context("cannot read the address of the HTTP listener")?;
    let server = DemoServer::new(options);

    let config = StreamableHttpServerConfig::default().with_allowed_hosts(LOOPBACK_HOSTS);
    let service = StreamableHttpService::new(
        move || Ok(server.new_session()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let router = axum::Router::new().nest_service("/mcp", service);

    tracing::info!(
        server.transport = "http",
        server.address = %address,
        server.faults = options.faults,
        server.page_size = options.page_size,
        "demo upstream serving"
    );
    axum::serve(listener, router)
        .await
        .with_context(|| format!("the HTTP server on {address} stopped"))
}
