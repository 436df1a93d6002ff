//! The agent sessions the gateway is serving: whom to tell when a listing
//! changes, who subscribed to which resource, and at what level each wants
//! log messages.

use std::collections::{HashMap, HashSet};

use parking_lot::Mutex;
use rmcp::model::LoggingLevel;
use rmcp::service::{Peer, RoleServer};

use super::inflight::SessionKey;

struct Session {
    peer: Peer<RoleServer>,
    /// The SPIFFE ID that opened the session.
    owner: Option<String>,
    subscriptions: HashSet<String>,
    log_level: Option<LoggingLevel>,
}

/// Every open agent session with a peer the gateway can notify.
#[derive(Default)]
pub(crate) struct Sessions {
    sessions: Mutex<HashMap<SessionKey, Session>>,
}

impl Sessions {
    /// Records the session's peer the first time the session is seen.
    pub(crate) fn touch(&self, key: SessionKey, peer: &Peer<RoleServer>) {
        self.sessions.lock().entry(key).or_insert_with(|| Session {
            peer: peer.clone(),
            owner: None,
            subscriptions: HashSet::new(),
            log_level: None,
        });
    }

    /// Records who opened the session, so that news of its tasks reaches it.
    pub(crate) fn set_owner(&self, key: SessionKey, owner: &str) {
        if let Some(session) = self.sessions.lock().get_mut(&key) {
            session.owner = Some(owner.to_owned());
        }
    }

    /// Peers of the open sessions of `identity`.
    pub(crate) fn peers_of(&self, identity: &str) -> Vec<Peer<RoleServer>> {
        self.sessions
            .lock()
            .values()
            .filter(|session| session.owner.as_deref() == Some(identity))
            .filter(|session| !session.peer.is_transport_closed())
            .map(|session| session.peer.clone())
            .collect()
    }

    /// Forgets a session and returns the resources it had subscribed to.
    pub(crate) fn remove(&self, key: SessionKey) -> Vec<String> {
        self.sessions
            .lock()
            .remove(&key)
            .map(|session| session.subscriptions.into_iter().collect())
            .unwrap_or_default()
    }

    pub(crate) fn len(&self) -> usize {
        self.sessions.lock().len()
    }

    /// Peers of every session whose transport is still open.
    pub(crate) fn peers(&self) -> Vec<Peer<RoleServer>> {
        let mut sessions = self.sessions.lock();
        sessions.retain(|_, session| !session.peer.is_transport_closed());
        sessions
            .values()
            .map(|session| session.peer.clone())
            .collect()
    }

    /// Peers of the sessions subscribed to `uri`.
    pub(crate) fn subscribers(&self, uri: &str) -> Vec<Peer<RoleServer>> {
        let sessions = self.sessions.lock();
        sessions
            .values()
            .filter(|session| session.subscriptions.contains(uri))
            .map(|session| session.peer.clone())
            .collect()
    }

    /// Records a subscription; false if the session already had it.
    pub(crate) fn subscribe(&self, key: SessionKey, uri: &str) -> bool {
        let mut sessions = self.sessions.lock();
        sessions
            .get_mut(&key)
            .is_some_and(|session| session.subscriptions.insert(uri.to_owned()))
    }

    /// Drops a subscription; false if the session did not have it.
    pub(crate) fn unsubscribe(&self, key: SessionKey, uri: &str) -> bool {
        let mut sessions = self.sessions.lock();
        sessions
            .get_mut(&key)
            .is_some_and(|session| session.subscriptions.remove(uri))
    }

    pub(crate) fn set_log_level(&self, key: SessionKey, level: LoggingLevel) {
        if let Some(session) = self.sessions.lock().get_mut(&key) {
            session.log_level = Some(level);
        }
    }

    /// Whether the session asked for messages at `level` (all, if it never said).
    pub(crate) fn wants_log(&self, key: SessionKey, level: LoggingLevel) -> bool {
        let sessions = self.sessions.lock();
        let threshold = sessions.get(&key).and_then(|session| session.log_level);
        threshold.is_none_or(|threshold| severity(level) >= severity(threshold))
    }
}

fn severity(level: LoggingLevel) -> u8 {
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
