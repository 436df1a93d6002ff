//! The client side: MCP sessions over Streamable HTTP that call the benchmark tool, one
//! call after another, each call timed on its own.
//!
//! Every route gets the same client: rmcp's Streamable HTTP client, with its default
//! HTTP settings (a new TCP connection per request) unless connections are to be
//! reused; the `initialize` handshake, so that each client holds a session; the same
//! bearer token if one is given; the same tool name and the same arguments. A session
//! to Warden also asks for a task that grants the tool, untimed, as any agent must.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use futures::{StreamExt as _, TryStreamExt as _};
use rmcp::ServiceExt as _;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ContentBlock, Implementation,
    JsonObject, ProtocolVersion,
};
use rmcp::service::{Peer, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

/// The tool every route calls: read-only, cheap, and named the same on every route.
pub(crate) const TOOL: &str = "echo";

/// The name Warden gives itself in `initialize`, and its task request tool.
const WARDEN_SERVER_NAME: &str = "warden";
const REQUEST_TASK: &str = "warden_request_task";

/// The text the tool is asked to echo.
const ECHO_TEXT: &str = "warden-bench";

/// One client's MCP session.
pub(crate) type Session = RunningService<RoleClient, ClientConfig>;

/// What every client of every route shares.
#[derive(Debug)]
pub(crate) struct ClientSettings {
    /// Sent as `Authorization: Bearer …` on every request, when present.
    pub(crate) bearer: Option<String>,
    /// Longest wait for one call or one handshake.
    pub(crate) call_timeout: Duration,
    /// Whether each session keeps its TCP connections for the next request.
    reuse_connections: bool,
    /// The arguments of every call.
    arguments: JsonObject,
}

impl ClientSettings {
    /// Settings with the given token, time-out and connection reuse.
    pub(crate) fn new(
        bearer: Option<String>,
        call_timeout: Duration,
        reuse_connections: bool,
    ) -> Self {
        let mut arguments = JsonObject::new();
        arguments.insert("text".into(), ECHO_TEXT.into());
        Self {
            bearer,
            call_timeout,
            reuse_connections,
            arguments,
        }
    }
}

/// Opens one session to `url`: connects and completes the `initialize` handshake.
pub(crate) async fn open_session(url: &str, settings: &ClientSettings) -> anyhow::Result<Session> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    if let Some(token) = &settings.bearer {
        config = config.auth_header(token.clone());
    }
    let transport = if settings.reuse_connections {
        let client = reqwest::Client::builder()
            .build()
            .context("cannot build an HTTP client")?;
        StreamableHttpClientTransport::with_client(client, config)
    } else {
        StreamableHttpClientTransport::from_config(config)
    };
    let info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("warden-bench", env!("CARGO_PKG_VERSION")),
    )
    .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE);

    let session = tokio::time::timeout(settings.call_timeout, info.serve(transport))
        .await
        .map_err(|_| anyhow!("the MCP handshake with {url} did not finish in time"))?
        .with_context(|| format!("the MCP handshake with {url} failed"))?;

    let negotiated = session
        .peer_info()
        .map(|info| info.protocol_version.clone());
    if negotiated
        .as_ref()
        .is_some_and(|version| !version.has_initialize())
    {
        bail!("{url} negotiated a protocol version without sessions: {negotiated:?}");
    }

    let is_warden = session.peer_info().is_some_and(|info| {
        info.server_info
            .as_ref()
            .is_some_and(|server| server.name == WARDEN_SERVER_NAME)
    });
    if is_warden {
        request_task(session.peer(), settings)
            .await
            .with_context(|| format!("{url} granted no task for `{TOOL}`"))?;
    }
    Ok(session)
}

/// Asks Warden for a task that grants the benchmark tool, as every agent must
/// before its first call; the timed calls then run under that task.
async fn request_task(peer: &Peer<RoleClient>, settings: &ClientSettings) -> anyhow::Result<()> {
    let mut params = CallToolRequestParams::new(REQUEST_TASK);
    let arguments = serde_json::json!({
        "goal": "measure the cost of the gateway on one read-only tool",
        "tools": [TOOL],
        "ttl": "1h",
    });
    params.arguments = arguments.as_object().cloned();

    let result = tokio::time::timeout(settings.call_timeout, peer.call_tool(params))
        .await
        .map_err(|_| anyhow!("the task request did not finish in time"))??;
    let status = result
        .structured_content
        .as_ref()
        .and_then(|body| body["status"].as_str().map(str::to_owned));
    if result.is_error == Some(true) || status.as_deref() != Some("active") {
        bail!("the task was not granted: {}", text_of(&result.content));
    }
    Ok(())
}

