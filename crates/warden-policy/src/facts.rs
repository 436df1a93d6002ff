//! The request facts: their names and shapes, and their Datalog text.
//!
//! A decision records the facts it was made on as Datalog source, one fact per
//! string. The text is written so that parsing it gives back exactly the same
//! facts, which is what lets an auditor replay a decision from the log alone.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use biscuit_auth::builder::{Fact, Term};

use crate::PolicyError;

/// A fact that Warden states about every request, as policies see it.
#[derive(Debug)]
pub(crate) struct RequestPredicate {
    /// The predicate's name.
    pub(crate) name: &'static str,
    /// The number of terms.
    pub(crate) arity: usize,
    /// How it is written in a rule.
    pub(crate) usage: &'static str,
}

/// Every request fact; policies may read them but never derive them.
pub(crate) const REQUEST_PREDICATES: &[RequestPredicate] = &[
    predicate("operation", 1, "operation($op)"),
    predicate("identity", 1, "identity($spiffe_id)"),
    predicate("trust_domain", 1, "trust_domain($td)"),
    predicate("time", 1, "time($t)"),
    predicate("upstream", 1, "upstream($u)"),
    predicate("tool", 1, "tool($t)"),
    predicate("arg", 2, "arg($name, $value)"),
    predicate("annotation", 2, "annotation($tool, $hint)"),
    predicate("annotations", 2, "annotations($tool, $hints)"),
    predicate("goal", 1, "goal($text)"),
    predicate("requested_tool", 1, "requested_tool($t)"),
    predicate("ttl", 1, "ttl($seconds)"),
    predicate("calls_made", 1, "calls_made($n)"),
];

const fn predicate(name: &'static str, arity: usize, usage: &'static str) -> RequestPredicate {
    RequestPredicate { name, arity, usage }
}

/// The request fact of this name, if there is one.
pub(crate) fn request_predicate(name: &str) -> Option<&'static RequestPredicate> {
    REQUEST_PREDICATES.iter().find(|known| known.name == name)
}

/// Request facts in both forms: for the engine, and as recorded text.
#[derive(Clone, Debug, Default)]
pub(crate) struct FactList {
    /// The facts the engine evaluates.
    pub(crate) facts: Vec<Fact>,
    /// The same facts as Datalog source, in the same order.
    pub(crate) text: Vec<String>,
}

impl FactList {
    /// Adds one fact.
    pub(crate) fn push(&mut self, name: &str, terms: Vec<Term>) {
        self.text.push(format_fact(name, &terms));
        self.facts.push(Fact::new(name.to_owned(), terms));
    }

    /// Parses recorded facts, refusing anything that is not a request fact.
    pub(crate) fn parse_recorded(recorded: &[String]) -> Result<Self, PolicyError> {
        let mut list = Self::default();
        for text in recorded {
            let refuse = |message: String| PolicyError::RecordedFact {
                fact: text.clone(),
                message,
            };
            let fact = Fact::try_from(text.as_str()).map_err(|error| refuse(error.to_string()))?;
            let name = &fact.predicate.name;
            let arity = fact.predicate.terms.len();

            match request_predicate(name) {
                Some(known) if known.arity == arity => {}
                Some(known) => return Err(refuse(format!("it is written {}", known.usage))),
                None => return Err(refuse(format!("`{name}` is not a request fact"))),
            }
            list.facts.push(fact);
            list.text.push(text.clone());
        }
        Ok(list)
    }
}

/// Writes `name(term, term)` so that the Datalog parser reads it back unchanged.
pub(crate) fn format_fact(name: &str, terms: &[Term]) -> String {
    let mut out = String::with_capacity(16 + name.len());
    out.push_str(name);
    out.push('(');
    for (index, term) in terms.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        format_term(term, &mut out);
    }
    out.push(')');
    out
}

/// Writes one term; request facts hold only strings, integers, booleans,
/// dates and sets of strings.
fn format_term(term: &Term, out: &mut String) {
    match term {
        Term::Str(text) => format_string(text, out),
        Term::Integer(value) => {
            let _ = write!(out, "{value}");
        }
        Term::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Term::Date(seconds) => {
            let time = UNIX_EPOCH + Duration::from_secs(*seconds);
            let _ = write!(out, "{}", humantime::format_rfc3339_seconds(time));
        }
        Term::Set(items) if items.is_empty() => out.push_str("{,}"),
        Term::Set(items) => {
            out.push('{');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                format_term(item, out);
            }
            out.push('}');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// Quotes a string, escaping what the parser would otherwise misread.
fn format_string(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out.push('"');
}

/// A point in time as a Datalog date, in whole seconds; times before 1970
/// become 1970.
pub(crate) fn date(time: SystemTime) -> Term {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    Term::Date(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_with_quotes_backslashes_and_newlines_read_back_unchanged() {
        let mut list = FactList::default();
        list.push("goal", vec![Term::Str("say \"hi\\\" \n\tbye".to_owned())]);
        let parsed = FactList::parse_recorded(&list.text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.facts, list.facts);
    }

    #[test]
    fn recorded_facts_that_are_no_request_facts_are_refused() {
        let result = FactList::parse_recorded(&["allow(\"forged\")".to_owned()]);
        assert!(matches!(result, Err(PolicyError::RecordedFact { .. })));

        let result = FactList::parse_recorded(&["tool(\"a\", \"b\")".to_owned()]);
        assert!(matches!(result, Err(PolicyError::RecordedFact { .. })));
    }

    #[test]
    fn empty_sets_and_dates_read_back_unchanged() {
        let mut list = FactList::default();
        list.push(
            "annotations",
            vec![Term::Str("t".into()), Term::Set(Default::default())],
        );
        list.push(
            "time",
            vec![date(UNIX_EPOCH + Duration::from_secs(1_750_000_000))],
        );
        let parsed = FactList::parse_recorded(&list.text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.facts, list.facts);
        assert_eq!(list.text[1], "time(2025-06-15T15:06:40Z)");
    }
}
