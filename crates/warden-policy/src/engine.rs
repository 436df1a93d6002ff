//! The compiled form of a set, and the Datalog run that evaluates it.
//!
//! At load, every statement is converted once into Biscuit's Datalog engine
//! form, and rules are ordered into levels: a rule runs after every rule that
//! derives a predicate it reads. Without recursion each rule is then applied
//! exactly once per request, which keeps a decision to tens of microseconds. A
//! set whose rules depend on each other in a cycle is run the classic way
//! instead: every rule, round after round, until nothing new is derived.
//!
//! Limits are checked after every rule application, and every 64 facts while
//! a rule derives, so a rule that derives too much is stopped while it runs.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use biscuit_auth::builder::{self, CheckKind, Convert};
use biscuit_auth::datalog::{
    Check, ExternFunc, FactSet, Origin, Rule, SymbolIndex, SymbolTable, Term, TrustedOrigins,
};
use biscuit_auth::error::{Execution, Expression};

use crate::EvalLimits;

/// Why a run did not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// More facts than `max_facts`.
    TooManyFacts,
    /// More rounds than `max_iterations`.
    TooManyIterations,
    /// Longer than `max_time`.
    Timeout,
    /// An expression failed, such as a string method applied to a number.
    Expression(Expression),
}

/// What a finished run derived that decides: each outcome's terms as text, and
/// the indices of failed checks.
#[derive(Debug, Default)]
pub(crate) struct Derived {
    pub(crate) allows: Vec<Vec<String>>,
    pub(crate) denies: Vec<Vec<String>>,
    pub(crate) approvals: Vec<Vec<String>>,
    pub(crate) failed_checks: Vec<usize>,
}

/// A set compiled for the engine.
#[derive(Clone)]
pub(crate) struct Engine {
    symbols: SymbolTable,
    facts: FactSet,
    levels: Vec<Vec<Rule>>,
    recursive: bool,
    checks: Vec<Check>,
    outcomes: [SymbolIndex; 3],
    origin: Origin,
    scope: TrustedOrigins,
    extern_funcs: HashMap<String, ExternFunc>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("levels", &self.levels.len())
            .field("recursive", &self.recursive)
            .field("checks", &self.checks.len())
            .finish_non_exhaustive()
    }
}

/// The origin of everything here: the authorizer's, as Biscuit numbers it.
const AUTHORIZER: usize = usize::MAX;

impl Engine {
    /// Converts validated statements; `rules` and `checks` keep file order.
    pub(crate) fn new(
        facts: &[builder::Fact],
        rules: &[builder::Rule],
        checks: &[builder::Check],
    ) -> Self {
        let mut symbols = SymbolTable::new();
        let mut origin = Origin::default();
        origin.insert(AUTHORIZER);
        let scope = TrustedOrigins::from_scopes(
            &[],
            &TrustedOrigins::default(),
            AUTHORIZER,
            &HashMap::new(),
        );

        let mut fact_set = FactSet::default();
        for fact in facts {
            fact_set.insert(&origin, fact.convert(&mut symbols));
        }
        let rules: Vec<Rule> = rules
            .iter()
            .map(|rule| rule.convert(&mut symbols))
            .collect();
        let checks = checks
            .iter()
            .map(|check| check.convert(&mut symbols))
            .collect();
        let outcomes = ["allow", "deny", "approval"].map(|name| symbols.insert(name));
        let (levels, recursive) = match levels(&rules) {
            Some(levels) => (levels, false),
            None => (vec![rules], true),
        };

        Self {
            symbols,
            facts: fact_set,
            levels,
            recursive,
            checks,
            outcomes,
            origin,
            scope,
            extern_funcs: HashMap::new(),
        }
    }

    /// Evaluates the set over the request facts under the limits.
    pub(crate) fn run(
        &self,
        request: &[builder::Fact],
        limits: EvalLimits,
    ) -> Result<Derived, Stop> {
        let clock = Clock::start(limits);
        let mut symbols = self.symbols.clone();
        let mut facts = self.facts.clone();
        for fact in request {
            facts.insert(&self.origin, fact.convert(&mut symbols));
        }
        clock.check_facts(facts.len())?;

        let mut rounds = 0;
        for level in &self.levels {
            loop {
                rounds += 1;
                if rounds > limits.max_iterations {
                    return Err(Stop::TooManyIterations);
                }
                let before = facts.len();
                for rule in level {
                    self.apply(rule, &mut facts, &symbols, &clock)?;
                }
                if !self.recursive || facts.len() == before {
                    break;
                }
            }
        }

        let failed_checks = self.failed_checks(&facts, &symbols, &clock)?;
        Ok(self.read_outcomes(&facts, &symbols, failed_checks))
    }

