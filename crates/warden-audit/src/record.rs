//! The audit record and its parts, as written one per line in `audit.jsonl`.
//!
//! Fields serialize in the order the design fixes: `seq`, `time`, `kind`,
//! `session`, `identity`, `task`, `request`, `decision`, `capability`,
//! `outcome`, `checkpoint` (checkpoint records only), `prev`, `hash`. Every
//! optional field but `checkpoint` is always present, `null` when absent, so
//! records of all kinds have the same shape.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Kind;

/// One entry of the log, as read back from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// When the writer sealed the record; RFC 3339 UTC with microseconds.
    #[serde(with = "rfc3339_micros")]
    pub time: SystemTime,
    /// What the record is about.
    pub kind: Kind,
    /// The MCP session, where there is one.
    pub session: Option<String>,
    /// The workload identity (SPIFFE ID) that acted.
    pub identity: Option<String>,
    /// The task the action belongs to.
    pub task: Option<String>,
    /// The request, with configured keys redacted.
    pub request: Option<Value>,
    /// The policy decision and the facts it was made from.
    pub decision: Option<Decision>,
    /// The capability used.
    pub capability: Option<Capability>,
    /// What happened.
    pub outcome: Option<Outcome>,
    /// The signature over the chain, on checkpoint records only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
    /// The hash of the previous record; 64 zeros for the first.
    pub prev: String,
    /// The hash of this record; see the [`chain`](crate#hash-chain) definition.
    pub hash: String,
}

/// What a caller asks the log to record; the writer adds `seq`, `time`,
/// `prev` and `hash`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What the event is about.
    pub kind: Kind,
    /// The MCP session, where there is one.
    pub session: Option<String>,
    /// The workload identity that acted.
    pub identity: Option<String>,
    /// The task the action belongs to.
    pub task: Option<String>,
    /// The request; the log redacts configured keys before writing it.
    pub request: Option<Value>,
    /// The policy decision.
    pub decision: Option<Decision>,
    /// The capability used.
    pub capability: Option<Capability>,
    /// What happened.
    pub outcome: Option<Outcome>,
}

impl Event {
    /// Starts an event of this kind with every other field absent, for use
    /// with struct update syntax.
    pub fn new(kind: Kind) -> Event {
        Event {
            kind,
            session: None,
            identity: None,
            task: None,
            request: None,
            decision: None,
            capability: None,
            outcome: None,
        }
    }
}

/// A policy decision, with what `replay` needs to evaluate it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// `allow`, `deny` or `approval_required`.
    pub effect: String,
    /// The version of the policy set that decided.
    pub policy_version: String,
    /// The rule that decided, where one matched.
    pub rule: Option<String>,
    /// Why, in words a model or an operator can act on.
    pub reason: String,
    /// The facts the decision was made from, as Datalog text.
    pub facts: Vec<String>,
}

/// The capability a call was made under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capability {
    /// The call token, where one was minted.
    pub call_token: Option<String>,
    /// The revocation identifiers of the task capability and call token.
    pub revocation_ids: Vec<String>,
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// e.g. `ok`, `error`, `timeout`.
    pub status: String,
    /// How long it took, in microseconds.
    pub duration_us: u64,
    /// A digest of the result, where there is one.
    pub result_digest: Option<String>,
    /// The size of the result in bytes.
    pub bytes: u64,
}

/// A signature over the chain up to and including record `covers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The seq of the last record covered: always the record just before.
    pub covers: u64,
    /// The id of the signing key, e.g. `a1`.
    pub key_id: String,
    /// The Ed25519 signature, in hex.
    pub signature: String,
}

/// What the log returns once an event is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The record's seq.
    pub seq: u64,
    /// The record's hash, in hex.
    pub hash: String,
}

/// Serde for `SystemTime` as RFC 3339 UTC with exactly six fractional digits.
pub(crate) mod rfc3339_micros {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the time in the log's one format.
    pub(crate) fn serialize<S: Serializer>(time: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_rfc3339_micros(*time))
    }

    /// Reads a time written by [`serialize`].
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        humantime::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}
