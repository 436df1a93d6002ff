//! Requests on their way to an upstream, indexed so that what the upstream
//! sends back before its answer (progress, log lines, sampling, elicitation,
//! roots) reaches the agent that made the request, and no other.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use rmcp::model::{
    ClientResult, ErrorData, LoggingMessageNotificationParam, ProgressNotificationParam,
    ProgressToken, ServerRequest,
};
use tokio::sync::{mpsc, oneshot};

/// A request from an upstream that only the agent can answer.
pub(crate) struct AgentRequest {
    pub(crate) request: ServerRequest,
    pub(crate) reply: oneshot::Sender<Result<ClientResult, ErrorData>>,
}

/// What an upstream sends for the agent while a request is in flight, queued
/// in arrival order for the task that forwards the request.
pub(crate) enum Relayed {
    /// Progress, already carrying the agent's own token.
    Progress(ProgressNotificationParam),
    Log(LoggingMessageNotificationParam),
    Request(AgentRequest),
}

/// The queue of one forwarded request; bounded so that a flooding upstream
/// loses notifications rather than exhausting memory.
pub(crate) type RelayQueue = mpsc::Sender<Relayed>;

/// Identifies one agent session for the lifetime of the gateway process.
pub(crate) type SessionKey = u64;

/// One request in flight.
struct Entry {
    upstream: usize,
    session: SessionKey,
    agent_progress: Option<ProgressToken>,
    /// Known once the request is sent: the SDK picks it.
    upstream_progress: Option<ProgressToken>,
    queue: RelayQueue,
}

/// Where a notification or request from an upstream should go.
pub(crate) struct Target {
    pub(crate) session: SessionKey,
    queue: RelayQueue,
}

/// Why an upstream's request could not be given to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RouteError {
    #[error("no agent request is in flight on this upstream")]
    NoRequest,
    #[error(
        "requests of several agents are in flight on this upstream, so the gateway cannot tell \
         which agent this is for"
    )]
    Ambiguous,
    #[error("the agent request ended before this could be delivered")]
    Gone,
}

/// The registry of requests in flight, shared by every session and upstream.
#[derive(Default)]
pub(crate) struct InFlight {
    next: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
}

/// Removes its entry from the registry when the request ends, however it ends.
pub(crate) struct Registration {
    registry: Arc<InFlight>,
    id: u64,
}

/// The parts of a forwarded request that the registry keeps.
pub(crate) struct Call {
    pub(crate) upstream: usize,
    pub(crate) session: SessionKey,
    pub(crate) agent_progress: Option<ProgressToken>,
    pub(crate) queue: RelayQueue,
}

impl InFlight {
    /// Registers a request before it is sent, so that whatever the upstream
    /// sends for it, however soon, finds its agent.
    pub(crate) fn register(self: &Arc<Self>, call: Call) -> Registration {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let entry = Entry {
            upstream: call.upstream,
            session: call.session,
            agent_progress: call.agent_progress,
            upstream_progress: None,
            queue: call.queue,
        };
        self.entries.lock().insert(id, entry);

        Registration {
            registry: Arc::clone(self),
            id,
        }
    }

    /// Queues upstream progress for the request that carries its token,
    /// under the agent's own token; progress for no agent token is dropped.
    pub(crate) fn relay_progress(&self, upstream: usize, mut params: ProgressNotificationParam) {
        let entries = self.entries.lock();
        let entry = entries.values().find(|entry| {
            entry.upstream == upstream
                && entry.upstream_progress.as_ref() == Some(&params.progress_token)
        });
        let Some((entry, token)) =
            entry.and_then(|entry| Some((entry, entry.agent_progress.clone()?)))
        else {
            return;
        };

        params.progress_token = token;
        if entry.queue.try_send(Relayed::Progress(params)).is_err() {
            tracing::debug!(upstream, "progress dropped: the agent is not keeping up");
        }
    }

    /// Queues an upstream log message for the one agent session with requests
    /// in flight on that upstream; with none, or several, it is dropped.
    pub(crate) fn relay_log(&self, upstream: usize, params: LoggingMessageNotificationParam) {
        match self.sole_target(upstream) {
            Ok(target) => {
                if target.queue.try_send(Relayed::Log(params)).is_err() {
                    tracing::debug!(upstream, "log message dropped: the agent is not keeping up");
                }
            }
            Err(reason) => tracing::debug!(upstream, %reason, "upstream log message dropped"),
        }
    }

    /// The one agent session with requests in flight on `upstream`, and its
    /// newest request there.
    pub(crate) fn sole_target(&self, upstream: usize) -> Result<Target, RouteError> {
        let entries = self.entries.lock();
        let mut on_upstream = entries
            .iter()
            .filter(|(_, entry)| entry.upstream == upstream);

        let (mut newest_id, mut newest) = on_upstream.next().ok_or(RouteError::NoRequest)?;
        for (id, entry) in on_upstream {
            if entry.session != newest.session {
                return Err(RouteError::Ambiguous);
            }
            if id > newest_id {
                (newest_id, newest) = (id, entry);
            }
        }

        Ok(Target {
            session: newest.session,
            queue: newest.queue.clone(),
        })
    }
}

impl Target {
    /// Hands `request` to the forwarding task of the agent's request, which
    /// sends it to the agent in that request's context, and waits for the answer.
    pub(crate) async fn ask(&self, request: ServerRequest) -> Result<ClientResult, ErrorData> {
        let (reply, answer) = oneshot::channel();
        let gone = || ErrorData::internal_error(RouteError::Gone.to_string(), None);

        self.queue
            .send(Relayed::Request(AgentRequest { request, reply }))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

impl Registration {
    /// Records the progress token the SDK gave the sent request.
    pub(crate) fn sent_with(&self, upstream_progress: ProgressToken) {
        if let Some(entry) = self.registry.entries.lock().get_mut(&self.id) {
            entry.upstream_progress = Some(upstream_progress);
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.entries.lock().remove(&self.id);
    }
}
