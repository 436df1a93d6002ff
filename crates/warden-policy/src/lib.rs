//! Warden's policies: Datalog rules that decide each request, loaded from a
//! directory, validated as a whole, reloaded when they change, and tested by
//! the cases written beside them.
//!
//! The language is Biscuit Datalog, the same one Warden's capability tokens
//! carry. A request becomes facts ([`PolicyRequest`]); rules derive outcomes
//! named by their first term: `allow($rule)`, `deny($rule, $reason)` and
//! `approval($rule, $role, $reason)`; `check if` statements must hold. The
//! crate knows nothing of MCP. It guarantees that:
//!
//! - a set is used only when every file parses and the whole set validates;
//!   each refusal names the file, line and column ([`PolicyError`]);
//! - anything unmatched is denied, and precedence (deny, then approval, then
//!   allow) does not depend on the order of files or statements;
//! - every evaluation runs under [`EvalLimits`]; one that reaches a limit is
//!   denied with a reason naming the limit;
//! - every [`Decision`] names the rule (or the failed checks) that decided, its
//!   file, the [`PolicyVersion`], and the request facts as Datalog text, and
//!   [`decide_with`] gives the same decision from those facts alone;
//! - a [`PolicyStore`] swaps a changed set atomically and keeps the last good
//!   set when a change is broken.
//!
//! A gateway typically calls [`PolicyStore::start`] and [`PolicyStore::watch`]
//! once, then per request `store.current().decide(&request)`. The file layout
//! and the facts are documented for policy authors in `policies/README.md`.
//!
//! # Limitations
//!
//! - Limits are checked between rule applications and every 64 derived facts.
//!   A join whose candidates fail their expressions derives nothing, so it is
//!   not interrupted until it ends, however long it runs.
//! - Datalog has no negation of facts: a rule cannot say "no such fact". The
//!   `annotations($tool, $hints)` set exists so that rules can test a hint's
//!   absence with `!$hints.contains("read_only")`.
//! - A set whose rules depend on each other in a cycle is evaluated round after
//!   round, every rule in every round, which costs more per decision than the
//!   single pass a set without recursion needs.
//! - Arguments that are objects or arrays are invisible to policies.

mod archive;
mod decision;
mod engine;
mod error;
mod evaluate;
mod facts;
mod limits;
mod request;
mod set;
mod source;
mod store;
pub mod testing;
mod validate;

use std::collections::BTreeMap;

pub use decision::{Decision, Effect, PolicyVersion};
pub use error::{Location, PolicyError};
pub use evaluate::NO_RULE_ALLOWS;
pub use limits::EvalLimits;
pub use request::{ArgValue, Operation, PolicyRequest, args_from_json};
pub use set::{POLICY_SUFFIX, PolicySet};
pub use store::{PolicyStatus, PolicyStore, RELOAD_INTERVAL};

/// Decides recorded request facts under any set of files, as an audit replay
/// does: under the recorded version's archived files, or a candidate set.
///
/// It gives the same decision as [`PolicySet::decide`] made on the request the
/// facts were recorded from, when the files are the same.
pub fn decide_with(
    files: &BTreeMap<String, String>,
    facts: &[String],
    limits: EvalLimits,
) -> Result<Decision, PolicyError> {
    let set = PolicySet::from_files(files.clone(), limits)?;
    set.decide_facts(facts)
}

impl PolicySet {
    /// Decides recorded request facts (as [`Decision::facts`] holds them).
    pub fn decide_facts(&self, facts: &[String]) -> Result<Decision, PolicyError> {
        let list = facts::FactList::parse_recorded(facts)?;
        Ok(evaluate::decide(self, list))
    }
}