    /// Applies one rule once, adding what it derives, within the limits. What
    /// one rule derives alone already bounds the set it is merged into.
    fn apply(
        &self,
        rule: &Rule,
        facts: &mut FactSet,
        symbols: &SymbolTable,
        clock: &Clock,
    ) -> Result<(), Stop> {
        let mut derived = FactSet::default();
        let found = rule.apply(
            facts.iterator(&self.scope),
            AUTHORIZER,
            symbols,
            &self.extern_funcs,
        );
        for (count, result) in found.enumerate() {
            let (origin, fact) = result.map_err(Stop::Expression)?;
            derived.insert(&origin, fact);
            if count % 64 == 63 {
                clock.check_facts(derived.len())?;
                clock.check_time()?;
            }
        }
        facts.merge(derived);
        clock.check_facts(facts.len())?;
        clock.check_time()
    }

    /// The indices of checks that do not hold, in file order.
    fn failed_checks(
        &self,
        facts: &FactSet,
        symbols: &SymbolTable,
        clock: &Clock,
    ) -> Result<Vec<usize>, Stop> {
        let mut failed = Vec::new();
        for (index, check) in self.checks.iter().enumerate() {
            let mut holds = false;
            for query in &check.queries {
                holds = self.query_holds(check.kind.clone(), query, facts, symbols)?;
                clock.check_time()?;
                if holds {
                    break;
                }
            }
            if !holds {
                failed.push(index);
            }
        }
        Ok(failed)
    }

    /// Whether one query of a check holds.
    fn query_holds(
        &self,
        kind: CheckKind,
        query: &Rule,
        facts: &FactSet,
        symbols: &SymbolTable,
    ) -> Result<bool, Stop> {
        let funcs = &self.extern_funcs;
        let result = match kind {
            CheckKind::One => query.find_match(facts, AUTHORIZER, &self.scope, symbols, funcs),
            CheckKind::All => query.check_match_all(facts, &self.scope, symbols, funcs),
            CheckKind::Reject => query
                .find_match(facts, AUTHORIZER, &self.scope, symbols, funcs)
                .map(|found| !found),
        };
        result.map_err(|error| match error {
            Execution::Expression(expression) => Stop::Expression(expression),
            Execution::RunLimit(_) => Stop::Timeout,
        })
    }

    /// Reads every outcome fact as text.
    fn read_outcomes(
        &self,
        facts: &FactSet,
        symbols: &SymbolTable,
        failed_checks: Vec<usize>,
    ) -> Derived {
        let mut derived = Derived {
            failed_checks,
            ..Derived::default()
        };
        for (_, fact) in facts.iterator(&self.scope) {
            let name = fact.predicate.name;
            let target = match self.outcomes.iter().position(|id| *id == name) {
                Some(0) => &mut derived.allows,
                Some(1) => &mut derived.denies,
                Some(2) => &mut derived.approvals,
                _ => continue,
            };
            target.push(
                fact.predicate
                    .terms
                    .iter()
                    .map(|term| text(term, symbols))
                    .collect(),
            );
        }
        for outcomes in [
            &mut derived.allows,
            &mut derived.denies,
            &mut derived.approvals,
        ] {
            outcomes.sort();
        }
        derived
    }
}

/// A term as plain text: strings unquoted, anything else as Datalog.
fn text(term: &Term, symbols: &SymbolTable) -> String {
    match term {
        Term::Str(index) => symbols.print_symbol_default(*index),
        other => symbols.print_term(other),
    }
}

/// Orders rules into levels so that each runs after every rule it reads from;
/// `None` when rules depend on each other in a cycle.
fn levels(rules: &[Rule]) -> Option<Vec<Vec<Rule>>> {
    type Key = (SymbolIndex, usize);
    let key =
        |predicate: &biscuit_auth::datalog::Predicate| (predicate.name, predicate.terms.len());
    let mut level_of: HashMap<Key, usize> = HashMap::new();
    let rule_level = |rule: &Rule, level_of: &HashMap<Key, usize>| {
        1 + rule
            .body
            .iter()
            .map(|p| level_of.get(&key(p)).copied().unwrap_or(0))
            .max()
            .unwrap_or(0)
    };

    for _ in 0..=rules.len() {
        let mut changed = false;
        for rule in rules {
            let level = rule_level(rule, &level_of);
            let head = level_of.entry(key(&rule.head)).or_insert(0);
            if *head < level {
                *head = level;
                changed = true;
            }
        }
        if !changed {
            let mut levels: Vec<Vec<Rule>> = Vec::new();
            for rule in rules {
                let level = rule_level(rule, &level_of);
                levels.resize_with(levels.len().max(level), Vec::new);
                levels[level - 1].push(rule.clone());
            }
            return Some(levels);
        }
    }
    None
}

/// The run's limits on time and facts.
struct Clock {
    deadline: Instant,
    max_facts: u64,
}

impl Clock {
    fn start(limits: EvalLimits) -> Self {
        let now = Instant::now();
        Self {
            deadline: now.checked_add(limits.max_time).unwrap_or(now),
            max_facts: limits.max_facts,
        }
    }

    fn check_facts(&self, count: usize) -> Result<(), Stop> {
        if u64::try_from(count).unwrap_or(u64::MAX) > self.max_facts {
            return Err(Stop::TooManyFacts);
        }
        Ok(())
    }

    fn check_time(&self) -> Result<(), Stop> {
        if Instant::now() >= self.deadline {
            return Err(Stop::Timeout);
        }
        Ok(())
    }
}
