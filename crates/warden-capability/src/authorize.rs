//! Authorizing one call against an already-verified capability.
//!
//! The authorizer supplies the request's facts and `allow if true`: policy is
//! decided elsewhere, here only the token's own checks must all pass. It also
//! checks that the token's authority block names the caller and the task.
//! Datalog runs under fixed limits; signatures are not checked again.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use biscuit_auth::error::{Logic, Token};
use biscuit_auth::{AuthorizerBuilder, AuthorizerLimits, Biscuit};

use biscuit_auth::builder::fact;

use crate::facts::string_fact;
use crate::params;
use crate::{CapabilityError, Scalar, revocation_ids};

/// The facts of one tool call, as the gateway established them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFacts {
    /// The caller's verified SPIFFE ID.
    pub identity: String,
    /// The task the call names.
    pub task: String,
    /// The tool being called.
    pub tool: String,
    /// The gateway's id for this call.
    pub call_id: String,
    /// The digest of the call's arguments, from [`crate::args_digest`].
    pub args_digest: String,
    /// The call's scalar arguments, by name.
    pub args: Vec<(String, Scalar)>,
    /// The time of the call.
    pub now: SystemTime,
}

/// What a successful authorization established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorized {
    /// The task the token belongs to.
    pub task_id: String,
    /// The identity the token is bound to.
    pub identity: String,
    /// The token's revocation ids, for the caller to check against the store.
    pub revocation_ids: Vec<String>,
}

const LIMITS: AuthorizerLimits = AuthorizerLimits {
    max_facts: 1_000,
    max_iterations: 100,
    max_time: Duration::from_millis(20),
};

/// Checks of the authorizer itself: the authority block must name the
/// caller and the task, and must not have expired.
const AUTHORIZER_CHECKS: &str = r#"
    check if identity($id), request_identity($id);
    check if task($task), request_task($task);
    check if expires($expiry), time($now), $now <= $expiry;
    allow if true;
"#;

static BASE: LazyLock<Result<AuthorizerBuilder, String>> = LazyLock::new(|| {
    AuthorizerBuilder::new()
        .set_limits(LIMITS)
        .code(AUTHORIZER_CHECKS)
        .map_err(|e| e.to_string())
});

/// Runs every check of the token against the call's facts; on refusal the
/// error lists every failed check.
pub fn authorize(token: &Biscuit, facts: &CallFacts) -> Result<Authorized, CapabilityError> {
    let base = BASE
        .as_ref()
        .map_err(|e| CapabilityError::Evaluation(e.clone()))?;

    let mut authorizer = request_facts(base.clone(), facts)
        .and_then(|builder| builder.build(token))
        .map_err(|e| evaluation_error(&e))?;

    match authorizer.authorize() {
        Ok(_) => Ok(Authorized {
            task_id: facts.task.clone(),
            identity: facts.identity.clone(),
            revocation_ids: revocation_ids(token),
        }),
        Err(error) => {
            let refusal = evaluation_error(&error);
            tracing::info!(
                agent.spiffe_id = %facts.identity,
                task.id = %facts.task,
                tool.name = %facts.tool,
                error = %refusal,
                "capability refused call"
            );
            Err(refusal)
        }
    }
}

fn request_facts(
    builder: AuthorizerBuilder,
    facts: &CallFacts,
) -> Result<AuthorizerBuilder, biscuit_auth::error::Token> {
    let mut builder = builder
        .fact(string_fact("request_identity", &[&facts.identity]))?
        .fact(string_fact("request_task", &[&facts.task]))?
        .fact(string_fact("tool", &[&facts.tool]))?
        .fact(string_fact("call", &[&facts.call_id]))?
        .fact(string_fact("args_digest", &[&facts.args_digest]))?
        .fact(fact("time", &[params::date(facts.now)]))?;

    for (name, value) in &facts.args {
        builder = builder.fact(fact("arg", &[params::string(name), params::scalar(value)]))?;
    }
    Ok(builder)
}

fn evaluation_error(error: &Token) -> CapabilityError {
    match error {
        Token::FailedLogic(Logic::Unauthorized { checks, .. })
        | Token::FailedLogic(Logic::NoMatchingPolicy { checks }) => CapabilityError::Unauthorized {
            failed_checks: checks.iter().map(ToString::to_string).collect(),
        },
        Token::RunLimit(limit) => CapabilityError::RunLimit(limit.to_string()),
        other => CapabilityError::Evaluation(other.to_string()),
    }
}
