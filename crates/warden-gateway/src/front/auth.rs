//! Authentication of every request to `/mcp`, before the MCP layer sees it.
//!
//! A request proves a workload identity with a JWT-SVID bearer token or, on
//! a TLS listener, an X.509-SVID client certificate. The verified identity is
//! attached to the request, where the per-session handler finds it; a request
//! that names a session must prove the identity that opened it. Anything
//! else is refused here, logged at info, and never reaches an upstream.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use tokio_util::sync::CancellationToken;
use warden_identity::{Identity, JwtSvidVerifier, Refusal};

use super::bindings::{SessionBindings, SessionCheck};
use super::challenge::AuthFailure;
use super::discovery::ResourceMetadata;

const SESSION_HEADER: &str = "mcp-session-id";

/// How often bindings of sessions that the transport closed on its own
/// (idle time-out, dropped stream) are swept away.
const SWEEP_INTERVAL: Duration = Duration::from_secs(30);

/// What the client certificate of a TLS connection proved, attached by the
/// TLS listener to every request of that connection.
#[derive(Clone)]
pub(crate) struct PeerCertificate(pub(crate) Result<Identity, Refusal>);

/// Verifies credentials and keeps sessions with the identity that opened them.
pub(crate) struct Authenticator {
    jwt: Option<JwtSvidVerifier>,
    bindings: SessionBindings,
    metadata: ResourceMetadata,
}

impl Authenticator {
    pub(crate) fn new(jwt: Option<JwtSvidVerifier>, metadata: ResourceMetadata) -> Self {
        Self {
            jwt,
            bindings: SessionBindings::default(),
            metadata,
        }
    }

    pub(crate) fn metadata(&self) -> &ResourceMetadata {
        &self.metadata
    }

    /// The identity the request proves, from its certificate, its bearer
    /// token, or both when they agree.
    pub(crate) fn identify(&self, request: &Request) -> Result<Identity, AuthFailure> {
        let certificate = request.extensions().get::<PeerCertificate>();
        let token = bearer_token(request.headers())?;

        match (certificate, token) {
            (None, None) => Err(Refusal::MissingCredential.into()),
            (Some(PeerCertificate(proven)), None) => Ok(proven.clone()?),
            (None, Some(token)) => self.verify_token(token),
            (Some(PeerCertificate(proven)), Some(token)) => {
                let by_certificate = proven.clone()?;
                let by_token = self.verify_token(token)?;
                if by_certificate.spiffe_id != by_token.spiffe_id {
                    return Err(AuthFailure::CredentialsDisagree {
                        certificate: by_certificate.spiffe_id,
                        token: by_token.spiffe_id,
                    });
                }
                Ok(by_token)
            }
        }
    }

    fn verify_token(&self, token: &str) -> Result<Identity, AuthFailure> {
        let Some(verifier) = &self.jwt else {
            return Err(Refusal::JwtSvidsNotAccepted.into());
        };
        Ok(verifier.verify(token, SystemTime::now())?)
    }

    /// Checks that a request naming a session comes from the session's owner.
    fn check_session(&self, session: &str, identity: &Identity) -> Result<(), AuthFailure> {
        match self.bindings.check(session, &identity.spiffe_id) {
            SessionCheck::Owner => Ok(()),
            SessionCheck::Foreign(owner) => Err(AuthFailure::ForeignSession { owner }),
            SessionCheck::Unknown => Err(AuthFailure::UnknownSession),
        }
    }

    /// Drops the bindings of sessions the transport no longer has, until
    /// `shutdown`.
    pub(crate) async fn sweep(
        self: Arc<Self>,
        sessions: Arc<LocalSessionManager>,
        shutdown: CancellationToken,
    ) {
        let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = shutdown.cancelled() => return,
            }
            for session in self.bindings.sessions() {
                let open = sessions.has_session(&session.as_str().into()).await;
                if !matches!(open, Ok(true)) {
                    self.bindings.unbind(&session);
                }
            }
        }
    }
}

/// The middleware in front of `/mcp`.
pub(crate) async fn authenticate(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    let session = header_text(request.headers(), SESSION_HEADER).map(str::to_owned);
    let checked = auth.identify(&request).and_then(|identity| {
        if let Some(session) = &session {
            auth.check_session(session, &identity)?;
        }
        Ok(identity)
    });
    let identity = match checked {
        Ok(identity) => identity,
        Err(failure) => return refuse(&auth, &request, failure),
    };

    let closing = request.method() == Method::DELETE;
    let spiffe_id = identity.spiffe_id.clone();
    request.extensions_mut().insert(identity);
    let response = next.run(request).await;

    match session {
        Some(session) if closing && response.status().is_success() => {
            auth.bindings.unbind(&session);
        }
        Some(_) => {}
        None => {
            if let Some(opened) = header_text(response.headers(), SESSION_HEADER) {
                auth.bindings.bind(opened, &spiffe_id);
                tracing::debug!(agent.spiffe_id = %spiffe_id, mcp.session.id = opened,
                    "session opened");
            }
        }
    }
    response
}

fn refuse(auth: &Authenticator, request: &Request, failure: AuthFailure) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.to_string());
    tracing::info!(
        refusal.code = %failure.code(),
        refusal.reason = %failure,
        http.method = %request.method(),
        client.addr = client.as_deref().unwrap_or("unknown"),
        "request refused: no accepted workload identity"
    );

    let url = auth.metadata.url(request.headers());
    failure.into_response(&url)
}

/// The bearer token of the `Authorization` header, if there is one. A header
/// of another scheme is refused rather than ignored.
fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, Refusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let not_bearer = || Refusal::MalformedToken {
        reason: "the `Authorization` header must be `Bearer <jwt-svid>`".to_owned(),
    };
    let text = value.to_str().map_err(|_| not_bearer())?;
    let (scheme, token) = text.split_once(' ').ok_or_else(not_bearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(not_bearer());
    }
    Ok(Some(token.trim()))
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}
