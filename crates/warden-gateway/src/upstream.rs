//! One registered upstream MCP server: its configuration, its connection state
//! and the catalog it last reported.
//!
//! The state is swapped atomically so that the call path reads it without a
//! lock; only the upstream's supervisor writes it.

pub(crate) mod catalog;
pub(crate) mod client;
pub(crate) mod connect;
pub(crate) mod intercept;
pub(crate) mod supervisor;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};
use rmcp::service::{Peer, RoleClient};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::config::UpstreamConfig;
use catalog::Catalog;

/// A registered upstream, shared by the call path and its supervisor.
pub(crate) struct Upstream {
    pub(crate) index: usize,
    pub(crate) config: UpstreamConfig,
    pub(crate) call_timeout: Duration,
    state: ArcSwap<State>,
    catalog: ArcSwapOption<Catalog>,
    /// Woken when the upstream announces that a listing changed.
    pub(crate) list_changed: Notify,
}

/// Where the connection to an upstream stands.
pub(crate) enum State {
    /// The first connection attempt has not finished yet.
    Starting,
    /// Connected and answering.
    Ready {
        peer: Peer<RoleClient>,
        logging: bool,
    },
    /// Down; the supervisor tries again at `retry_at`.
    Unavailable { reason: String, retry_at: Instant },
}

/// Why a request could not be sent to an upstream.
#[derive(Debug, Clone, thiserror::Error)]
#[error("upstream `{name}` is unavailable: {reason}")]
pub(crate) struct Unavailable {
    pub(crate) name: String,
    pub(crate) reason: String,
}

impl Upstream {
    pub(crate) fn new(index: usize, config: UpstreamConfig, default_timeout: Duration) -> Self {
        Self {
            index,
            call_timeout: config.call_timeout.unwrap_or(default_timeout),
            config,
            state: ArcSwap::from_pointee(State::Starting),
            catalog: ArcSwapOption::empty(),
            list_changed: Notify::new(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.config.name
    }

    /// The connected peer, or why there is none.
    pub(crate) fn peer(&self) -> Result<Peer<RoleClient>, Unavailable> {
        match self.state.load().as_ref() {
            State::Ready { peer, .. } => Ok(peer.clone()),
            State::Starting => Err(self.unavailable("still starting".to_owned())),
            State::Unavailable { reason, retry_at } => {
                let wait = retry_at.saturating_duration_since(Instant::now());
                Err(self.unavailable(format!(
                    "{reason}; the gateway retries in {}s",
                    wait.as_secs().max(1)
                )))
            }
        }
    }

    /// Whether the upstream advertised logging, so `logging/setLevel` may go to it.
    pub(crate) fn supports_logging(&self) -> bool {
        matches!(
            self.state.load().as_ref(),
            State::Ready { logging: true, .. }
        )
    }

    pub(crate) fn state(&self) -> Arc<State> {
        self.state.load_full()
    }

    pub(crate) fn set_state(&self, state: State) {
        self.state.store(Arc::new(state));
    }

    pub(crate) fn catalog(&self) -> Option<Arc<Catalog>> {
        self.catalog.load_full()
    }

    pub(crate) fn set_catalog(&self, catalog: Catalog) {
        self.catalog.store(Some(Arc::new(catalog)));
    }

    fn unavailable(&self, reason: String) -> Unavailable {
        Unavailable {
            name: self.config.name.clone(),
            reason,
        }
    }
}
