//! Datalog source with every value passed as a parameter.
//!
//! Tool names, identities and argument values come from clients; they never
//! become part of the Datalog text, so no value can inject a fact or a check.
//! The text only holds names this module generates (`{p0}`, `{p1}`, ...).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use biscuit_auth::builder::Term;

use crate::Scalar;

/// Datalog statements and the values their placeholders stand for.
#[derive(Default)]
pub(crate) struct Source {
    pub(crate) code: String,
    pub(crate) params: HashMap<String, Term>,
}

impl Source {
    /// Binds a value and returns the placeholder to write in the source.
    pub(crate) fn bind(&mut self, term: Term) -> String {
        let name = format!("p{}", self.params.len());
        let placeholder = format!("{{{name}}}");
        self.params.insert(name, term);
        placeholder
    }

    /// Appends one statement; a `;` and a newline are added.
    pub(crate) fn push(&mut self, statement: &str) {
        let _ = writeln!(self.code, "{statement};");
    }
}

/// A string term.
pub(crate) fn string(text: &str) -> Term {
    Term::Str(text.to_owned())
}

/// A date term with second precision; times before 1970 become 0.
pub(crate) fn date(time: SystemTime) -> Term {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Term::Date(seconds)
}

/// The term for a scalar argument value.
pub(crate) fn scalar(value: &Scalar) -> Term {
    match value {
        Scalar::Bool(b) => Term::Bool(*b),
        Scalar::Int(n) => Term::Integer(*n),
        Scalar::Str(s) => Term::Str(s.clone()),
    }
}

/// A set term built from any terms.
pub(crate) fn set(terms: impl IntoIterator<Item = Term>) -> Term {
    Term::Set(terms.into_iter().collect::<BTreeSet<_>>())
}
