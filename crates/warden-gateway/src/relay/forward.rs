//! Sending one agent request to an upstream and relaying everything that
//! belongs to it: the answer, progress, cancellation in both directions and
//! the upstream's own requests to the agent.

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rmcp::model::{
    CancelledNotification, CancelledNotificationParam, ClientNotification, ClientRequest,
    RequestId, RequestMetaObject, ServerResult,
};
use rmcp::service::{Peer, PeerRequestOptions, RequestContext, RoleClient, RoleServer};
use tokio::sync::mpsc;

use super::inflight::{AgentRequest, Call, SessionKey};
use crate::error::GatewayError;
use crate::hub::Hub;
use crate::upstream::Upstream;

/// Request `_meta` keys that describe the agent's own connection and must not
/// be passed to an upstream, whose connection is the gateway's.
const CONNECTION_META_PREFIX: &str = "io.modelcontextprotocol/";
const PROGRESS_TOKEN: &str = "progressToken";

/// How many upstream requests to the agent may wait for one call at a time.
const AGENT_REQUEST_QUEUE: usize = 8;

/// Forwards `request` to `upstream` on behalf of the agent in `context` and
/// waits for the answer, relaying what comes back meanwhile.
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

    let handle = peer
        .send_request_with_option(request, options)
        .await
        .map_err(fail)?;
    let (requests, mut agent_requests) = mpsc::channel(AGENT_REQUEST_QUEUE);
    let _registration = hub.relay().inflight.register(Call {
        upstream: upstream.index,
        session,
        agent: context.peer.clone(),
        agent_progress: context.meta.get_progress_token(),
        upstream_progress: handle.progress_token.clone(),
        requests,
    });
    let mut abandon = AbandonGuard::new(peer, handle.id.clone());

    let mut answer = std::pin::pin!(handle.await_response());
    let mut relayed = FuturesUnordered::new();
    loop {
        tokio::select! {
            result = &mut answer => {
                abandon.disarm();
                return result.map_err(fail);
            }
            () = context.ct.cancelled() => return Err(GatewayError::Cancelled),
            Some(request) = agent_requests.recv() => {
                relayed.push(ask_agent(&context.peer, request));
            }
            Some(()) = relayed.next(), if !relayed.is_empty() => {}
        }
    }
}

/// Sends an upstream's request to the agent. It runs inside the agent's
/// request, so the SDK delivers it on that request's stream.
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
        if key != PROGRESS_TOKEN && !key.starts_with(CONNECTION_META_PREFIX) {
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