/// Opens `count` sessions to `url`, at most `parallel` handshakes at a time.
pub(crate) async fn open_sessions(
    url: &str,
    count: usize,
    parallel: usize,
    settings: &ClientSettings,
) -> anyhow::Result<Vec<Session>> {
    futures::stream::iter(0..count)
        .map(|_| open_session(url, settings))
        .buffer_unordered(parallel.max(1))
        .try_collect()
        .await
}

/// Closes `sessions` (each ends with an HTTP `DELETE`), at most `parallel` at a time.
pub(crate) async fn close_sessions(sessions: Vec<Session>, parallel: usize, timeout: Duration) {
    futures::stream::iter(sessions)
        .for_each_concurrent(parallel.max(1), |mut session| async move {
            if let Err(error) = session.close_with_timeout(timeout).await {
                tracing::warn!(%error, "a session did not close cleanly");
            }
        })
        .await;
}

/// Makes one call and checks that the tool answered without an error.
async fn call_once(peer: &Peer<RoleClient>, settings: &ClientSettings) -> anyhow::Result<()> {
    let mut params = CallToolRequestParams::new(TOOL);
    params.arguments = Some(settings.arguments.clone());

    let result = tokio::time::timeout(settings.call_timeout, peer.call_tool(params))
        .await
        .map_err(|_| anyhow!("`{TOOL}` did not answer within the call time-out"))?
        .with_context(|| format!("calling `{TOOL}` failed"))?;
    if result.is_error == Some(true) {
        bail!(
            "`{TOOL}` answered with an error: {}",
            text_of(&result.content)
        );
    }
    Ok(())
}

/// The text blocks of a tool result, joined, for error messages.
fn text_of(content: &[ContentBlock]) -> String {
    let blocks = serde_json::to_value(content).unwrap_or_default();
    let texts: Vec<&str> = blocks
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|block| block["text"].as_str())
        .collect();
    if texts.is_empty() {
        "(no text)".to_owned()
    } else {
        texts.join("; ")
    }
}

/// Calls until the tool answers or `within` has passed, through a fresh session each
/// try: a started server may still be connecting to its upstream.
pub(crate) async fn await_ready(
    url: &str,
    within: Duration,
    settings: &ClientSettings,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        let attempt = async {
            let session = open_session(url, settings).await?;
            let called = call_once(session.peer(), settings).await;
            close_sessions(vec![session], 1, settings.call_timeout).await;
            called
        };
        match attempt.await {
            Ok(()) => return Ok(()),
            Err(error) if Instant::now() >= deadline => {
                return Err(error.context(format!("{url} did not answer `{TOOL}` in time")));
            }
            Err(error) => tracing::debug!(url, error = format!("{error:#}"), "not ready yet"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The latencies of one batch, and how long the whole batch took.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// One latency per call, all clients together.
    pub(crate) latencies: Vec<Duration>,
    /// From the start of the first client to the end of the last.
    pub(crate) wall: Duration,
}

/// Has every session make `calls` calls, all sessions at once, each one's calls in
/// sequence, and times every call.
pub(crate) async fn run_batch(
    sessions: &[Session],
    calls: u32,
    settings: &Arc<ClientSettings>,
) -> anyhow::Result<Batch> {
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for session in sessions {
        clients.spawn(timed_calls(
            session.peer().clone(),
            calls,
            Arc::clone(settings),
        ));
    }

    let mut latencies = Vec::with_capacity(sessions.len() * calls as usize);
    while let Some(client) = clients.join_next().await {
        let timed = client.context("a benchmark client task failed")??;
        latencies.extend(timed);
    }
    Ok(Batch {
        latencies,
        wall: started.elapsed(),
    })
}

/// One client's part of a batch.
async fn timed_calls(
    peer: Peer<RoleClient>,
    calls: u32,
    settings: Arc<ClientSettings>,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::with_capacity(calls as usize);
    for _ in 0..calls {
        let started = Instant::now();
        call_once(&peer, &settings).await?;
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_result_reads_as_its_text_blocks() {
        let content = [
            ContentBlock::text("denied by policy"),
            ContentBlock::image("aGk=", "image/png"),
            ContentBlock::text("ask an approver"),
        ];

        assert_eq!(text_of(&content), "denied by policy; ask an approver");
        assert_eq!(text_of(&[]), "(no text)");
    }
}
