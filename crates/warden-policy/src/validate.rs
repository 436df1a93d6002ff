//! Whole-set validation: what must hold across every file before a set may
//! decide anything.
//!
//! A set passes only if every predicate a rule or check reads can match (it is
//! a request fact, or some fact or rule of the set derives it, with the same
//! number of terms), every derived predicate is read or is an outcome, every
//! outcome has its shape, no policy derives a request fact, and each rule name
//! belongs to one file and one kind of outcome. Files are examined in name
//! order, so the first error reported does not depend on how they were listed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use biscuit_auth::builder::{Predicate, Term};

use crate::facts::{REQUEST_PREDICATES, request_predicate};
use crate::source::{Located, SourceFile, Statement};
use crate::{Location, PolicyError};

/// The three outcomes, with their number of terms and how they are written.
const OUTCOMES: &[(&str, usize, &str)] = &[
    ("allow", 1, "allow(\"rule-name\")"),
    ("deny", 2, "deny(\"rule-name\", \"reason\")"),
    (
        "approval",
        3,
        "approval(\"rule-name\", \"role\", \"reason\")",
    ),
];

/// What validation learned about a set.
#[derive(Clone, Debug, Default)]
pub(crate) struct Analysis {
    /// Each outcome rule's name, with the file it lives in.
    pub(crate) rule_files: HashMap<String, String>,
    /// The number of rules (`head <- body`).
    pub(crate) rules: usize,
    /// The number of checks.
    pub(crate) checks: usize,
}

/// Where a rule name was first defined, and as which outcome.
struct RuleName {
    at: Location,
    outcome: &'static str,
}

/// Validates a whole set; files must be in name order.
pub(crate) fn validate(files: &[SourceFile]) -> Result<Analysis, PolicyError> {
    let mut analysis = Analysis::default();
    let mut defined: BTreeMap<(String, usize), Location> = BTreeMap::new();
    let mut names: BTreeMap<String, RuleName> = BTreeMap::new();

    for file in files {
        for located in &file.statements {
            let Some(head) = head_of(&located.statement) else {
                analysis.checks += 1;
                continue;
            };
            if matches!(located.statement, Statement::Rule(_)) {
                analysis.rules += 1;
            }
            let at = file.location(located);
            check_head(head, &at)?;
            if let Some(name) = outcome_name(head, &at)? {
                record_rule_name(&mut names, name, head, at.clone())?;
                analysis
                    .rule_files
                    .insert(name.to_owned(), file.name.clone());
            }
            defined
                .entry((head.name.clone(), head.terms.len()))
                .or_insert(at);
        }
    }

    let read = check_reads(files, &defined)?;
    check_unused(&defined, &read)?;
    Ok(analysis)
}

/// The predicate a fact or rule derives; `None` for a check.
fn head_of(statement: &Statement) -> Option<&Predicate> {
    match statement {
        Statement::Fact(fact) => Some(&fact.predicate),
        Statement::Rule(rule) => Some(&rule.head),
        Statement::Check(_) => None,
    }
}

/// Refuses heads that forge request facts or carry unbound parameters.
fn check_head(head: &Predicate, at: &Location) -> Result<(), PolicyError> {
    if request_predicate(&head.name).is_some() {
        return Err(PolicyError::RequestFactDerived {
            at: at.clone(),
            name: head.name.clone(),
        });
    }
    if let Some(Term::Parameter(name)) = head.terms.iter().find(|t| matches!(t, Term::Parameter(_)))
    {
        return Err(PolicyError::Invalid {
            at: at.clone(),
            message: format!("parameter `{{{name}}}` has no value; policies take no parameters"),
        });
    }
    Ok(())
}

/// The rule name of an outcome head, after checking its shape; `None` for
/// other heads.
fn outcome_name<'a>(head: &'a Predicate, at: &Location) -> Result<Option<&'a str>, PolicyError> {
    let Some(&(outcome, arity, usage)) = OUTCOMES.iter().find(|(name, ..)| *name == head.name)
    else {
        return Ok(None);
    };
    let refuse = |message: String| PolicyError::Outcome {
        at: at.clone(),
        message,
    };
    if head.terms.len() != arity {
        return Err(refuse(format!(
            "`{outcome}` takes {arity} term(s), not {}: write {usage}",
            head.terms.len()
        )));
    }

    let name = match head.terms.first() {
        Some(Term::Str(name)) if !name.trim().is_empty() => name.as_str(),
        _ => {
            return Err(refuse(format!(
                "the first term of `{outcome}` names the rule and must be a non-empty string: \
                 write {usage}"
            )));
        }
    };
    let loose = head.terms[1..]
        .iter()
        .any(|term| !matches!(term, Term::Str(_) | Term::Variable(_)));
    if loose {
        return Err(refuse(format!(
            "the terms of `{outcome}` after the rule name must be strings or variables: \
             write {usage}"
        )));
    }
    Ok(Some(name))
}

