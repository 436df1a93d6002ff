//! Policy files as located statements: each fact, rule and check with the
//! place it was written, so every later error can name file, line and column.

use biscuit_auth::builder::{Check, Fact, Policy, PolicyKind, Rule};
use biscuit_auth::parser::parse_source;

use crate::{Location, PolicyError};

mod syntax;

/// One statement of a policy file.
#[derive(Clone, Debug)]
pub(crate) enum Statement {
    /// `name(term, ...);`
    Fact(Fact),
    /// `head(...) <- body;`
    Rule(Rule),
    /// `check if ...;`, `check all ...;` or `reject if ...;`
    Check(Check),
}

/// A statement and where it was written.
#[derive(Clone, Debug)]
pub(crate) struct Located {
    /// The statement.
    pub(crate) statement: Statement,
    /// The byte offset of its first character in the file.
    pub(crate) offset: usize,
    /// Its source text, trimmed.
    pub(crate) source: String,
}

/// A parsed policy file.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    /// The file's name relative to the set.
    pub(crate) name: String,
    /// The file's content.
    pub(crate) text: String,
    /// Its statements in the order written.
    pub(crate) statements: Vec<Located>,
}

impl SourceFile {
    /// Parses one file, or names the first statement that does not parse.
    pub(crate) fn parse(name: &str, text: &str) -> Result<Self, PolicyError> {
        let parsed = parse_source(text).map_err(|errors| syntax::error(name, text, &errors))?;
        if let Some((source, policy)) = parsed.policies.first() {
            let policy: Policy = policy.clone().into();
            let (kind, extra) = match policy.kind {
                PolicyKind::Allow => ("allow", ""),
                PolicyKind::Deny => ("deny", ", \"reason\""),
            };
            let at = Location::at_offset(name, text, start_of(text, source));
            return Err(PolicyError::BiscuitPolicy { at, kind, extra });
        }

        let mut statements = Vec::new();
        let mut add = |source: &str, statement: Statement| {
            statements.push(Located {
                statement,
                offset: start_of(text, source),
                source: source.trim().to_owned(),
            });
        };
        for (source, fact) in parsed.facts {
            add(source, Statement::Fact(fact.into()));
        }
        for (source, rule) in parsed.rules {
            add(source, Statement::Rule(rule.into()));
        }
        for (source, check) in parsed.checks {
            add(source, Statement::Check(check.into()));
        }
        statements.sort_by_key(|located| located.offset);

        let file = Self {
            name: name.to_owned(),
            text: text.to_owned(),
            statements,
        };
        for located in &file.statements {
            check_statement(&located.statement).map_err(|message| PolicyError::Invalid {
                at: file.location(located),
                message,
            })?;
        }
        Ok(file)
    }

    /// The location of a statement's first character.
    pub(crate) fn location(&self, located: &Located) -> Location {
        Location::at_offset(&self.name, &self.text, located.offset)
    }

    /// The location of the first use of predicate `name` in a statement, past
    /// its head for a rule; the statement's start if it cannot be found.
    pub(crate) fn predicate_location(&self, located: &Located, name: &str) -> Location {
        let skip = match &located.statement {
            Statement::Rule(_) => located.source.find("<-").unwrap_or(0),
            _ => 0,
        };
        let found = find_predicate(located.source.get(skip..).unwrap_or(""), name)
            .map_or(0, |offset| offset + skip);
        Location::at_offset(&self.name, &self.text, located.offset + found)
    }
}

/// Refuses what the engine cannot evaluate without a token: unbound
/// parameters and `trusting` scopes.
fn check_statement(statement: &Statement) -> Result<(), String> {
    let (parameters, scoped) = match statement {
        Statement::Fact(fact) => (fact.validate().is_err(), false),
        Statement::Rule(rule) => (rule.validate_parameters().is_err(), !rule.scopes.is_empty()),
        Statement::Check(check) => (
            check.validate_parameters().is_err(),
            check.queries.iter().any(|query| !query.scopes.is_empty()),
        ),
    };
    if parameters {
        return Err(
            "parameters such as `{name}` have no value here: write the value itself".into(),
        );
    }
    if scoped {
        return Err("`trusting` has no meaning in policies, which see no token: remove it".into());
    }
    Ok(())
}

/// The byte offset of the first non-blank character of `part` within `text`.
pub(crate) fn start_of(text: &str, part: &str) -> usize {
    let leading = part.len() - part.trim_start().len();
    let base = text.as_ptr().addr();
    let offset = part.as_ptr().addr().saturating_sub(base);
    (offset + leading).min(text.len())
}

/// Finds `name(` as a whole predicate name outside string literals.
fn find_predicate(source: &str, name: &str) -> Option<usize> {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut in_string = false;
    let mut escaped = false;
    let mut previous = ' ';
    for (index, character) in source.char_indices() {
        if in_string {
            match (escaped, character) {
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => escaped = false,
            }
        } else if character == '"' {
            in_string = true;
        } else if !is_name_char(previous) && source[index..].starts_with(name) {
            let rest = source[index + name.len()..].trim_start();
            let ends = !source[index + name.len()..].starts_with(is_name_char);
            if ends && rest.starts_with('(') {
                return Some(index);
            }
        }
        previous = character;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SourceFile, PolicyError> {
        SourceFile::parse("x.policy", text)
    }

    #[test]
    fn statements_keep_their_places_and_order() {
        let text = "// helpers\nagent($id) <- identity($id);\n\n  check if time($t);\nk(1);";
        let file = parse(text).unwrap_or_else(|e| panic!("{e}"));
        let places: Vec<String> = file
            .statements
            .iter()
            .map(|s| file.location(s).to_string())
            .collect();
        assert_eq!(places, ["x.policy:2:1", "x.policy:4:3", "x.policy:5:1"]);
        assert_eq!(file.statements[1].source, "check if time($t)");
    }

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let error = parse("a(1);\nb($x) <- c($x) d($x);\n").err();
        let Some(PolicyError::Syntax { at, .. }) = error else {
            panic!("expected a syntax error, got {error:?}");
        };
        assert_eq!(at.line, 2);
    }

    #[test]
    fn biscuit_allow_policies_are_refused_with_the_way_to_write_them() {
        let error = parse("a(1);\nallow if a(1);").err();
        assert!(
            matches!(
                &error,
                Some(PolicyError::BiscuitPolicy { at, kind: "allow", .. }) if at.line == 2
            ),
            "{error:?}"
        );
    }

    #[test]
    fn predicates_are_found_outside_strings_and_longer_names() {
        let source = "p($x) <- q(\"anotation(\"), xanotation($x), anotation ($x)";
        assert_eq!(
            find_predicate(source, "anotation"),
            source.rfind("anotation")
        );
    }
}
