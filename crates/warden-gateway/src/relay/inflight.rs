//! Requests on their way to an upstream, indexed so that what the upstream
//! sends back before its answer (progress, log lines, sampling, elicitation,
//! roots) reaches the agent that made the request, and no other.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use rmcp::model::{
    ClientResult, ErrorData, LoggingMessageNotificationParam, ProgressNotificationParam,
    ProgressToken, ServerRequest,
};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Progress that arrives before its request's token is known is held this
/// long, and this many notifications at most, for the request to claim it.
const EARLY_PROGRESS_WINDOW: Duration = Duration::from_secs(10);
const EARLY_PROGRESS_LIMIT: usize = 64;

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

/// Progress for a token no request has claimed yet.
struct EarlyProgress {
    upstream: usize,
    params: ProgressNotificationParam,
    arrived: Instant,
}

/// The registry of requests in flight, shared by every session and upstream.
#[derive(Default)]
pub(crate) struct InFlight {
    next: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
    /// Progress read before the forwarding task recorded its request's token:
    /// an upstream may answer that fast. Locked after `entries`, never before.
    early: Mutex<VecDeque<EarlyProgress>>,
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
        let Some(entry) = entry else {
            self.hold_early(upstream, params);
            return;
        };
        let Some(token) = entry.agent_progress.clone() else {
            return;
        };

        params.progress_token = token;
        if entry.queue.try_send(Relayed::Progress(params)).is_err() {
            tracing::debug!(upstream, "progress dropped: the agent is not keeping up");
        }
    }

    /// Keeps progress for an unclaimed token a short while; the oldest and
    /// the stale go first.
    fn hold_early(&self, upstream: usize, params: ProgressNotificationParam) {
        let now = Instant::now();
        let mut early = self.early.lock();
        early.retain(|held| now.duration_since(held.arrived) < EARLY_PROGRESS_WINDOW);
        if early.len() >= EARLY_PROGRESS_LIMIT {
            early.pop_front();
        }
        early.push_back(EarlyProgress {
            upstream,
            params,
            arrived: now,
        });
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
    /// Records the progress token the SDK gave the sent request, and relays
    /// any progress for it that arrived first, in arrival order.
    pub(crate) fn sent_with(&self, upstream_progress: ProgressToken) {
        let mut entries = self.registry.entries.lock();
        let Some(entry) = entries.get_mut(&self.id) else {
            return;
        };
        entry.upstream_progress = Some(upstream_progress.clone());

        let mut early = self.registry.early.lock();
        let (mine, others): (VecDeque<_>, VecDeque<_>) = early.drain(..).partition(|held| {
            held.upstream == entry.upstream && held.params.progress_token == upstream_progress
        });
        *early = others;
        let Some(token) = entry.agent_progress.clone() else {
            return;
        };
        for mut held in mine {
            held.params.progress_token = token.clone();
            let _ = entry.queue.try_send(Relayed::Progress(held.params));
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.entries.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use rmcp::model::NumberOrString;

    use super::*;

    fn progress(token: &str, progress: f64) -> ProgressNotificationParam {
        let token = ProgressToken(NumberOrString::String(token.into()));
        ProgressNotificationParam::new(token, progress)
    }

    #[tokio::test]
    async fn progress_that_overtakes_its_token_still_reaches_the_agent() {
        let registry = Arc::new(InFlight::default());
        let (queue, mut relayed) = mpsc::channel(8);
        let agent_token = ProgressToken(NumberOrString::String("agent".into()));
        let registration = registry.register(Call {
            upstream: 0,
            session: 1,
            agent_progress: Some(agent_token.clone()),
            queue,
        });

        registry.relay_progress(0, progress("up-7", 1.0));
        registry.relay_progress(1, progress("up-7", 9.0));
        registration.sent_with(progress("up-7", 0.0).progress_token);
        registry.relay_progress(0, progress("up-7", 2.0));

        for expected in [1.0, 2.0] {
            match relayed.try_recv() {
                Ok(Relayed::Progress(params)) => {
                    assert_eq!(params.progress_token, agent_token);
                    assert!((params.progress - expected).abs() < f64::EPSILON);
                }
                _ => panic!("progress {expected} was not relayed in order"),
            }
        }
        assert!(
            relayed.try_recv().is_err(),
            "another upstream's progress stays out"
        );
    }
}
