//! Sending one agent request to an upstream and relaying everything that
//! belongs to it: the answer, progress, log messages, cancellation in both
//! directions and the upstream's own requests to the agent.

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rmcp::model::{
    CancelledNotification, CancelledNotificationParam, ClientNotification, ClientRequest,
    RequestId, RequestMetaObject, ResultType, ServerResult,
};
use rmcp::service::{Peer, PeerRequestOptions, RequestContext, RoleClient, RoleServer};
use tokio::sync::mpsc;

use super::inflight::{AgentRequest, Call, Relayed, SessionKey};
use crate::error::GatewayError;
use crate::hub::Hub;
use crate::upstream::Upstream;

/// Request `_meta` keys that describe the agent's own connection and must not
/// be passed to an upstream, whose connection is the gateway's.
const CONNECTION_META_PREFIX: &str = "io.modelcontextprotocol/";
/// Request `_meta` keys addressed to Warden itself, such as `warden/task`.
const WARDEN_META_PREFIX: &str = "warden/";
const PROGRESS_TOKEN: &str = "progressToken";

/// How many notifications and requests for the agent may wait per call.
const RELAY_QUEUE: usize = 256;

/// Forwards `request` to `upstream` on behalf of the agent in `context` and
/// waits for the answer, relaying what comes back meanwhile.
///
/// Everything is sent to the agent from this task, inside the agent's
/// request, so that the SDK routes it on that request's own stream.
pub(crate) async fn forward(
    hub: &Hub,
    session: SessionKey,
    upstream: &Upstream,
    request: ClientRequest,
    context: &RequestContext<RoleServer>,
) -> Result<ServerResult, GatewayError> {
    let peer = upstream.peer()?;
    let options = PeerRequestOptions::with_timeout(upstream.call_timeout)
        .with_meta(forwarded_meta(&context.meta));
    let fail = |error| GatewayError::from_upstream(upstream.name(), error);

    let (queue, mut relayed) = mpsc::channel(RELAY_QUEUE);
    let registration = hub.relay().inflight.register(Call {
        upstream: upstream.index,
        session,
        agent_progress: context.meta.get_progress_token(),
        queue,
    });
    let handle = peer
        .send_request_with_option(request, options)
        .await
        .map_err(fail)?;
    registration.sent_with(handle.progress_token.clone());
    let mut abandon = AbandonGuard::new(peer, handle.id.clone());
    let notify = |item| notify_agent(hub, session, &context.peer, item);

    let mut answer = std::pin::pin!(handle.await_response());
    let mut asking = FuturesUnordered::new();
    loop {
        tokio::select! {
            result = &mut answer => {
                abandon.disarm();
                while let Ok(item) = relayed.try_recv() {
                    notify(item).await;
                }
                return result.map(mark_complete).map_err(fail);
            }
            () = context.ct.cancelled() => return Err(GatewayError::Cancelled),
            Some(item) = relayed.recv() => match item {
                Relayed::Request(request) => asking.push(ask_agent(&context.peer, request)),
                other => notify(other).await,
            },
            Some(()) = asking.next(), if !asking.is_empty() => {}
        }
    }
}

/// Marks a final result as `complete` where the upstream, speaking an older
/// protocol version, left the discriminator out. Agents on 2026-07-28 and
/// later require it; the SDK removes it again for agents on older versions.
fn mark_complete(mut result: ServerResult) -> ServerResult {
    let result_type = match &mut result {
        ServerResult::CallToolResult(result) => &mut result.result_type,
        ServerResult::GetPromptResult(result) => &mut result.result_type,
        ServerResult::ReadResourceResult(result) => &mut result.result_type,
        ServerResult::CompleteResult(result) => &mut result.result_type,
        _ => return result,
    };
    result_type.get_or_insert(ResultType::COMPLETE);
    result
}

/// Sends a notification to the agent; requests reaching this point belong to
/// a call that has already been answered and are refused by being dropped.
async fn notify_agent(hub: &Hub, session: SessionKey, agent: &Peer<RoleServer>, item: Relayed) {
    let sent = match item {
        Relayed::Progress(progress) => agent.notify_progress(progress).await,
        Relayed::Log(log) if hub.relay().sessions.wants_log(session, log.level) => {
            agent.notify_logging_message(log).await
        }
        Relayed::Log(_) | Relayed::Request(_) => Ok(()),
    };
    if let Err(error) = sent {
        tracing::debug!(%error, session, "notification not delivered to the agent");
    }
}

/// Sends an upstream's request to the agent and passes the answer back.
async fn ask_agent(agent: &Peer<RoleServer>, request: AgentRequest) {
    let answer = agent
        .send_request(request.request)
        .await
        .map_err(|error| GatewayError::from_service(error).into_error_data());
    let _ = request.reply.send(answer);
}

/// Keeps the agent's own `_meta` entries, minus those that describe the
/// agent's connection; the SDK sets the upstream progress token itself.
fn forwarded_meta(meta: &RequestMetaObject) -> RequestMetaObject {
    let mut forwarded = RequestMetaObject::new();
    for (key, value) in meta.iter() {
        if key != PROGRESS_TOKEN
            && !key.starts_with(CONNECTION_META_PREFIX)
            && !key.starts_with(WARDEN_META_PREFIX)
        {
            forwarded.insert(key.clone(), value.clone());
        }
    }
    forwarded
}

/// Tells the upstream to stop a request that the agent abandoned: cancelled,
/// disconnected, or dropped for any other reason before the answer came.
struct AbandonGuard {
    peer: Option<Peer<RoleClient>>,
    id: RequestId,
}

impl AbandonGuard {
    fn new(peer: Peer<RoleClient>, id: RequestId) -> Self {
        Self {
            peer: Some(peer),
            id,
        }
    }

    fn disarm(&mut self) {
        self.peer = None;
    }
}

impl Drop for AbandonGuard {
    fn drop(&mut self) {
        let Some(peer) = self.peer.take() else {
            return;
        };
        let params = CancelledNotificationParam::new(
            Some(self.id.clone()),
            Some("cancelled by the agent".to_owned()),
        );
        let notification =
            ClientNotification::CancelledNotification(CancelledNotification::new(params));
        tokio::spawn(async move {
            if let Err(error) = peer.send_notification(notification).await {
                tracing::debug!(%error, "upstream cancellation not delivered");
            }
        });
    }
}
