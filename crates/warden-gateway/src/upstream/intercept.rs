//! A transport wrapper that takes progress and log notifications off an
//! upstream connection as they are read, in order.
//!
//! The SDK hands notifications to the client handler on spawned tasks, so a
//! request's final answer can overtake the notifications sent before it.
//! Queuing them here, before the answer is even read, keeps the order the
//! upstream sent them in.

use std::sync::Arc;

use rmcp::model::{JsonRpcMessage, JsonRpcNotification, ServerNotification};
use rmcp::service::{RoleClient, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;

use crate::relay::inflight::InFlight;

/// Wraps the transport of upstream `upstream`.
pub(crate) struct Intercept<T> {
    inner: T,
    upstream: usize,
    inflight: Arc<InFlight>,
}

impl<T> Intercept<T> {
    pub(crate) fn new(inner: T, upstream: usize, inflight: Arc<InFlight>) -> Self {
        Self {
            inner,
            upstream,
            inflight,
        }
    }

    /// Queues a notification that belongs to an agent request, or gives the
    /// message back for the SDK to handle.
    fn take(&self, message: RxJsonRpcMessage<RoleClient>) -> Option<RxJsonRpcMessage<RoleClient>> {
        let JsonRpcMessage::Notification(JsonRpcNotification { notification, .. }) = &message
        else {
            return Some(message);
        };
        match notification {
            ServerNotification::ProgressNotification(progress) => {
                self.inflight
                    .relay_progress(self.upstream, progress.params.clone());
                None
            }
            ServerNotification::LoggingMessageNotification(log) => {
                self.inflight.relay_log(self.upstream, log.params.clone());
                None
            }
            _ => Some(message),
        }
    }
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for Intercept<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        loop {
            let message = self.inner.receive().await?;
            if let Some(message) = self.take(message) {
                return Some(message);
            }
        }
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}
