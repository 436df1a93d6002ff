//! Who calls the admin API, and what their roles let them do.
//!
//! Callers prove a workload identity exactly as agents do (a JWT-SVID bearer
//! token); `[roles]` then says what that identity may do. A request without
//! an accepted identity is refused before any handler runs.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use warden_identity::{Identity, SpiffeId};

use super::AdminState;
use super::error::AdminError;

/// The verified identity of an admin request, with the roles it holds.
#[derive(Clone, Debug)]
pub(crate) struct AdminCaller {
    pub(crate) spiffe_id: SpiffeId,
    pub(crate) roles: Vec<String>,
}

impl AdminCaller {
    /// Refuses the caller unless it holds one of `roles`.
    pub(crate) fn require(&self, roles: &[&str], action: &str) -> Result<(), AdminError> {
        if roles
            .iter()
            .any(|role| self.roles.iter().any(|held| held == role))
        {
            return Ok(());
        }

        let needed = roles
            .iter()
            .map(|role| format!("`{role}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        tracing::info!(
            admin.spiffe_id = %self.spiffe_id,
            admin.action = action,
            admin.roles = ?self.roles,
            "admin request refused: missing role"
        );
        Err(AdminError::new(
            StatusCode::FORBIDDEN,
            "missing_role",
            format!(
                "`{}` may not {action}: that needs the {needed} role in the gateway's [roles]",
                self.spiffe_id
            ),
        ))
    }
}

/// The middleware in front of `/v1`: attaches an [`AdminCaller`] or refuses.
pub(crate) async fn authenticate(
    State(state): State<Arc<AdminState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let identity: Identity = match state.auth.identify(&request) {
        Ok(identity) => identity,
        Err(failure) => {
            tracing::info!(
                refusal.code = %failure.code(),
                refusal.reason = %failure,
                http.path = %request.uri().path(),
                "admin request refused: no accepted workload identity"
            );
            let error = AdminError::new(
                StatusCode::UNAUTHORIZED,
                failure.code(),
                failure.to_string(),
            );
            return error.into_response();
        }
    };

    let roles = state
        .hub
        .roles()
        .of(&identity.spiffe_id)
        .into_iter()
        .map(str::to_owned)
        .collect();
    request.extensions_mut().insert(AdminCaller {
        spiffe_id: identity.spiffe_id,
        roles,
    });
    next.run(request).await
}
