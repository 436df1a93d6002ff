//! `test_reconnection`: ends its own SSE stream before it answers (SEP-1699).
//!
//! The client is expected to reconnect with a GET carrying `Last-Event-ID`
//! and to receive the result on the resumed stream. The tool holds its
//! answer back long enough for that: rmcp keeps a request's events for
//! replay only while the request is still running.

use std::time::Duration;

use axum::http::request::Parts;
use rmcp::model::{CallToolResult, ContentBlock, Tool};
use rmcp::transport::streamable_http_server::SessionId;

use super::{Call, no_arguments};

/// The tool's name.
pub(crate) const TOOL_NAME: &str = "test_reconnection";

/// How long the client is asked to wait before reconnecting.
const RETRY: Duration = Duration::from_millis(200);

/// How long the answer is held back after the stream is closed.
const HOLD: Duration = Duration::from_millis(1500);

/// The header that names the MCP session.
const SESSION_HEADER: &str = "mcp-session-id";

/// Describes the tool.
pub(crate) fn tools() -> Vec<Tool> {
    let description = "Closes the SSE stream of its own call before answering, so the client \
                       must resume it with Last-Event-ID";
    vec![Tool::new(TOOL_NAME, description, no_arguments())]
}

/// Runs the tool.
pub(crate) async fn run(call: &Call<'_>) -> CallToolResult {
    let closed = match session_of(call) {
        Some(session) => {
            let request = &call.context.id;
            call.sessions.close_stream(&session, request, RETRY).await
        }
        None => Ok(false),
    };

    match closed {
        Ok(true) => tracing::debug!("closed the reconnection call's stream"),
        Ok(false) => tracing::debug!("reconnection call has no session stream to close"),
        Err(error) => tracing::warn!(%error, "could not close the reconnection call's stream"),
    }

    tokio::time::sleep(HOLD).await;
    CallToolResult::success(vec![ContentBlock::text("Reconnection test completed")])
}

/// The session the call arrived in, from the HTTP request's headers.
fn session_of(call: &Call<'_>) -> Option<SessionId> {
    let parts = call.context.extensions.get::<Parts>()?;
    let value = parts.headers.get(SESSION_HEADER)?.to_str().ok()?;
    Some(value.into())
}
