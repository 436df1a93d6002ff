//! The bare hop: the smallest honest HTTP reverse proxy, the floor any gateway pays.
//!
//! It sends each request on to the upstream over hyper's pooling HTTP/1.1 client and
//! streams the response back as it arrives, server-sent events included. It changes
//! only what a proxy must: the target authority (and with it `Host`) and the hop-by-hop
//! headers of RFC 9110 section 7.6.1. Every other header, `Mcp-Session-Id` and
//! `Authorization` among them, and every body byte pass unchanged. It checks nothing,
//! and it serves loopback only. It exits when its stdin ends, so it cannot outlive the
//! benchmark.
//!
//! Idle upstream connections are kept for reuse only when asked (`--reuse-connections`):
//! against a server that does not set `TCP_NODELAY` (the demo upstream, like any plain
//! `axum::serve`), a reused connection waits for a delayed ACK on every SSE response.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, HOST};
use axum::http::uri::{Authority, PathAndQuery, Scheme};
use axum::http::{HeaderMap, HeaderName, StatusCode, Uri, Version};
use axum::response::{IntoResponse as _, Response};
use axum::serve::ListenerExt as _;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpListener;

/// Headers that describe one connection, not the message: never forwarded.
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "transfer-encoding",
    "upgrade",
];

/// Where the hop sends requests, and the pooled client it sends them with.
#[derive(Clone)]
struct Hop {
    scheme: Scheme,
    authority: Authority,
    client: Client<HttpConnector, Body>,
}

/// Serves the hop in front of `upstream` on a free loopback port until stdin ends.
///
/// Announces `listening on http://ADDR/PATH` on stdout, with the upstream's path.
pub(crate) async fn serve(upstream: &str, reuse_connections: bool) -> anyhow::Result<()> {
    let hop = Hop::new(upstream, reuse_connections)?;
    let path = upstream
        .parse::<Uri>()
        .map(|uri| uri.path().to_owned())
        .unwrap_or_default();

    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen on a loopback port")?;
    let address = listener
        .local_addr()
        .context("cannot read the hop's bound address")?;
    announce(address, &path).context("cannot write to stdout")?;

    let router = Router::new().fallback(forward).with_state(hop);
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY on an accepted connection");
        }
    });
    tokio::select! {
        served = axum::serve(listener, router) => served.context("the hop's HTTP server stopped"),
        () = stdin_closed() => Ok(()),
    }
}

impl Hop {
    /// A hop to the scheme and authority of `upstream`, which must be an `http://` URL,
    /// keeping idle upstream connections for reuse only if `reuse_connections`.
    fn new(upstream: &str, reuse_connections: bool) -> anyhow::Result<Self> {
        let uri: Uri = upstream.parse().with_context(|| {
            format!("`{upstream}` is not a URL; pass --upstream http://HOST:PORT/PATH")
        })?;
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            anyhow::bail!(
                "`{upstream}` has no scheme or host; pass --upstream http://HOST:PORT/PATH"
            );
        };
        if *scheme != Scheme::HTTP {
            anyhow::bail!("`{upstream}` is not plain http, the only scheme the hop speaks");
        }

        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let mut builder = Client::builder(TokioExecutor::new());
        if !reuse_connections {
            builder.pool_max_idle_per_host(0);
        }
        let client = builder.build(connector);
        Ok(Self {
            scheme: scheme.clone(),
            authority: authority.clone(),
            client,
        })
    }

    /// Points `request` at the upstream, without its hop-by-hop headers or `Host`.
    fn retarget(&self, request: Request) -> Result<Request, axum::http::Error> {
        let (mut parts, body) = request.into_parts();

        let path = parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        parts.uri = Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()?;
        parts.version = Version::HTTP_11;
        strip_hop_by_hop(&mut parts.headers);
        parts.headers.remove(HOST);

        Ok(Request::from_parts(parts, body))
    }
}

/// Forwards one request and streams the upstream's response back.
async fn forward(State(hop): State<Hop>, request: Request) -> Response {
    let request = match hop.retarget(request) {
        Ok(request) => request,
        Err(error) => {
            let message = format!("the bare hop cannot build the upstream request: {error}");
            return (StatusCode::BAD_REQUEST, message).into_response();
        }
    };

    match hop.client.request(request).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, Body::new(body))
        }
        Err(error) => {
            tracing::warn!(%error, "upstream unreachable");
            let message = format!("the bare hop cannot reach the upstream: {error}");
            (StatusCode::BAD_GATEWAY, message).into_response()
        }
    }
}

/// Removes the hop-by-hop headers, and any header that `Connection` names as one.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::try_from(name.trim()).ok())
        .collect();

    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Tells the benchmark where the hop listens.
fn announce(address: SocketAddr, path: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{address}{path}")?;
    stdout.flush()
}

/// Resolves when stdin reaches its end or fails: the benchmark that started the hop
/// has gone.
async fn stdin_closed() {
    let mut stdin = tokio::io::stdin();
    let mut buffer = [0_u8; 64];
    while let Ok(read) = stdin.read(&mut buffer).await {
        if read == 0 {
            break;
        }
    }
    tracing::debug!("stdin closed; the hop stops");
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn hop_by_hop_headers_are_dropped_and_the_rest_kept() {
        let mut map = headers(&[
            ("connection", "keep-alive, x-trace"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("x-trace", "1"),
            ("mcp-session-id", "abc"),
            ("authorization", "Bearer token"),
            ("accept", "application/json, text/event-stream"),
        ]);

        strip_hop_by_hop(&mut map);

        let expected = headers(&[
            ("mcp-session-id", "abc"),
            ("authorization", "Bearer token"),
            ("accept", "application/json, text/event-stream"),
        ]);
        assert_eq!(map, expected);
    }

    #[test]
    fn a_request_is_retargeted_to_the_upstream_with_its_path_and_query() {
        let hop =
            Hop::new("http://127.0.0.1:9000/mcp", true).unwrap_or_else(|error| panic!("{error}"));
        let request = Request::builder()
            .uri("/mcp?x=1")
            .header(HOST, "127.0.0.1:7000")
            .header("mcp-session-id", "abc")
            .body(Body::empty())
            .unwrap_or_else(|error| panic!("{error}"));

        let forwarded = hop
            .retarget(request)
            .unwrap_or_else(|error| panic!("{error}"));

        assert_eq!(forwarded.uri(), "http://127.0.0.1:9000/mcp?x=1");
        assert_eq!(forwarded.headers().get(HOST), None);
        assert_eq!(forwarded.headers()["mcp-session-id"], "abc");
    }

    #[test]
    fn an_upstream_that_is_not_plain_http_is_refused() {
        let error = Hop::new("https://127.0.0.1:9000/mcp", false)
            .err()
            .map(|error| error.to_string());

        assert_eq!(
            error.as_deref(),
            Some("`https://127.0.0.1:9000/mcp` is not plain http, the only scheme the hop speaks")
        );
    }
}
