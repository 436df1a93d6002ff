//! `/healthz` and `/metrics`: what an operator watches.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AdminState;

/// Degraded when an upstream is down, the latest policy change was refused
/// (the last good set stays in force meanwhile), or the audit log cannot be
/// written (every call is refused meanwhile).
pub(crate) async fn healthz(State(state): State<Arc<AdminState>>) -> Json<Value> {
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
    let audit = hub.audit();
    let healthy = all_ready && policy.last_error.is_none() && audit.is_healthy();

    Json(json!({
        "status": if healthy { "ok" } else { "degraded" },
        "sessions": hub.relay().sessions.len(),
        "upstreams": upstreams,
        "policy": {
            "version": policy.version.as_str(),
            "error": policy.last_error,
            "reload_failures": policy.reload_failures,
        },
        "audit": {
            "healthy": audit.is_healthy(),
            "path": audit.path().display().to_string(),
            "records": audit.stats().appended,
        },
    }))
}

/// Prometheus text exposition of the gateway's gauges and counters.
pub(crate) async fn metrics(State(state): State<Arc<AdminState>>) -> String {
    let hub = &state.hub;
    let (pending, active) = hub.tasks().live_counts();
    let audit = hub.audit().stats();
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
         warden_tasks{{state=\"active\"}} {active}\n\
         # HELP warden_audit_healthy Whether the audit log accepts records (1) or not (0).\n\
         # TYPE warden_audit_healthy gauge\n\
         warden_audit_healthy {audit_healthy}\n\
         # HELP warden_audit_records_total Audit records made durable since start.\n\
         # TYPE warden_audit_records_total counter\n\
         warden_audit_records_total {audit_records}\n\
         # HELP warden_audit_syncs_total Group commits of the audit log since start.\n\
         # TYPE warden_audit_syncs_total counter\n\
         warden_audit_syncs_total {audit_syncs}\n",
        failures = policy.reload_failures,
        broken = u8::from(policy.last_error.is_some()),
        version = policy.version.as_str(),
        sessions = hub.relay().sessions.len(),
        audit_healthy = u8::from(hub.audit().is_healthy()),
        audit_records = audit.appended,
        audit_syncs = audit.syncs,
    )
}
