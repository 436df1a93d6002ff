//! Turns desk changes into the MCP notifications each session asked for.
//!
//! Clients on protocol versions before 2026-07-28 hear about changes on their session:
//! list changes always, `notifications/resources/updated` only for the URIs they named in
//! `resources/subscribe`. Clients on 2026-07-28 have no session; they open a
//! `subscriptions/listen` request instead and hear exactly what its accepted filter names.
//! Both kinds read the same desk feed, so they see the same changes in the same order.

use std::collections::HashSet;
use std::sync::Arc;

use rmcp::model::ResourceUpdatedNotificationParam;
use rmcp::service::{ServiceError, SubscriptionContext, SubscriptionSendError};
use rmcp::{ErrorData, Peer, RoleServer};
use tokio::sync::{Mutex, broadcast};

use crate::resources::{OPEN_TICKETS_URI, ticket_uri};

/// One change on the desk, as published to every session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeskEvent {
    /// A ticket was filed.
    Created(u64),
    /// A ticket changed (it was closed).
    Updated(u64),
    /// A ticket was removed.
    Deleted(u64),
    /// The set of listed tools changed.
    ToolsChanged,
}

/// One notification that a desk event causes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Notice {
    ToolsChanged,
    ResourcesChanged,
    ResourceUpdated(String),
}

impl DeskEvent {
    /// The notifications this event causes, in the order they are sent.
    fn notices(self) -> Vec<Notice> {
        match self {
            Self::ToolsChanged => vec![Notice::ToolsChanged],
            Self::Created(id) | Self::Deleted(id) => vec![
                Notice::ResourcesChanged,
                Notice::ResourceUpdated(OPEN_TICKETS_URI.to_owned()),
                Notice::ResourceUpdated(ticket_uri(id)),
            ],
            Self::Updated(id) => vec![
                Notice::ResourceUpdated(OPEN_TICKETS_URI.to_owned()),
                Notice::ResourceUpdated(ticket_uri(id)),
            ],
        }
    }
}

/// The resource URIs one legacy session subscribed to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subscriptions(Arc<Mutex<HashSet<String>>>);

impl Subscriptions {
    /// Starts sending `notifications/resources/updated` for `uri`.
    pub(crate) async fn add(&self, uri: String) {
        self.0.lock().await.insert(uri);
    }

    /// Stops sending `notifications/resources/updated` for `uri`.
    pub(crate) async fn remove(&self, uri: &str) {
        self.0.lock().await.remove(uri);
    }

    /// Whether the session wants to hear of `notice`: list changes always, resource
    /// updates only when subscribed.
    async fn wants(&self, notice: &Notice) -> bool {
        match notice {
            Notice::ResourceUpdated(uri) => self.0.lock().await.contains(uri),
            Notice::ToolsChanged | Notice::ResourcesChanged => true,
        }
    }
}

/// Forwards desk events to one legacy session, in the background, until its transport
/// closes.
pub(crate) fn relay_to_session(
    peer: Peer<RoleServer>,
    subscriptions: Subscriptions,
    mut events: broadcast::Receiver<DeskEvent>,
) {
    tokio::spawn(async move {
        while let Some(event) = next_event(&mut events).await {
            if peer.is_transport_closed() {
                break;
            }

            for notice in event.notices() {
                if !subscriptions.wants(&notice).await {
                    continue;
                }
                if let Err(error) = notify_session(&peer, notice).await {
                    tracing::debug!(%error, "session gone; stopping its desk relay");
                    return;
                }
            }
        }
    });
}

/// Forwards desk events to one `subscriptions/listen` request until the client cancels
/// it or the stream closes.
pub(crate) async fn relay_to_listener(
    context: SubscriptionContext,
    mut events: broadcast::Receiver<DeskEvent>,
) -> Result<(), ErrorData> {
    loop {
        let event = tokio::select! {
            () = context.cancelled() => return Ok(()),
            event = next_event(&mut events) => event,
        };
        let Some(event) = event else {
            return Ok(());
        };

        for notice in event.notices() {
            match notify_listener(&context, notice).await {
                Ok(()) | Err(SubscriptionSendError::NotificationNotAccepted(_)) => {}
                Err(error) => {
                    tracing::debug!(%error, "listener gone; ending its subscription");
                    return Ok(());
                }
            }
        }
    }
}

/// Waits for the next desk event, skipping over any this session fell behind on.
async fn next_event(events: &mut broadcast::Receiver<DeskEvent>) -> Option<DeskEvent> {
    loop {
        match events.recv().await {
            Ok(event) => return Some(event),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(events.missed = missed, "session fell behind the desk feed");
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}

/// Sends one notice on a legacy session.
async fn notify_session(peer: &Peer<RoleServer>, notice: Notice) -> Result<(), ServiceError> {
    match notice {
        Notice::ToolsChanged => peer.notify_tool_list_changed().await,
        Notice::ResourcesChanged => peer.notify_resource_list_changed().await,
        Notice::ResourceUpdated(uri) => {
            let params = ResourceUpdatedNotificationParam::new(uri);
            peer.notify_resource_updated(params).await
        }
    }
}

/// Sends one notice on a `subscriptions/listen` stream, which drops what it did not accept.
async fn notify_listener(
    context: &SubscriptionContext,
    notice: Notice,
) -> Result<(), SubscriptionSendError> {
    let sink = context.sink();
    match notice {
        Notice::ToolsChanged => sink.notify_tool_list_changed().await,
        Notice::ResourcesChanged => sink.notify_resource_list_changed().await,
        Notice::ResourceUpdated(uri) => sink.notify_resource_updated(uri).await,
    }
}
