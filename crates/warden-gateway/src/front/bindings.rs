//! Which workload identity opened each MCP session.
//!
//! A session id is a routing handle, never a credential: every request still
//! proves its identity, and a request that names a session must prove the
//! identity that opened it. Sessions of protocol 2026-07-28 do not exist, so
//! nothing is bound for them.

use std::collections::HashMap;

use parking_lot::Mutex;
use warden_identity::SpiffeId;

/// How a request's identity relates to the session it names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SessionCheck {
    /// The session was opened by this identity.
    Owner,
    /// The session was opened by another identity.
    Foreign(SpiffeId),
    /// No open session has this id.
    Unknown,
}

/// Session ids mapped to the identity that opened them.
#[derive(Default)]
pub(crate) struct SessionBindings {
    owners: Mutex<HashMap<String, SpiffeId>>,
}

impl SessionBindings {
    /// Records that `session` was opened by `owner`.
    pub(crate) fn bind(&self, session: &str, owner: &SpiffeId) {
        self.owners.lock().insert(session.to_owned(), owner.clone());
    }

    /// Forgets a closed session.
    pub(crate) fn unbind(&self, session: &str) {
        self.owners.lock().remove(session);
    }

    pub(crate) fn check(&self, session: &str, identity: &SpiffeId) -> SessionCheck {
        match self.owners.lock().get(session) {
            Some(owner) if owner == identity => SessionCheck::Owner,
            Some(owner) => SessionCheck::Foreign(owner.clone()),
            None => SessionCheck::Unknown,
        }
    }

    /// The bound session ids, for sweeping those the transport has closed.
    pub(crate) fn sessions(&self) -> Vec<String> {
        self.owners.lock().keys().cloned().collect()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.owners.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> SpiffeId {
        text.parse().expect("valid spiffe id")
    }

    #[test]
    fn only_the_opening_identity_owns_a_session() {
        let bindings = SessionBindings::default();
        let alice = id("spiffe://example.org/agent/alice");
        let bob = id("spiffe://example.org/agent/bob");

        bindings.bind("s1", &alice);

        assert_eq!(bindings.check("s1", &alice), SessionCheck::Owner);
        assert_eq!(bindings.check("s1", &bob), SessionCheck::Foreign(alice));
        assert_eq!(bindings.check("s2", &bob), SessionCheck::Unknown);
    }

    #[test]
    fn an_unbound_session_is_unknown_to_everyone() {
        let bindings = SessionBindings::default();
        let alice = id("spiffe://example.org/agent/alice");
        bindings.bind("s1", &alice);

        bindings.unbind("s1");

        assert_eq!(bindings.check("s1", &alice), SessionCheck::Unknown);
        assert_eq!(bindings.len(), 0);
    }
}
