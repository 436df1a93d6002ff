//! An MCP server that carries every fixture the official conformance suite
//! (`@modelcontextprotocol/conformance`, `server` mode) looks for.
//!
//! The suite drives a Streamable HTTP server through scenarios that call
//! tools, prompts and resources by fixed names (`test_*`, `test://…`). No
//! reference server provides all of them, so Warden keeps its own: the suite
//! can then run against this server directly, and against a `warden serve`
//! placed in front of it, and any difference between the two runs is the
//! gateway's doing.
//!
//! Nothing here depends on being contacted directly: state lives per MCP
//! session or per request, client round trips work both as server-to-client
//! requests (protocol versions with sessions) and as multi round-trip
//! results (2026-07-28), and the server accepts only loopback `Host` headers.

use std::sync::Arc;

use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;

mod completion;
mod fixtures;
mod logging;
mod prompts;
mod resources;
mod server;
mod streams;
mod tools;

use server::ConformanceServer;
use streams::RecordingSessionManager;

/// The path at which [`serve`] answers MCP requests.
pub const MCP_PATH: &str = "/mcp";

/// Serves the conformance fixtures over Streamable HTTP at [`MCP_PATH`] on
/// `listener`, until the listener fails.
///
/// Each MCP session gets its own handler, so a logging level set by one
/// client never filters another's messages.
pub async fn serve(listener: TcpListener) -> anyhow::Result<()> {
    let sessions = Arc::new(RecordingSessionManager::default());

    let factory = {
        let sessions = Arc::clone(&sessions);
        move || Ok(ConformanceServer::new(Arc::clone(&sessions)))
    };
    let service =
        StreamableHttpService::new(factory, sessions, StreamableHttpServerConfig::default());

    let router = axum::Router::new().nest_service(MCP_PATH, service);
    axum::serve(listener, router).await?;
    Ok(())
}
