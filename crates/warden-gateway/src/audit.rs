//! What the gateway writes to the audit log, and when it waits for it.
//!
//! A tool call's decision record is durable before the call is forwarded,
//! and its outcome record before the answer is returned; when the log
//! cannot be written, the call is refused ([`GatewayError::Audit`]). Other
//! events (sessions, task changes, policy loads, upstream catalogs) are
//! appended without holding up the request that caused them: what they
//! record has happened either way, and no access is used without its call
//! records.

use std::sync::Arc;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use warden_audit::{AuditLog, Capability, Decision, Event, Kind, Outcome};
use warden_store::{TaskRecord, TaskState};

use crate::error::GatewayError;
use crate::tasks::TaskChange;

/// The gateway's handle on its audit log; clones share the log.
#[derive(Clone)]
pub(crate) struct Recorder {
    log: Arc<AuditLog>,
}

impl Recorder {
    pub(crate) fn new(log: AuditLog) -> Self {
        Self { log: Arc::new(log) }
    }

    /// Appends `event` and waits until it is durable.
    pub(crate) async fn record(&self, event: Event) -> Result<(), GatewayError> {
        let appended = self.log.append(event).await;
        self.refuse_on_failure(appended)
    }

    /// Appends `event` and waits until it is written to the file, where it
    /// survives the gateway being killed, not for the sync after it.
    pub(crate) async fn record_written(&self, event: Event) -> Result<(), GatewayError> {
        let appended = self.log.append_written(event).await;
        self.refuse_on_failure(appended)
    }

    /// A failed append refuses the request it was for.
    fn refuse_on_failure(
        &self,
        appended: Result<warden_audit::Appended, warden_audit::AuditError>,
    ) -> Result<(), GatewayError> {
        appended.map(drop).map_err(|error| {
            tracing::error!(%error, audit.path = %self.log.path().display(),
                "audit log write failed: refusing requests");
            GatewayError::Audit(error.to_string())
        })
    }

    /// Queues `event` without waiting for it to be durable; it is written
    /// in order with the records queued before and after it.
    pub(crate) fn record_later(&self, event: Event) {
        let kind = event.kind.as_str().to_owned();
        if let Err(error) = self.log.append_detached(event) {
            tracing::error!(%error, audit.kind = %kind, "audit log write failed");
        }
    }

    /// A policy decision as the log keeps it, with the values of redacted
    /// arguments replaced by their keyed digests in the facts too.
    pub(crate) fn decision(&self, policy: &warden_policy::Decision) -> Decision {
        let mut kept = decision(policy);
        let redactor = self.log.redactor();
        for fact in &mut kept.facts {
            if let Some(redacted) = redact_arg_fact(fact, redactor) {
                *fact = redacted;
            }
        }
        kept
    }

    /// Whether the log still accepts records.
    pub(crate) fn is_healthy(&self) -> bool {
        self.log.is_healthy()
    }

    pub(crate) fn stats(&self) -> warden_audit::AuditStats {
        self.log.stats()
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        self.log.path()
    }

    /// Writes the final checkpoint.
    pub(crate) async fn close(&self) {
        if let Err(error) = self.log.close().await {
            tracing::error!(%error, "audit log did not close cleanly");
        }
    }
}

/// A policy decision as the audit log keeps it, facts included for replay.
pub(crate) fn decision(decision: &warden_policy::Decision) -> Decision {
    Decision {
        effect: decision.effect.kind().to_owned(),
        policy_version: decision.policy_version.as_str().to_owned(),
        rule: decision.rule.clone(),
        reason: decision.reason.clone(),
        facts: decision.facts.clone(),
    }
}

/// A refusal that no policy rule made (no task, a constraint, a revoked
/// capability): recorded as a deny without facts, which replay skips.
pub(crate) fn refusal(reason: &str) -> Decision {
    without_rule("deny", reason)
}

/// A decision made by no policy rule: an approver's, the gateway's own.
fn without_rule(effect: &str, reason: &str) -> Decision {
    Decision {
        effect: effect.to_owned(),
        policy_version: String::new(),
        rule: None,
        reason: reason.to_owned(),
        facts: Vec::new(),
    }
}

/// The record of a task's change, by what changed.
pub(crate) fn task_change(change: &TaskChange<'_>) -> Event {
    let task = change.record;
    let kind = match (change.kind, task.state) {
        (crate::tasks::TaskChangeKind::Requested, TaskState::Active) => Kind::TASK_GRANT,
        (crate::tasks::TaskChangeKind::Requested, TaskState::Pending) => Kind::TASK_REQUEST,
        (crate::tasks::TaskChangeKind::Approved, _) => Kind::TASK_APPROVE,
        (_, TaskState::Denied) => Kind::TASK_DENY,
        (_, TaskState::Completed) => Kind::TASK_END,
        (_, TaskState::Expired) => Kind::TASK_EXPIRE,
        _ => Kind::TASK_REVOKE,
    };

    let mut event = Event::new(kind);
    event.identity = Some(task.identity.clone());
    event.task = Some(task.id.clone());
    event.session = task.session.clone();
    event.request = Some(task_request(task));
    let effect = if task.state == TaskState::Active {
        "allow"
    } else {
        "deny"
    };
    let reason = task.reason.as_deref().unwrap_or_default();
    event.decision = Some(
        change
            .decision
            .map_or_else(|| without_rule(effect, reason), decision),
    );
    if !task.revocation_ids.is_empty() {
        event.capability = Some(Capability {
            call_token: None,
            revocation_ids: task.revocation_ids.clone(),
        });
    }
    event
}

