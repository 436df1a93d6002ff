//! The HTTP listeners: MCP Streamable HTTP at `/mcp` behind workload
//! authentication, the protected-resource metadata that tells MCP clients how
//! to authenticate, and the operator endpoints on the admin address.

pub(crate) mod admin;
pub(crate) mod auth;
mod bindings;
mod challenge;
pub(crate) mod discovery;
mod jsonrpc_errors;
pub(crate) mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::config::GatewayConfig;
use crate::hub::Hub;
use crate::relay::handler::GatewayHandler;
use auth::Authenticator;
use discovery::{METADATA_PATH, METADATA_PATH_MCP};

/// Host names accepted on every deployment, in addition to the configured ones.
const LOOPBACK_HOSTS: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// The router of the agent-facing listener: every request to `/mcp` passes
/// the authenticator first.
pub(crate) fn mcp_router(
    hub: Arc<Hub>,
    auth: Arc<Authenticator>,
    bound: SocketAddr,
    shutdown: CancellationToken,
) -> Router {
    let config = http_config(hub.config(), bound, shutdown.clone());
    let sessions = Arc::new(LocalSessionManager::default());
    tokio::spawn(Arc::clone(&auth).sweep(Arc::clone(&sessions), shutdown));
    let factory_hub = Arc::clone(&hub);
    let service = StreamableHttpService::new(
        move || Ok(GatewayHandler::new(Arc::clone(&factory_hub))),
        sessions,
        config,
    );

    let mcp =
        Router::new()
            .nest_service("/mcp", service)
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&auth),
                auth::authenticate,
            ));
    Router::new()
        .route(METADATA_PATH, get(resource_metadata))
        .route(METADATA_PATH_MCP, get(resource_metadata))
        .with_state(auth)
        .merge(mcp)
        .layer(axum::middleware::map_response(jsonrpc_errors::rewrite))
}

async fn resource_metadata(
    State(auth): State<Arc<Authenticator>>,
    headers: HeaderMap,
) -> Json<Value> {
    auth.metadata().document(&headers)
}

/// `Host` values the gateway answers to on `/mcp`.
pub(crate) fn allowed_hosts(gateway: &GatewayConfig, bound: SocketAddr) -> Vec<String> {
    let mut hosts: Vec<String> = LOOPBACK_HOSTS
        .iter()
        .map(|host| (*host).to_owned())
        .collect();
    hosts.push(bound.ip().to_string());
    hosts.extend(gateway.allowed_hosts.iter().cloned());
    hosts
}

fn http_config(
    gateway: &GatewayConfig,
    bound: SocketAddr,
    shutdown: CancellationToken,
) -> StreamableHttpServerConfig {
    let hosts = allowed_hosts(gateway, bound);

    let mut origins = own_origins(bound);
    origins.extend(gateway.allowed_origins.iter().cloned());

    StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        .enforce_origin_validation()
        .with_max_request_body_bytes(gateway.max_body_bytes)
        .with_cancellation_token(shutdown)
}

/// Pages served by the gateway's own address may call it; any other browser
/// origin must be listed in `allowed_origins`.
fn own_origins(bound: SocketAddr) -> Vec<String> {
    let port = bound.port();
    let ip = match bound.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    [
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "[::1]".to_owned(),
        ip,
    ]
    .into_iter()
    .map(|host| format!("http://{host}:{port}"))
    .collect()
}
