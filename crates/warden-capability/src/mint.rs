//! Minting task capabilities and attenuating them for one call.
//!
//! A task capability's authority block states who it is for (`identity`),
//! which task (`task`) and until when (`expires`). Its goal block restricts
//! it: only granted tools, only arguments within the constraints (an absent
//! argument fails), only before the expiry, only for the bound identity and
//! task as presented in the request (`request_identity`, `request_task`).
//! A call token adds one more block: one tool, one call id, one argument
//! digest and an expiry of seconds.

use std::time::SystemTime;

use biscuit_auth::{Biscuit, BlockBuilder, KeyPair};

use crate::facts;
use crate::params::{self, Source};
use crate::{ArgConstraint, CapabilityError, KeyRing, TaskGrant, ToolPattern};

/// The one call a call token is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallScope {
    /// The tool being called.
    pub tool: String,
    /// The gateway's id for this call.
    pub call_id: String,
    /// The digest of the call's arguments, from [`crate::args_digest`].
    pub args_digest: String,
    /// When the call token stops working, typically seconds from now.
    pub expires_at: SystemTime,
}

/// Mints the capability of a granted task, signed by the ring's active key.
pub fn mint_task_capability(ring: &KeyRing, grant: &TaskGrant) -> Result<Biscuit, CapabilityError> {
    grant.validate()?;
    let (keypair, root_key_id) = ring.signing_key();

    let mut authority = Source::default();
    let identity = authority.bind(params::string(&grant.identity));
    let task = authority.bind(params::string(&grant.task_id));
    let expires = authority.bind(params::date(grant.expires_at));
    authority.push(&format!("identity({identity})"));
    authority.push(&format!("task({task})"));
    authority.push(&format!("expires({expires})"));

    let token = Biscuit::builder()
        .code_with_params(&authority.code, authority.params, Default::default())
        .and_then(|builder| builder.root_key_id(root_key_id).build(keypair))
        .and_then(|token| token.append(goal_block(grant)?))
        .map_err(build_error)?;

    tracing::debug!(
        task.id = %grant.task_id,
        agent.spiffe_id = %grant.identity,
        key.id = %crate::kid(root_key_id),
        "capability minted"
    );
    Ok(token)
}

/// Attenuates a capability for exactly one call; the result can do no more
/// than the capability and only this call.
pub fn attenuate_for_call(
    capability: &Biscuit,
    scope: &CallScope,
) -> Result<Biscuit, CapabilityError> {
    CallSigner::new().attenuate(capability, scope)
}

/// The key that every call block of one task capability hands on as its
/// "next" key, made once per task instead of once per call.
///
/// A Biscuit block names the key that may sign the block after it, and an
/// unsealed token carries that key's secret: whoever holds a call token can
/// already append to it. Sharing the key across the call tokens of one task
/// gives such a holder nothing more, and saves a key generation (a third of
/// the cost of attenuating) on every call.
pub struct CallSigner {
    next: KeyPair,
}

impl Default for CallSigner {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for CallSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallSigner").finish_non_exhaustive()
    }
}

impl CallSigner {
    /// A signer with a freshly generated next key.
    pub fn new() -> Self {
        Self {
            next: KeyPair::new(),
        }
    }

    /// Attenuates `capability` for exactly one call, like
    /// [`attenuate_for_call`].
    pub fn attenuate(
        &self,
        capability: &Biscuit,
        scope: &CallScope,
    ) -> Result<Biscuit, CapabilityError> {
        attenuate_with(capability, scope, &self.next)
    }
}

fn attenuate_with(
    capability: &Biscuit,
    scope: &CallScope,
    next: &KeyPair,
) -> Result<Biscuit, CapabilityError> {
    if scope.tool.is_empty() || scope.call_id.is_empty() || scope.args_digest.is_empty() {
        let reason = "call scope needs a tool, a call id and an argument digest".to_owned();
        return Err(CapabilityError::InvalidGrant(reason));
    }

    let block = BlockBuilder::new()
        .check(facts::check_equals("tool", &scope.tool))
        .and_then(|b| b.check(facts::check_equals("call", &scope.call_id)))
        .and_then(|b| b.check(facts::check_equals("args_digest", &scope.args_digest)))
        .and_then(|b| b.check(facts::check_time_before(scope.expires_at)))
        .map_err(build_error)?;

    capability
        .append_with_keypair(next, block)
        .map_err(build_error)
}

fn goal_block(grant: &TaskGrant) -> Result<BlockBuilder, biscuit_auth::error::Token> {
    let mut goal = Source::default();
    push_tool_check(&mut goal, &grant.tools);
    grant
        .constraints
        .iter()
        .for_each(|c| push_constraint(&mut goal, c));

    let expiry = goal.bind(params::date(grant.expires_at));
    let identity = goal.bind(params::string(&grant.identity));
    let task = goal.bind(params::string(&grant.task_id));
    goal.push(&format!("check if time($t), $t <= {expiry}"));
    goal.push(&format!("check if request_identity({identity})"));
    goal.push(&format!("check if request_task({task})"));

    BlockBuilder::new().code_with_params(&goal.code, goal.params, Default::default())
}

fn push_tool_check(goal: &mut Source, tools: &[ToolPattern]) {
    let mut alternatives = Vec::new();

    let exact: Vec<_> = tools
        .iter()
        .filter_map(|t| match t {
            ToolPattern::Exact(name) => Some(params::string(name)),
            ToolPattern::Prefix(_) => None,
        })
        .collect();
    if !exact.is_empty() {
        alternatives.push(format!("{}.contains($t)", goal.bind(params::set(exact))));
    }

    for tool in tools {
        if let ToolPattern::Prefix(prefix) = tool {
            let prefix = goal.bind(params::string(prefix));
            alternatives.push(format!("$t.starts_with({prefix})"));
        }
    }

    goal.push(&format!("check if tool($t), {}", alternatives.join(" || ")));
}

fn push_constraint(goal: &mut Source, constraint: &ArgConstraint) {
    let arg = goal.bind(params::string(constraint.arg()));

    let condition = match constraint {
        ArgConstraint::Equals { value, .. } => {
            format!("$v == {}", goal.bind(params::scalar(value)))
        }
        ArgConstraint::OneOf { values, .. } => {
            let set = params::set(values.iter().map(params::scalar));
            format!("{}.contains($v)", goal.bind(set))
        }
        ArgConstraint::Prefix { prefix, .. } => {
            let prefix = goal.bind(params::string(prefix));
            format!("$v.type() == \"string\" && $v.starts_with({prefix})")
        }
        ArgConstraint::Range { min, max, .. } => range_condition(goal, *min, *max),
    };

    goal.push(&format!("check if arg({arg}, $v), {condition}"));
}

fn range_condition(goal: &mut Source, min: Option<i64>, max: Option<i64>) -> String {
    let mut parts = vec!["$v.type() == \"integer\"".to_owned()];

    if let Some(min) = min {
        parts.push(format!(
            "$v >= {}",
            goal.bind(biscuit_auth::builder::Term::Integer(min))
        ));
    }
    if let Some(max) = max {
        parts.push(format!(
            "$v <= {}",
            goal.bind(biscuit_auth::builder::Term::Integer(max))
        ));
    }

    parts.join(" && ")
}

fn build_error(error: biscuit_auth::error::Token) -> CapabilityError {
    CapabilityError::Build(error.to_string())
}
