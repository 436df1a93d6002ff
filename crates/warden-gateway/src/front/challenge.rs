//! The one place where an authentication failure becomes an HTTP answer:
//! status, a `WWW-Authenticate` challenge that points MCP clients to the
//! protected-resource metadata (RFC 9728), and a JSON body with the reason.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use warden_identity::{Refusal, SpiffeId};

/// Why a request to `/mcp` was not let through.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthFailure {
    /// The credential was missing or did not prove an accepted identity.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A client certificate and a bearer token name different workloads.
    #[error(
        "the client certificate proves `{certificate}` but the bearer token proves `{token}`: \
         present one credential, or two for the same workload"
    )]
    CredentialsDisagree {
        /// The identity of the certificate.
        certificate: SpiffeId,
        /// The identity of the token.
        token: SpiffeId,
    },
    /// The session was opened by another workload.
    #[error("this MCP session belongs to another workload identity: open a session of your own")]
    ForeignSession {
        /// Who opened it, for the log only.
        owner: SpiffeId,
    },
    /// No open session has the id the request names.
    #[error("MCP session not found: it was closed or expired; initialize a new session")]
    UnknownSession,
}

impl AuthFailure {
    /// A stable slug for logs and clients.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Refused(refusal) => refusal.code(),
            Self::CredentialsDisagree { .. } => "credentials_disagree",
            Self::ForeignSession { .. } => "foreign_session",
            Self::UnknownSession => "unknown_session",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Refused(_) | Self::CredentialsDisagree { .. } => StatusCode::UNAUTHORIZED,
            Self::ForeignSession { .. } => StatusCode::FORBIDDEN,
            Self::UnknownSession => StatusCode::NOT_FOUND,
        }
    }

    /// The answer, with a challenge naming `metadata_url`.
    pub(crate) fn into_response(self, metadata_url: &str) -> Response {
        let status = self.status();
        let description = self.to_string();
        let challenge = self.challenge(metadata_url, &description);
        let body = Json(json!({ "error": self.code(), "error_description": description }));

        let mut response = (status, body).into_response();
        if let Some(challenge) = challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }

    /// `Bearer` challenge parameters per RFC 6750: a request that carried
    /// no credential gets no error code, only where to learn how to get one.
    fn challenge(&self, metadata_url: &str, description: &str) -> Option<HeaderValue> {
        let mut value = format!("Bearer realm=\"warden\", resource_metadata=\"{metadata_url}\"");
        match self {
            Self::Refused(Refusal::MissingCredential) => {}
            Self::UnknownSession => return None,
            _ => {
                let description = quoted_string_safe(description);
                value.push_str(&format!(
                    ", error=\"invalid_token\", error_description=\"{description}\""
                ));
            }
        }
        HeaderValue::from_str(&value).ok()
    }
}

/// Keeps a message inside an HTTP quoted string: printable ASCII without
/// quotes or backslashes, which error texts never need.
fn quoted_string_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge_of(response: &Response) -> &str {
        response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    #[test]
    fn a_missing_credential_is_challenged_without_an_error_code() {
        let response = AuthFailure::Refused(Refusal::MissingCredential)
            .into_response("http://127.0.0.1:7420/.well-known/oauth-protected-resource/mcp");

        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge_of(&response),
            "Bearer realm=\"warden\", resource_metadata=\
             \"http://127.0.0.1:7420/.well-known/oauth-protected-resource/mcp\""
        );
    }

    #[test]
    fn a_foreign_session_is_forbidden_with_the_reason() {
        let owner = "spiffe://example.org/agent/a".parse().expect("spiffe id");

        let response = AuthFailure::ForeignSession { owner }.into_response("http://x/m");

        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(
            challenge_of(&response).contains("error=\"invalid_token\""),
            "{}",
            challenge_of(&response)
        );
    }

    #[test]
    fn quotes_never_break_the_challenge() {
        assert_eq!(quoted_string_safe("a \"b\" \\ é"), "a 'b' ' ?");
    }
}
