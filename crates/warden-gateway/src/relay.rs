//! The agent-facing side of the gateway: one MCP server handler per agent
//! session, which forwards each request to the upstream that serves it and
//! relays whatever the upstream sends back on the way.

pub(crate) mod forward;
pub(crate) mod handler;
pub(crate) mod inflight;
pub(crate) mod policy;
pub(crate) mod sessions;
pub(crate) mod warden_tools;

use std::sync::Arc;

use inflight::InFlight;
use sessions::Sessions;

/// State that upstream clients need in order to reach agent sessions.
#[derive(Default)]
pub(crate) struct Relay {
    pub(crate) inflight: Arc<InFlight>,
    pub(crate) sessions: Sessions,
}

impl Relay {
    /// Tells every open session of `identity` that its tool list changed: a
    /// task of it began or ended.
    pub(crate) fn announce_tools_to(&self, identity: &str) {
        let peers = self.sessions.peers_of(identity);
        if peers.is_empty() {
            return;
        }
        tracing::debug!(
            agent.spiffe_id = identity,
            sessions = peers.len(),
            "tools changed"
        );

        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            for peer in peers {
                let _ = peer.notify_tool_list_changed().await;
            }
        });
    }

    /// Sends `list_changed` notifications for the listings that changed to
    /// every open session, in the background.
    pub(crate) fn announce_changes(&self, tools: bool, prompts: bool, resources: bool) {
        let peers = self.sessions.peers();
        if peers.is_empty() {
            return;
        }
        tracing::debug!(
            sessions = peers.len(),
            tools,
            prompts,
            resources,
            "announcing list changes"
        );

        tokio::spawn(async move {
            for peer in peers {
                if tools {
                    let _ = peer.notify_tool_list_changed().await;
                }
                if prompts {
                    let _ = peer.notify_prompt_list_changed().await;
                }
                if resources {
                    let _ = peer.notify_resource_list_changed().await;
                }
            }
        });
    }
}
