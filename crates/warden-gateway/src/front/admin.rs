//! The admin listener: `/healthz` and `/metrics` for operators, and the
//! task API under `/v1` for approvers, pipelines and auditors, which callers
//! reach with a workload identity and the roles `[roles]` gives it.

mod caller;
mod error;
mod tasks;

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Authenticator;
use crate::hub::Hub;

/// What admin handlers share.
pub(crate) struct AdminState {
    pub(crate) hub: Arc<Hub>,
    pub(crate) auth: Arc<Authenticator>,
}

/// The router of the admin listener.
pub(crate) fn router(hub: Arc<Hub>, auth: Arc<Authenticator>) -> Router {
    let state = Arc::new(AdminState { hub, auth });
    let v1 = Router::new()
        .route("/v1/tasks", get(tasks::list).post(tasks::create))
        .route("/v1/tasks/{id}", get(tasks::show))
        .route("/v1/tasks/{id}/approve", post(tasks::approve))
        .route("/v1/tasks/{id}/deny", post(tasks::deny))
        .route("/v1/tasks/{id}/revoke", post(tasks::revoke))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            caller::authenticate,
        ));

    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(v1)
        .with_state(state)
}

/// Degraded when an upstream is down or the latest policy change was refused
/// (the last good set stays in force meanwhile).
async fn healthz(State(state): State<Arc<AdminState>>) -> Json<Value> {
    let hub = &state.hub;
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
async fn metrics(State(state): State<Arc<AdminState>>) -> String {
    let hub = &state.hub;
    let (pending, active) = hub.tasks().live_counts();
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
         warden_sessions {sessions}\n\
         # HELP warden_tasks Tasks waiting for an approver or granted.\n\
         # TYPE warden_tasks gauge\n\
         warden_tasks{{state=\"pending\"}} {pending}\n\
         warden_tasks{{state=\"active\"}} {active}\n",
        failures = policy.reload_failures,
        broken = u8::from(policy.last_error.is_some()),
        version = policy.version.as_str(),
        sessions = hub.relay().sessions.len(),
    )
}
