//! A session manager that lets the `test_reconnection` tool close its own
//! SSE stream.
//!
//! SEP-1699 lets a server end a POST's SSE stream before the response is
//! ready; the client then resumes with a GET carrying `Last-Event-ID`.
//! rmcp's in-memory session manager can close a request's stream, but only
//! by the HTTP request number it assigned, which a tool never sees. This
//! wrapper notes that number for calls to the reconnection tool, keyed by
//! session and JSON-RPC request id, and otherwise defers to rmcp.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{ClientJsonRpcMessage, ClientRequest, RequestId, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{
    EventStore, RestoreOutcome, ServerSseMessage, SessionId, SessionManager,
};
use tokio::sync::Mutex;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;

use crate::tools::reconnect::TOOL_NAME as RECONNECT_TOOL;

/// The stream a reconnection call arrived on, by session and request id.
type Marks = HashMap<(SessionId, RequestId), u64>;

/// rmcp's local session manager, plus a note of which HTTP request carries
/// each pending `test_reconnection` call.
#[derive(Debug, Default)]
pub(crate) struct RecordingSessionManager {
    inner: LocalSessionManager,
    marks: Mutex<Marks>,
}

impl RecordingSessionManager {
    /// Ends the SSE stream that carries request `request` of `session`,
    /// after a priming event that asks the client to come back in `retry`.
    ///
    /// Returns false when the request was not seen here, for instance when
    /// it arrived without a session.
    pub(crate) async fn close_stream(
        &self,
        session: &SessionId,
        request: &RequestId,
        retry: Duration,
    ) -> Result<bool, LocalSessionManagerError> {
        let key = (Arc::clone(session), request.clone());
        let Some(http_request) = self.marks.lock().await.remove(&key) else {
            return Ok(false);
        };

        let handle = self.inner.sessions.read().await.get(session).cloned();
        let Some(handle) = handle else {
            return Err(LocalSessionManagerError::SessionNotFound(Arc::clone(
                session,
            )));
        };

        handle.close_sse_stream(http_request, Some(retry)).await?;
        Ok(true)
    }

    /// Notes the HTTP request number of a reconnection call.
    async fn mark(&self, session: &SessionId, message: &ClientJsonRpcMessage, http_request: u64) {
        let ClientJsonRpcMessage::Request(request) = message else {
            return;
        };
        let ClientRequest::CallToolRequest(call) = &request.request else {
            return;
        };
        if call.params.name != RECONNECT_TOOL {
            return;
        }

        let key = (Arc::clone(session), request.id.clone());
        self.marks.lock().await.insert(key, http_request);
    }
}

// Every method but `create_stream` is rmcp's own; `close_session` also
// forgets the session's notes.
impl SessionManager for RecordingSessionManager {
    type Error = LocalSessionManagerError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        self.inner.create_session().await
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.inner.initialize_session(id, message).await
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.inner.has_session(id).await
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.marks
            .lock()
            .await
            .retain(|(session, _), _| session != id);
        self.inner.close_session(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let handle = self.inner.sessions.read().await.get(id).cloned();
        let Some(handle) = handle else {
            return Err(LocalSessionManagerError::SessionNotFound(Arc::clone(id)));
        };

        let receiver = handle.establish_request_wise_channel().await?;
        if let Some(http_request) = receiver.http_request_id {
            self.mark(id, &message, http_request).await;
        }

        handle
            .push_message(message, receiver.http_request_id)
            .await?;
        Ok(ReceiverStream::new(receiver.inner))
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.inner.accept_message(id, message).await
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.inner.create_standalone_stream(id).await
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.inner.resume(id, last_event_id).await
    }

    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        self.inner.restore_session(id).await
    }

    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        self.inner.event_store()
    }
}
