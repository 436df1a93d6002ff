//! Tools that send notifications while they run: log messages and progress.
//!
//! Both pause between notifications, so a client (or a gateway) must relay
//! messages as they come rather than only alongside the final result.

use std::time::Duration;

use rmcp::model::{CallToolResult, ContentBlock, ProgressNotificationParam, Tool};

use super::{Call, no_arguments};
use crate::logging;

/// Logs three `info` messages while it runs.
pub(crate) const LOGGING: &str = "test_tool_with_logging";
/// Reports progress 0, 50 and 100 out of 100 when given a progress token.
pub(crate) const PROGRESS: &str = "test_tool_with_progress";

/// The pause between two notifications.
const STEP: Duration = Duration::from_millis(50);

/// The progress values [`PROGRESS`] reports, out of [`TOTAL`].
const STEPS: [f64; 3] = [0.0, 50.0, 100.0];
const TOTAL: f64 = 100.0;

/// Describes the notifying tools.
pub(crate) fn tools() -> Vec<Tool> {
    vec![
        Tool::new(
            LOGGING,
            "Sends three info log messages while it runs",
            no_arguments(),
        ),
        Tool::new(
            PROGRESS,
            "Reports progress 0, 50 and 100 of 100 when the call carries a progress token",
            no_arguments(),
        ),
    ]
}

/// Runs [`LOGGING`].
pub(crate) async fn with_logging(call: &Call<'_>) -> CallToolResult {
    logging::info(call.context, call.logs, "Tool execution started").await;
    tokio::time::sleep(STEP).await;

    logging::info(call.context, call.logs, "Tool processing data").await;
    tokio::time::sleep(STEP).await;

    logging::info(call.context, call.logs, "Tool execution completed").await;
    CallToolResult::success(vec![ContentBlock::text(
        "Tool with logging executed successfully",
    )])
}

/// Runs [`PROGRESS`]; without a token it only waits as long.
pub(crate) async fn with_progress(call: &Call<'_>) -> CallToolResult {
    let token = call.context.meta.get_progress_token();

    for (index, progress) in STEPS.into_iter().enumerate() {
        if index > 0 {
            tokio::time::sleep(STEP).await;
        }

        let Some(token) = &token else {
            continue;
        };
        let notification = ProgressNotificationParam::new(token.clone(), progress)
            .with_total(TOTAL)
            .with_message(format!("step {} of {}", index + 1, STEPS.len()));
        if let Err(error) = call.context.peer.notify_progress(notification).await {
            tracing::debug!(%error, "progress notification not delivered");
        }
    }

    CallToolResult::success(vec![ContentBlock::text(
        "Tool with progress executed successfully",
    )])
}
