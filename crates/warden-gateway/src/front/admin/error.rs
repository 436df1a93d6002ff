//! Admin API errors: a status and a JSON body `{"error", "error_description"}`
//! shaped like the MCP endpoint's, so one client handles both.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::tasks::TaskRefusal;

/// A refused admin request.
#[derive(Debug)]
pub(crate) struct AdminError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

impl AdminError {
    pub(crate) fn new(status: StatusCode, code: &'static str, description: String) -> Self {
        Self {
            status,
            code,
            description,
        }
    }

    pub(crate) fn bad_request(description: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
}

impl From<TaskRefusal> for AdminError {
    fn from(refusal: TaskRefusal) -> Self {
        let (status, code) = match &refusal {
            TaskRefusal::UnknownTask { .. } => (StatusCode::NOT_FOUND, "unknown_task"),
            TaskRefusal::WrongState { .. } => (StatusCode::CONFLICT, "wrong_state"),
            TaskRefusal::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            _ => (StatusCode::BAD_REQUEST, "invalid_request"),
        };
        Self::new(status, code, refusal.to_string())
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.code, "error_description": self.description}));
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"warden-admin\""),
            );
        }
        response
    }
}
