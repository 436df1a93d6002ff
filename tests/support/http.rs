//! MCP over plain HTTP requests, for tests that look at status codes and
//! headers: what a client sees when the gateway refuses it.

use reqwest::StatusCode;
use serde_json::{Value, json};

const ACCEPT: &str = "application/json, text/event-stream";

/// One answer of the gateway.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    /// The `WWW-Authenticate` header, empty when absent.
    pub challenge: String,
    /// The `Mcp-Session-Id` header, if any.
    pub session: Option<String>,
    /// The JSON body, or the JSON-RPC message of an SSE body.
    pub body: Value,
}

impl Reply {
    /// The refusal code of a 401 or 403 body.
    pub fn refusal(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

/// An `initialize` request on the handshake protocol.
pub fn initialize() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": { "name": "identity-test", "version": "1" }
        }
    })
}

pub fn tools_list(id: u64) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/list" })
}

/// Posts `message` to `url` with an optional bearer token and session.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    session: Option<&str>,
    message: &Value,
) -> Reply {
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
        .header("mcp-protocol-version", "2025-11-25")
        .body(message.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let response = request.send().await.expect("the gateway answers");
    reply(response).await
}

/// Opens a session for `token` and returns its id.
pub async fn open_session(client: &reqwest::Client, url: &str, token: &str) -> String {
    let opened = post(client, url, Some(token), None, &initialize()).await;
    assert_eq!(opened.status, StatusCode::OK, "initialize: {opened:?}");
    let session = opened.session.expect("a session id");

    let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    let acknowledged = post(client, url, Some(token), Some(&session), &initialized).await;
    assert!(
        acknowledged.status.is_success(),
        "initialized: {acknowledged:?}"
    );
    session
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let challenge = header("www-authenticate").unwrap_or_default();
    let session = header("mcp-session-id");
    let text = response.text().await.unwrap_or_default();
    Reply {
        status,
        challenge,
        session,
        body: message(&text),
    }
}

/// The JSON of a JSON body, or of the first `data:` line of an SSE body.
fn message(text: &str) -> Value {
    let json = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .find(|data| data.starts_with('{'))
        .unwrap_or(text);
    serde_json::from_str(json).unwrap_or(Value::Null)
}
