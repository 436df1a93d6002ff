//! Fault-injection tools, offered only with `--faults`.
//!
//! The gateway must survive an upstream that dies, one that never answers, and one whose
//! tool list changes under it (a changed tool must be noticed and quarantined). These
//! tools cause each of those on demand. `purge_all` is the tool that appears and
//! disappears: it is listed only while `toggle_admin_tools` has switched it on.

use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use tokio_util::sync::CancellationToken;

use crate::server::DemoServer;
use crate::tools::{text_result, tool_error};

/// The exit status of the `crash` tool, so a test can tell this crash from others.
const CRASH_EXIT_CODE: i32 = 3;

#[tool_router(router = fault_tools, vis = "pub(crate)")]
impl DemoServer {
    #[tool(
        name = "crash",
        description = "Exit the server process at once with status 3, without answering.",
        annotations(
            title = "Crash the server",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn crash(&self) -> CallToolResult {
        tracing::warn!(exit.code = CRASH_EXIT_CODE, "crash tool called; exiting");
        std::process::exit(CRASH_EXIT_CODE)
    }

    #[tool(
        name = "hang",
        description = "Never answer; returns only when the call is cancelled.",
        annotations(
            title = "Hang",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn hang(&self, cancelled: CancellationToken) -> CallToolResult {
        tracing::info!("hang tool called; waiting for cancellation");
        cancelled.cancelled().await;

        tracing::info!("hang tool cancelled");
        tool_error("cancelled while hanging")
    }

    #[tool(
        name = "toggle_admin_tools",
        description = "List the extra admin tool purge_all if it is hidden, hide it if it is \
                       listed, and send notifications/tools/list_changed.",
        annotations(
            title = "Toggle the admin tools",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn toggle_admin_tools(&self) -> CallToolResult {
        let listed = self.desk().toggle_admin_tools();

        tracing::info!(admin_tools.listed = listed, "admin tools toggled");
        match listed {
            true => text_result("purge_all is now listed."),
            false => text_result("purge_all is now hidden."),
        }
    }
}

#[tool_router(router = admin_tools, vis = "pub(crate)")]
impl DemoServer {
    #[tool(
        name = "purge_all",
        description = "Delete every ticket on the desk.",
        annotations(
            title = "Purge all tickets",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn purge_all(&self) -> CallToolResult {
        let purged = self.desk().purge().await;

        tracing::warn!(tickets.purged = purged, "all tickets purged");
        text_result(format!("Purged {purged} tickets."))
    }
}
