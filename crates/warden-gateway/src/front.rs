//! The HTTP listeners: MCP Streamable HTTP at `/mcp` behind workload
//! authentication, the protected-resource metadata that tells MCP clients how
//! to authenticate, and the operator endpoints on the admin address.

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
use serde_json::{Value, json};
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

/// The router of the admin listener.
pub(crate) fn admin_router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(hub)
}

/// Degraded when an upstream is down or the latest policy change was refused
/// (the last good set stays in force meanwhile).
async fn healthz(State(hub): State<Arc<Hub>>) -> Json<Value> {
    let upstreams: Vec<Value> = hub
        .health()
        .into_iter()
        .map(|(name, ready, reason)| json!({ "name": name, "ready": ready, "reason": reason }))
        .collect();
    let all_ready = upstreams
        .iter()
        .all(|upstream| upstream["ready"] == json!(true));
    let policy = hub.policy().status();

    Json(json!({
        "status": if all_ready && policy.last_error.is_none() { "ok" } else { "degraded" },
        "sessions": hub.relay().sessions.len(),
        "upstreams": upstreams,
        "policy": {
            "version": policy.version.as_str(),
            "error": policy.last_error,
            "reload_failures": policy.reload_failures,
        },
    }))
}

/// Prometheus text exposition of the gateway's gauges and counters.
async fn metrics(State(hub): State<Arc<Hub>>) -> String {
    let policy = hub.policy().status();
    let ready = hub.health().iter().filter(|(_, ready, _)| *ready).count();
    format!(
        "# HELP warden_policy_reload_failures_total Policy changes refused since start.\n\
         # TYPE warden_policy_reload_failures_total counter\n\
         warden_policy_reload_failures_total {failures}\n\
         # HELP warden_policy_broken Whether the latest policy change was refused (1) or not (0).\n\
         # TYPE warden_policy_broken gauge\n\
         warden_policy_broken {broken}\n\
         # HELP warden_policy_info The policy version in force.\n\
         # TYPE warden_policy_info gauge\n\
         warden_policy_info{{version=\"{version}\"}} 1\n\
         # HELP warden_upstreams_ready Upstreams that are connected and answering.\n\
         # TYPE warden_upstreams_ready gauge\n\
         warden_upstreams_ready {ready}\n\
         # HELP warden_sessions Open agent sessions.\n\
         # TYPE warden_sessions gauge\n\
         warden_sessions {sessions}\n",
        failures = policy.reload_failures,
        broken = u8::from(policy.last_error.is_some()),
        version = policy.version.as_str(),
        sessions = hub.relay().sessions.len(),
    )
}
