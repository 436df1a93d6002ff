//! One evaluation: the set's template plus the request facts, run under the
//! limits, then the outcomes ranked by precedence.
//!
//! Precedence does not depend on file order: a deny or a failed check wins,
//! then an approval, then an allow; with none of them the request is denied.
//! Among several matches of the winning kind the names are sorted and the
//! first decides, so the same facts always give the same decision.

use biscuit_auth::error::Expression;

use crate::engine::{Derived, Stop};
use crate::facts::FactList;
use crate::{Decision, Effect, EvalLimits, PolicySet};

/// The reason of the default deny.
pub const NO_RULE_ALLOWS: &str = "no rule allows this request";

/// A check of the set, as written.
#[derive(Clone, Debug)]
pub(crate) struct CheckSource {
    /// The file it lives in.
    pub(crate) file: String,
    /// Its source text.
    pub(crate) source: String,
}

/// Decides the request stated by `facts` under `set`.
pub(crate) fn decide(set: &PolicySet, facts: FactList) -> Decision {
    let FactList { facts, text } = facts;
    let denied = Decision {
        effect: Effect::Deny,
        rule: None,
        file: None,
        reason: String::new(),
        failed_checks: Vec::new(),
        matched: Vec::new(),
        policy_version: set.version().clone(),
        facts: text,
    };

    match set.engine.run(&facts, set.limits()) {
        Ok(derived) => rank(set, derived, denied),
        Err(stop) => Decision {
            reason: stop_reason(&stop, set.limits()),
            ..denied
        },
    }
}

/// Applies precedence to what a run derived.
fn rank(set: &PolicySet, outcomes: Derived, mut decision: Decision) -> Decision {
    decision.failed_checks = outcomes
        .failed_checks
        .iter()
        .filter_map(|id| set.checks.get(*id))
        .map(|check| check.source.clone())
        .collect();

    let winner = if !outcomes.denies.is_empty() {
        Some((Effect::Deny, outcomes.denies))
    } else if let Some(id) = outcomes.failed_checks.first() {
        let check = set.checks.get(*id);
        decision.file = check.map(|check| check.file.clone());
        decision.reason = match check {
            Some(check) => format!("check failed: {}", check.source),
            None => "a check failed".to_owned(),
        };
        None
    } else if let Some(first) = outcomes.approvals.first() {
        let role = first.get(1).cloned().unwrap_or_default();
        Some((Effect::ApprovalRequired { role }, outcomes.approvals))
    } else if !outcomes.allows.is_empty() {
        Some((Effect::Allow, outcomes.allows))
    } else {
        decision.reason = NO_RULE_ALLOWS.to_owned();
        None
    };

    if let Some((effect, matches)) = winner {
        name_the_rule(set, &mut decision, effect, &matches);
    }
    decision
}

/// Fills in the deciding rule, its file and reason, and every match's name.
fn name_the_rule(
    set: &PolicySet,
    decision: &mut Decision,
    effect: Effect,
    matches: &[Vec<String>],
) {
    let mut names: Vec<String> = matches.iter().filter_map(|m| m.first().cloned()).collect();
    names.dedup();
    let first = matches.first();
    let rule = first.and_then(|m| m.first()).cloned();

    decision.reason = match (&effect, first) {
        (Effect::Allow, _) => format!("allowed by rule `{}`", rule.as_deref().unwrap_or("")),
        (Effect::Deny, Some(m)) => m.get(1).cloned().unwrap_or_default(),
        (Effect::ApprovalRequired { .. }, Some(m)) => m.get(2).cloned().unwrap_or_default(),
        (_, None) => String::new(),
    };
    decision.file = rule
        .as_deref()
        .and_then(|name| set.rule_file(name))
        .map(str::to_owned);
    decision.effect = effect;
    decision.rule = rule;
    decision.matched = names;
}

/// Why a run stopped, naming the limit it reached.
fn stop_reason(stop: &Stop, limits: EvalLimits) -> String {
    match stop {
        Stop::TooManyFacts => format!(
            "policy evaluation stopped: the rules derived more than {} facts (limit max_facts)",
            limits.max_facts
        ),
        Stop::TooManyIterations => format!(
            "policy evaluation stopped: the rules needed more than {} rounds \
             (limit max_iterations)",
            limits.max_iterations
        ),
        Stop::Timeout => format!(
            "policy evaluation stopped: it took longer than {} (limit max_time)",
            humantime::format_duration(limits.max_time)
        ),
        Stop::Expression(Expression::InvalidType) => "policy evaluation failed: an expression \
            met a value of the wrong type, such as a number where a string was expected"
            .to_owned(),
        Stop::Expression(other) => {
            format!(
                "policy evaluation failed: {}",
                other.to_string().to_lowercase()
            )
        }
    }
}
