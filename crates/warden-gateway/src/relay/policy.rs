//! The policy step of the call path: every tool call, prompt and resource
//! read is decided by the live policy set before anything is forwarded.
//!
//! Only an allow lets a request through. A deny, an approval requirement
//! (approvers decide tasks, not single calls, so such a call is refused
//! with the policy's reason) or a request the set cannot evaluate is
//! refused with the reason the policy gave.

use std::time::SystemTime;

use warden_identity::Identity;
use warden_policy::{ArgValue, Decision, Effect, Operation, PolicyRequest};

use crate::error::GatewayError;
use crate::hub::Hub;

/// What a request asks for, in the terms policies see.
pub(crate) struct Asked<'a> {
    pub(crate) operation: Operation,
    pub(crate) upstream: &'a str,
    /// The exported tool or prompt name.
    pub(crate) name: Option<&'a str>,
    pub(crate) hints: &'a [&'static str],
    pub(crate) args: Vec<(String, ArgValue)>,
    /// Calls the task has made before this one, for tool calls.
    pub(crate) calls_made: Option<u64>,
}

/// Decides `asked` for `identity` under the live set, and logs the decision.
pub(crate) fn decide(hub: &Hub, identity: &Identity, asked: Asked<'_>) -> Decision {
    let mut request = PolicyRequest::new(
        asked.operation,
        identity.spiffe_id.to_string(),
        SystemTime::now(),
    );
    request.upstream = Some(asked.upstream.to_owned());
    request.tool = asked.name.map(str::to_owned);
    request.annotations = asked.hints.iter().map(|hint| (*hint).to_owned()).collect();
    request.args = asked.args;
    request.calls_made = asked.calls_made;

    let decision = hub.policy().current().decide(&request);
    log(identity, &request, &decision);
    decision
}

/// `Ok` only for an allow; the refusal carries the policy's reason.
pub(crate) fn enforce(decision: &Decision) -> Result<(), GatewayError> {
    match &decision.effect {
        Effect::Allow => Ok(()),
        Effect::Deny => Err(GatewayError::Denied {
            reason: decision.reason.clone(),
        }),
        Effect::ApprovalRequired { role } => Err(GatewayError::NeedsApproval {
            role: role.clone(),
            reason: decision.reason.clone(),
        }),
    }
}

fn log(identity: &Identity, request: &PolicyRequest, decision: &Decision) {
    let rule = decision.rule.as_deref().unwrap_or("none");
    let name = request.tool.as_deref().unwrap_or("");
    if decision.is_allowed() {
        tracing::debug!(
            agent.spiffe_id = %identity.spiffe_id,
            mcp.operation = request.operation.as_str(),
            tool.name = name,
            decision.rule = rule,
            policy.version = decision.policy_version.short(),
            "allowed by policy"
        );
    } else {
        tracing::info!(
            agent.spiffe_id = %identity.spiffe_id,
            mcp.operation = request.operation.as_str(),
            tool.name = name,
            decision.effect = decision.effect.kind(),
            decision.rule = rule,
            decision.reason = %decision.reason,
            policy.version = decision.policy_version.short(),
            "refused by policy"
        );
    }
}
