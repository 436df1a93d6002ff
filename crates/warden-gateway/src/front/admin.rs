//! The admin listener: `/healthz` and `/metrics` for operators, and the
//! task API under `/v1` for approvers, pipelines and auditors, which callers
//! reach with a workload identity and the roles `[roles]` gives it.

mod audit;
mod caller;
mod error;
mod health;
mod tasks;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

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
        .route("/v1/audit", get(audit::query))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            caller::authenticate,
        ));

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .merge(v1)
        .with_state(state)
}