fn task_request(task: &TaskRecord) -> Value {
    json!({
        "goal": task.goal,
        "tools": task.tools,
        "constraints": task.constraints,
        "ttl_seconds": task.ttl.as_secs(),
        "budget": task.budget,
        "state": task.state.to_string(),
        "decided_by": task.decided_by,
    })
}

/// What a tool call's records say about the call itself.
pub(crate) struct CallContext<'a> {
    pub(crate) identity: &'a str,
    pub(crate) session: Option<&'a str>,
    pub(crate) task: Option<&'a str>,
    pub(crate) tool: &'a str,
    pub(crate) upstream: &'a str,
    pub(crate) call_id: Option<&'a str>,
    pub(crate) arguments: Option<&'a serde_json::Map<String, Value>>,
}

impl CallContext<'_> {
    /// An event of `kind` about this call.
    pub(crate) fn event(&self, kind: Kind) -> Event {
        let mut event = Event::new(kind);
        event.identity = Some(self.identity.to_owned());
        event.session = self.session.map(str::to_owned);
        event.task = self.task.map(str::to_owned);
        event.request = Some(json!({
            "tool": self.tool,
            "upstream": self.upstream,
            "call": self.call_id,
            "arguments": self.arguments,
        }));
        event
    }
}

/// The outcome of a forwarded call: its status, how long it took, and a
/// digest and size of what came back.
pub(crate) fn outcome(result: &Result<Value, String>, duration: std::time::Duration) -> Outcome {
    let (status, body) = match result {
        Ok(value) if value["isError"] == json!(true) => ("tool_error", value.to_string()),
        Ok(value) => ("ok", value.to_string()),
        Err(reason) => ("failed", reason.clone()),
    };
    Outcome {
        status: status.to_owned(),
        duration_us: u64::try_from(duration.as_micros()).unwrap_or(u64::MAX),
        result_digest: Some(hex::encode(Sha256::digest(body.as_bytes()))),
        bytes: body.len() as u64,
    }
}

/// The record of an upstream's catalog, as the gateway registered it.
pub(crate) fn upstream_registered(upstream: &crate::upstream::Upstream) -> Event {
    let catalog = upstream.catalog();
    let names = |tools: &[rmcp::model::Tool]| -> Vec<String> {
        tools.iter().map(|tool| tool.name.to_string()).collect()
    };
    let mut event = Event::new(Kind::UPSTREAM_REGISTER);
    event.request = Some(json!({
        "upstream": upstream.name(),
        "prefix": upstream.config.prefix(),
        "tools": catalog.as_deref().map(|catalog| names(&catalog.tools)),
        "prompts": catalog.as_deref().map(|catalog| catalog.prompts.len()),
        "resources": catalog.as_deref().map(|catalog| catalog.resources.len()),
    }));
    event
}

/// The record of a policy set coming into force.
pub(crate) fn policy_loaded(set: &warden_policy::PolicySet) -> Event {
    let mut event = Event::new(Kind::POLICY_LOAD);
    event.request = Some(json!({
        "version": set.version().as_str(),
        "files": set.files().keys().collect::<Vec<_>>(),
        "rules": set.rule_count(),
    }));
    event
}

/// `arg("KEY", VALUE)` with its value digested, when KEY is redacted.
/// Replay then sees the digest where the value was: a rule that tests the
/// value itself decides differently, which is the price of not keeping it.
fn redact_arg_fact(fact: &str, redactor: &warden_audit::Redactor) -> Option<String> {
    let rest = fact.strip_prefix("arg(\"")?;
    let mut key = String::new();
    let mut end = None;
    let mut chars = rest.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => key.extend(chars.next().map(|(_, escaped)| escaped)),
            '"' => {
                end = Some(at);
                break;
            }
            other => key.push(other),
        }
    }

    let end = end?;
    if !redactor
        .names()
        .iter()
        .any(|name| name.eq_ignore_ascii_case(&key))
    {
        return None;
    }
    let value = rest[end + 1..].strip_prefix(", ")?.strip_suffix(')')?;
    let digest = redactor.digest(&Value::String(value.to_owned()));
    Some(format!("arg(\"{}\", \"{digest}\")", &rest[..end]))
}
