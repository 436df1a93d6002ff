//! MCP log notifications (`notifications/message`) and the level that
//! filters them.
//!
//! SEP-2577 deprecates MCP logging, and rmcp marks its types accordingly, but
//! the conformance suite still checks `logging/setLevel` and a tool that logs
//! while it runs, so this module uses them on purpose.
#![expect(
    deprecated,
    reason = "the conformance suite still exercises MCP logging, deprecated by SEP-2577"
)]

use std::sync::atomic::{AtomicU8, Ordering};

use rmcp::RoleServer;
use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam, SetLevelRequestParams};
use rmcp::service::RequestContext;

/// The logger name carried by every message this server sends.
const LOGGER: &str = "conformance-server";

/// The lowest severity a session wants to hear about.
///
/// Until a client sets a level, every message is sent: a gateway that does
/// not relay `logging/setLevel` then still sees the tool's messages.
#[derive(Debug, Default)]
pub(crate) struct LogThreshold(AtomicU8);

impl LogThreshold {
    /// Records the level from a `logging/setLevel` request.
    pub(crate) fn set(&self, request: &SetLevelRequestParams) {
        self.0.store(rank(&request.level) + 1, Ordering::Relaxed);
    }

    /// Tells whether a message at `level` passes, preferring the level the
    /// request itself names (protocol 2026-07-28 carries it in `_meta`).
    fn allows(&self, level: &LoggingLevel, context: &RequestContext<RoleServer>) -> bool {
        let minimum = match context.meta.log_level() {
            Some(requested) => rank(&requested),
            None => self.0.load(Ordering::Relaxed).saturating_sub(1),
        };
        rank(level) >= minimum
    }
}

/// Sends `text` as an `info` log notification, unless the threshold filters it.
pub(crate) async fn info(
    context: &RequestContext<RoleServer>,
    threshold: &LogThreshold,
    text: &str,
) {
    let level = LoggingLevel::Info;
    if !threshold.allows(&level, context) {
        return;
    }

    let message = LoggingMessageNotificationParam::new(level, serde_json::Value::from(text))
        .with_logger(LOGGER);
    if let Err(error) = context.peer.notify_logging_message(message).await {
        tracing::debug!(%error, "log notification not delivered");
    }
}

/// Orders levels by severity, `debug` lowest.
fn rank(level: &LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_rise_from_debug_to_emergency() {
        assert!(rank(&LoggingLevel::Debug) < rank(&LoggingLevel::Info));
        assert!(rank(&LoggingLevel::Warning) < rank(&LoggingLevel::Error));
        assert!(rank(&LoggingLevel::Alert) < rank(&LoggingLevel::Emergency));
    }
}