/// Records a rule name, refusing one used in another file or as another outcome.
fn record_rule_name(
    names: &mut BTreeMap<String, RuleName>,
    name: &str,
    head: &Predicate,
    at: Location,
) -> Result<(), PolicyError> {
    let outcome = OUTCOMES
        .iter()
        .find(|(kind, ..)| *kind == head.name)
        .map_or("allow", |(kind, ..)| *kind);
    match names.get(name) {
        None => {
            names.insert(name.to_owned(), RuleName { at, outcome });
            Ok(())
        }
        Some(first) if first.at.file == at.file && first.outcome == outcome => Ok(()),
        Some(first) => Err(PolicyError::DuplicateRule {
            at,
            name: name.to_owned(),
            first: first.at.clone(),
        }),
    }
}

/// Checks every predicate read by a rule body or a check; returns what is read.
fn check_reads(
    files: &[SourceFile],
    defined: &BTreeMap<(String, usize), Location>,
) -> Result<BTreeSet<(String, usize)>, PolicyError> {
    let mut read = BTreeSet::new();
    for file in files {
        for located in &file.statements {
            for predicate in body_predicates(&located.statement) {
                let key = (predicate.name.clone(), predicate.terms.len());
                if !defined.contains_key(&key) {
                    check_read(file, located, predicate, defined)?;
                }
                read.insert(key);
            }
        }
    }
    Ok(read)
}

/// The predicates a statement reads.
fn body_predicates(statement: &Statement) -> Vec<&Predicate> {
    match statement {
        Statement::Fact(_) => Vec::new(),
        Statement::Rule(rule) => rule.body.iter().collect(),
        Statement::Check(check) => check.queries.iter().flat_map(|q| &q.body).collect(),
    }
}

/// Checks one read predicate that the set does not derive with this arity.
fn check_read(
    file: &SourceFile,
    located: &Located,
    predicate: &Predicate,
    defined: &BTreeMap<(String, usize), Location>,
) -> Result<(), PolicyError> {
    let name = &predicate.name;
    let used = predicate.terms.len();
    let at = || file.predicate_location(located, name);

    if let Some(known) = request_predicate(name) {
        if known.arity == used {
            return Ok(());
        }
        return Err(PolicyError::WrongArity {
            at: at(),
            name: name.clone(),
            used,
            known: known.arity,
            usage: known.usage.to_owned(),
        });
    }
    if let Some(((_, known), _)) = defined
        .range((name.clone(), 0)..)
        .find(|((n, _), _)| n == name)
    {
        return Err(PolicyError::WrongArity {
            at: at(),
            name: name.clone(),
            used,
            known: *known,
            usage: format!("as derived in the set with {known} term(s)"),
        });
    }
    let candidates = defined.keys().map(|(n, _)| n.as_str());
    Err(PolicyError::UnknownPredicate {
        at: at(),
        name: name.clone(),
        suggestion: closest(
            name,
            candidates.chain(REQUEST_PREDICATES.iter().map(|p| p.name)),
        ),
    })
}

/// Refuses derived predicates that nothing reads and that are no outcome.
fn check_unused(
    defined: &BTreeMap<(String, usize), Location>,
    read: &BTreeSet<(String, usize)>,
) -> Result<(), PolicyError> {
    let mut unused: Vec<(&Location, &String)> = defined
        .iter()
        .filter(|(key, _)| !read.contains(*key))
        .filter(|((name, _), _)| OUTCOMES.iter().all(|(outcome, ..)| outcome != name))
        .map(|((name, _), at)| (at, name))
        .collect();
    unused.sort();

    let Some((at, name)) = unused.first() else {
        return Ok(());
    };
    let candidates = OUTCOMES.iter().map(|(outcome, ..)| *outcome);
    let read_names = read.iter().map(|(n, _)| n.as_str());
    Err(PolicyError::UnusedPredicate {
        at: (*at).clone(),
        name: (*name).clone(),
        suggestion: closest(name, candidates.chain(read_names)),
    })
}

/// The candidate closest to `name` within two edits, if any.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    candidates
        .filter(|candidate| *candidate != name)
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, candidate)| candidate.to_owned())
}
