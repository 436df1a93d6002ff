//! A loopback HTTP proxy that adds a bearer token to every request, for
//! clients that cannot attach headers themselves (the conformance suite).
//! Everything else passes through, `Host` included, so that the gateway's
//! DNS-rebinding checks see what the client sent; response bodies are
//! streamed as they arrive.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;

#[derive(Clone)]
struct Target {
    url: String,
    authorization: HeaderValue,
    client: reqwest::Client,
}

/// A bound, not yet serving, proxy: its address is known before the gateway
/// behind it starts, so that the gateway can accept it as an origin.
pub struct CredentialProxy {
    listener: TcpListener,
}

impl CredentialProxy {
    pub async fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the credential proxy");
        Self { listener }
    }

    /// `http://127.0.0.1:PORT`, the origin clients of the proxy use.
    pub fn origin(&self) -> String {
        let addr = self.listener.local_addr().expect("proxy address");
        format!("http://{addr}")
    }

    /// Serves in front of `target` (an MCP endpoint URL) until the test
    /// ends, and returns the proxy's URL for the same path.
    pub fn serve(self, target: &str, token: &str) -> String {
        let path = reqwest::Url::parse(target)
            .map(|url| url.path().to_owned())
            .expect("target is a URL");
        let url = format!("{}{path}", self.origin());
        let state = Target {
            url: target.to_owned(),
            authorization: HeaderValue::from_str(&format!("Bearer {token}")).expect("token header"),
            client: reqwest::Client::new(),
        };

        let router = Router::new().fallback(relay).with_state(state);
        tokio::spawn(async move { axum::serve(self.listener, router).await });
        url
    }
}

async fn relay(State(target): State<Target>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut headers = parts.headers;
    headers.insert(header::AUTHORIZATION, target.authorization.clone());

    let sent = target
        .client
        .request(parts.method, &target.url)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let Ok(answer) = sent else {
        return StatusCode::BAD_GATEWAY.into_response();
    };

    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != header::TRANSFER_ENCODING && name != header::CONNECTION {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from_stream(answer.bytes_stream()))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}
