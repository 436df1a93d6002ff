//! Keeps one upstream connected: connects, reads its catalog, watches it with
//! pings, and after a crash, a hang or a failed start marks it unavailable and
//! tries again with exponential back-off.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{ClientRequest, PingRequest, ServerPeerInfo};
use rmcp::service::{Peer, PeerRequestOptions, QuitReason, RoleClient};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::catalog::{Catalog, Offers};
use super::client::UpstreamClient;
use super::connect::{Connection, connect};
use super::{State, Upstream};
use crate::hub::Hub;

const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// A connection that stayed up this long resets the back-off.
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// Longest wait for a ping answer; shorter health intervals wait less.
const MAX_PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs until `shutdown` is cancelled. `first_attempt` is cancelled once the
/// first connection attempt has either succeeded or failed.
pub(crate) async fn supervise(
    hub: Arc<Hub>,
    upstream: Arc<Upstream>,
    first_attempt: CancellationToken,
    shutdown: CancellationToken,
) {
    let mut backoff = FIRST_RETRY;
    loop {
        let started = Instant::now();
        let reason = tokio::select! {
            reason = run_once(&hub, &upstream, &first_attempt) => reason,
            () = shutdown.cancelled() => return,
        };
        first_attempt.cancel();

        if started.elapsed() >= STABLE_AFTER {
            backoff = FIRST_RETRY;
        }
        let retry_at = Instant::now() + backoff;
        tracing::warn!(
            upstream.name = upstream.name(),
            reason = %reason,
            retry_in_ms = backoff.as_millis() as u64,
            "upstream unavailable"
        );
        upstream.set_state(State::Unavailable { reason, retry_at });
        hub.rebuild_routes();

        tokio::select! {
            () = tokio::time::sleep_until(retry_at) => {}
            () = shutdown.cancelled() => return,
        }
        backoff = (backoff * 2).min(MAX_RETRY);
    }
}

/// One connection's life; returns why it ended.
async fn run_once(
    hub: &Arc<Hub>,
    upstream: &Arc<Upstream>,
    first_attempt: &CancellationToken,
) -> String {
    let client = UpstreamClient::new(Arc::clone(upstream), Arc::clone(hub.relay()));
    let startup_timeout = hub.config().startup_timeout;
    let connection =
        match tokio::time::timeout(startup_timeout, connect(&upstream.config, client)).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(error)) => return error.to_string(),
            Err(_) => return format!("did not finish starting within {startup_timeout:?}"),
        };

    let offers = offers(connection.peer_info().as_deref());
    if let Err(error) = refresh(hub, upstream, connection.peer(), offers).await {
        return error;
    }
    let logging = connection
        .peer_info()
        .is_some_and(|info| info.capabilities.logging.is_some());
    upstream.set_state(State::Ready {
        peer: connection.peer().clone(),
        logging,
    });
    hub.rebuild_routes();
    hub.resubscribe(upstream).await;
    first_attempt.cancel();
    tracing::info!(upstream.name = upstream.name(), "upstream ready");
    hub.audit()
        .record_later(crate::audit::upstream_registered(upstream));

    watch(hub, upstream, connection, offers).await
}

/// Serves list changes and pings until the connection dies. Returning drops
/// the connection, which closes it and stops a child process.
async fn watch(
    hub: &Arc<Hub>,
    upstream: &Arc<Upstream>,
    connection: Connection,
    offers: Offers,
) -> String {
    let interval = hub.config().health_interval;
    let mut next_ping = Instant::now() + interval;
    let peer = connection.peer().clone();
    let mut ended = std::pin::pin!(connection.waiting());

    loop {
        tokio::select! {
            quit = &mut ended => return match quit {
                Ok(QuitReason::Cancelled) => "the connection was cancelled".to_owned(),
                Ok(_) => "the connection closed (the server exited or hung up)".to_owned(),
                Err(error) => format!("the connection task failed: {error}"),
            },
            () = upstream.list_changed.notified() => {
                if let Err(error) = refresh(hub, upstream, &peer, offers).await {
                    return error;
                }
                hub.rebuild_routes();
            }
            () = tokio::time::sleep_until(next_ping) => {
                if let Err(reason) = ping(&peer, interval.min(MAX_PING_TIMEOUT)).await {
                    return reason;
                }
                next_ping = Instant::now() + interval;
            }
        }
    }
}

async fn ping(peer: &Peer<RoleClient>, timeout: Duration) -> Result<(), String> {
    let request = ClientRequest::PingRequest(PingRequest::default());
    let options = PeerRequestOptions::with_timeout(timeout);
    let handle = peer
        .send_request_with_option(request, options)
        .await
        .map_err(|error| format!("ping could not be sent: {error}"))?;

    match handle.await_response().await {
        Ok(_) => Ok(()),
        Err(rmcp::ServiceError::McpError(_)) => Ok(()),
        Err(error) => Err(format!("did not answer a ping within {timeout:?}: {error}")),
    }
}

async fn refresh(
    hub: &Arc<Hub>,
    upstream: &Upstream,
    peer: &Peer<RoleClient>,
    offers: Offers,
) -> Result<(), String> {
    let timeout = hub.config().startup_timeout;
    let fetched = tokio::time::timeout(timeout, Catalog::fetch(peer, offers)).await;
    let catalog = match fetched {
        Ok(Ok(catalog)) => catalog,
        Ok(Err(error)) => return Err(error.to_string()),
        Err(_) => return Err(format!("listing its catalog took longer than {timeout:?}")),
    };

    tracing::debug!(
        upstream.name = upstream.name(),
        tools = catalog.tools.len(),
        prompts = catalog.prompts.len(),
        resources = catalog.resources.len(),
        "upstream catalog read"
    );
    upstream.set_catalog(catalog);
    Ok(())
}

fn offers(info: Option<&ServerPeerInfo>) -> Offers {
    let Some(capabilities) = info.map(|info| &info.capabilities) else {
        return Offers::default();
    };
    Offers {
        tools: capabilities.tools.is_some(),
        prompts: capabilities.prompts.is_some(),
        resources: capabilities.resources.is_some(),
    }
}
