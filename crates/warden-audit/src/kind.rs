//! The kind of an audit record: a lowercase `noun.verb` name.
//!
//! A [`Kind`] is valid by construction: it matches `[a-z]+\.[a-z_]+`, so new
//! kinds can be added by callers without changing this crate, while a typo such
//! as `Tool.Call` or `toolcall` is refused at the point it is made.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::AuditError;

/// What an audit record is about, e.g. `tool.call` or `task.grant`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Kind(Cow<'static, str>);

impl Kind {
    /// An MCP session was opened.
    pub const SESSION_OPEN: Kind = Kind::fixed("session.open");
    /// An MCP session was closed.
    pub const SESSION_CLOSE: Kind = Kind::fixed("session.close");
    /// An agent requested a task.
    pub const TASK_REQUEST: Kind = Kind::fixed("task.request");
    /// Policy granted a task.
    pub const TASK_GRANT: Kind = Kind::fixed("task.grant");
    /// Policy or an approver denied a task.
    pub const TASK_DENY: Kind = Kind::fixed("task.deny");
    /// An approver approved a pending task.
    pub const TASK_APPROVE: Kind = Kind::fixed("task.approve");
    /// The agent ended its task.
    pub const TASK_END: Kind = Kind::fixed("task.end");
    /// A task reached its expiry.
    pub const TASK_EXPIRE: Kind = Kind::fixed("task.expire");
    /// A task was revoked.
    pub const TASK_REVOKE: Kind = Kind::fixed("task.revoke");
    /// A tool call was authorized and forwarded.
    pub const TOOL_CALL: Kind = Kind::fixed("tool.call");
    /// A tool call was refused.
    pub const TOOL_DENY: Kind = Kind::fixed("tool.deny");
    /// A prompt was asked for; the decision says whether it was given.
    pub const PROMPT_GET: Kind = Kind::fixed("prompt.get");
    /// A resource was read or subscribed to; the decision says whether it was allowed.
    pub const RESOURCE_READ: Kind = Kind::fixed("resource.read");
    /// The outcome of a forwarded tool call, written before the agent gets it.
    pub const TOOL_RESULT: Kind = Kind::fixed("tool.result");
    /// An upstream server was registered.
    pub const UPSTREAM_REGISTER: Kind = Kind::fixed("upstream.register");
    /// A tool whose definition changed was quarantined.
    pub const TOOL_QUARANTINE: Kind = Kind::fixed("tool.quarantine");
    /// A policy set was loaded.
    pub const POLICY_LOAD: Kind = Kind::fixed("policy.load");
    /// A signed checkpoint over the chain; written only by the log itself.
    pub const CHECKPOINT: Kind = Kind::fixed("checkpoint");

    const fn fixed(name: &'static str) -> Kind {
        Kind(Cow::Borrowed(name))
    }

    /// Checks a kind name, so that records only ever carry well-formed kinds.
    pub fn new(name: impl Into<String>) -> Result<Kind, AuditError> {
        let name = name.into();
        if name == Kind::CHECKPOINT.as_str() || is_valid_kind(&name) {
            Ok(Kind(Cow::Owned(name)))
        } else {
            Err(AuditError::InvalidKind(name))
        }
    }

    /// Gives the kind's name as written in the log.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Tells whether this is the kind of checkpoint records.
    pub fn is_checkpoint(&self) -> bool {
        self.as_str() == Kind::CHECKPOINT.as_str()
    }
}

/// Tells whether `name` matches `[a-z]+\.[a-z_]+`.
pub(crate) fn is_valid_kind(name: &str) -> bool {
    let Some((noun, verb)) = name.split_once('.') else {
        return false;
    };

    let noun_ok = !noun.is_empty() && noun.bytes().all(|b| b.is_ascii_lowercase());
    let verb_ok = !verb.is_empty() && verb.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    noun_ok && verb_ok
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = AuditError;

    fn from_str(name: &str) -> Result<Kind, AuditError> {
        Kind::new(name)
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Kind, D::Error> {
        let name = String::deserialize(deserializer)?;
        Kind::new(name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_the_form_noun_dot_verb_are_accepted() {
        for name in [
            "tool.call",
            "task.grant",
            "upstream.register",
            "a.b_c",
            "checkpoint",
        ] {
            assert!(Kind::new(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn malformed_kinds_are_refused() {
        for name in [
            "Tool.call",
            "toolcall",
            "tool.",
            ".call",
            "tool.call.x",
            "tool-x.call",
        ] {
            assert!(
                matches!(Kind::new(name), Err(AuditError::InvalidKind(_))),
                "{name}"
            );
        }
    }
}
