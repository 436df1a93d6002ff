//! Syntax errors that point at the mistake, not at the start of its statement.
//!
//! The Datalog parser reports a statement it cannot read at its first
//! character. To find the place, the statement is parsed again alone as a
//! rule, a fact and a check; the attempt that got furthest shows where reading
//! stopped, and the message says what was expected there.

use biscuit_auth::parser::{self, Error};

use super::start_of;
use crate::{Location, PolicyError};

/// The method names expressions may call, for suggestions.
const METHODS: &[&str] = &[
    "starts_with",
    "ends_with",
    "contains",
    "matches",
    "length",
    "type",
    "intersection",
    "union",
    "all",
    "any",
    "get",
    "try_or",
];

/// The first parse error of a file, as a located one-line error.
pub(super) fn error(file: &str, text: &str, errors: &[Error<'_>]) -> PolicyError {
    let (offset, message) = match errors.first() {
        Some(first) => locate(text, start_of(text, first.input), first.message.as_deref()),
        None => (0, "cannot parse this file".to_owned()),
    };
    PolicyError::Syntax {
        at: Location::at_offset(file, text, offset),
        message,
    }
}

/// The offset of the mistake the parser reported at `offset`, and what to say.
/// A message of the parser's own is kept; otherwise the statement is parsed
/// again to find how far it reads.
fn locate(text: &str, offset: usize, message: Option<&str>) -> (usize, String) {
    if let Some(message) = message {
        return (offset, lowercase_first(message));
    }
    let start = statement_start(text, offset);
    let rest = text.get(start..).unwrap_or("");
    let statement = &rest[..statement_end(rest)];
    let (stop, detail) = furthest_stop(statement)
        .map(|(input, detail)| (start_of(text, input), detail))
        .unwrap_or((offset, None));

    let mut stop = stop.max(offset);
    if stop > start && at_line_start(text, stop) {
        stop = start + text[start..stop].trim_end().len();
    }
    (stop, explain(text, start, stop, detail))
}

/// The first character of the statement that contains `offset`: past the last
/// `;` before it, and past blanks and comments.
fn statement_start(text: &str, offset: usize) -> usize {
    let before = text.get(..offset).unwrap_or(text);
    let mut last = 0;
    let mut chars = before.char_indices().peekable();
    while let Some((index, character)) = chars.next() {
        match character {
            ';' => last = index + 1,
            '"' => skip_string(&mut chars),
            '/' if chars.peek().is_some_and(|(_, next)| *next == '/') => {
                chars.find(|(_, c)| *c == '\n');
            }
            '/' if chars.peek().is_some_and(|(_, next)| *next == '*') => {
                let mut previous = ' ';
                chars.find(|(_, c)| std::mem::replace(&mut previous, *c) == '*' && *c == '/');
            }
            _ => {}
        }
    }
    skip_blanks_and_comments(text, last).min(offset)
}

/// The offset of the first `;` outside strings, or the end.
fn statement_end(text: &str) -> usize {
    let mut chars = text.char_indices().peekable();
    while let Some((index, character)) = chars.next() {
        match character {
            ';' => return index,
            '"' => skip_string(&mut chars),
            _ => {}
        }
    }
    text.len()
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    let mut escaped = false;
    for (_, character) in chars.by_ref() {
        match (escaped, character) {
            (false, '\\') => escaped = true,
            (false, '"') => return,
            _ => escaped = false,
        }
    }
}

fn skip_blanks_and_comments(text: &str, mut offset: usize) -> usize {
    loop {
        let rest = text.get(offset..).unwrap_or("");
        let trimmed = rest.trim_start();
        offset += rest.len() - trimmed.len();
        if trimmed.starts_with("//") {
            offset += trimmed.find('\n').unwrap_or(trimmed.len());
        } else if trimmed.starts_with("/*") {
            offset += trimmed.find("*/").map_or(trimmed.len(), |end| end + 2);
        } else {
            return offset;
        }
    }
}

/// Where the furthest of the three statement parsers stopped, with its message.
fn furthest_stop(statement: &str) -> Option<(&str, Option<String>)> {
    let attempts = [
        stop_of(parser::rule(statement)),
        stop_of(parser::fact(statement)),
        stop_of(parser::check(statement)),
    ];
    attempts
        .into_iter()
        .flatten()
        .max_by_key(|(input, _)| input.as_ptr().addr())
}

fn stop_of<'a, T>(
    result: nom::IResult<&'a str, T, Error<'a>>,
) -> Option<(&'a str, Option<String>)> {
    match result {
        Err(nom::Err::Error(error) | nom::Err::Failure(error)) => {
            Some((error.input, error.message))
        }
        _ => None,
    }
}

/// Words for a stop at `stop` in the statement starting at `start`.
fn explain(text: &str, start: usize, stop: usize, detail: Option<String>) -> String {
    let after = text.get(stop..).unwrap_or("");
    let token: String = after
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ';'))
        .take(30)
        .collect();
    let method = token.split('(').next().unwrap_or("");

    if stop > start && text[..stop].ends_with('.') && !method.is_empty() {
        return match closest_method(method) {
            Some(known) => format!("unknown method `{method}`; did you mean `{known}`?"),
            None => format!(
                "unknown method `{method}`; methods are {}",
                METHODS.join(", ")
            ),
        };
    }
    if let Some(detail) = detail.filter(|detail| !is_generic(detail)) {
        return lowercase_first(&detail);
    }
    let at_line_end = after
        .trim_start_matches([' ', '\t'])
        .starts_with(['\n', '\r']);
    if stop > start && at_line_end {
        return "expected `;` to end the statement before this point, or `,` before another \
                body item"
            .to_owned();
    }
    if token.is_empty() && after.trim().is_empty() {
        return "unexpected end of file: the statement is incomplete".to_owned();
    }
    if token.is_empty() {
        return "the statement ends before it is complete".to_owned();
    }
    unexpected(text[start..stop].trim(), &token, after)
}

/// Words for an unexpected `token` after `lead`, the statement read so far.
fn unexpected(lead: &str, token: &str, after: &str) -> String {
    if token.starts_with('"') && !after[1..].contains('"') {
        return "this string is never closed: add the missing `\"`".to_owned();
    }
    if !lead.is_empty() && lead.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        let close_to_reject = strsim::damerau_levenshtein(lead, "reject") <= 2;
        let keyword = if close_to_reject { "reject" } else { "check" };
        return format!(
            "`{lead}` starts no statement: write `{keyword} if body`, or `name(...)` for a fact \
             or rule"
        );
    }
    if lead.ends_with(')') {
        return format!(
            "unexpected `{token}`: separate body items with `,` and end the statement with `;`"
        );
    }
    if !lead.is_empty() {
        return format!("unexpected `{token}`: check the parentheses and quotes before it");
    }
    format!(
        "cannot read `{token}`: a statement is a fact `name(...)`, a rule `head(...) <- body` \
         or a check `check if body`, and ends with `;`"
    )
}

/// Whether a parser message only restates that something else was expected.
fn is_generic(message: &str) -> bool {
    [
        "expected the next term",
        "expected either the next term",
        "unexpected trailing data",
    ]
    .iter()
    .any(|prefix| message.starts_with(prefix))
}

/// Whether only blanks stand between the start of its line and `offset`.
fn at_line_start(text: &str, offset: usize) -> bool {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    before[line_start..].trim().is_empty()
}

fn closest_method(name: &str) -> Option<&'static str> {
    METHODS
        .iter()
        .map(|method| (strsim::damerau_levenshtein(name, method), *method))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, method)| method)
}

/// The engine's messages start with a capital letter; Warden's do not.
fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn syntax(text: &str) -> (usize, usize, String) {
        match SourceFile::parse("x.policy", text) {
            Err(PolicyError::Syntax { at, message }) => (at.line, at.column, message),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn a_stray_term_is_located_where_it_stands() {
        let (line, column, message) =
            syntax("allow(\"a\") <- tool($t);\nallow(\"b\") <- tool($t) $t;\n");
        assert_eq!((line, column), (2, 24), "{message}");
        assert!(message.starts_with("unexpected `$t`"), "{message}");
    }

    #[test]
    fn a_missing_semicolon_is_located_at_the_end_of_its_statement() {
        let (line, column, message) =
            syntax("allow(\"a\") <- tool($t)\nallow(\"b\") <- tool($t);\n");
        assert_eq!((line, column), (1, 23), "{message}");
        assert!(message.starts_with("expected `;`"), "{message}");
    }

    #[test]
    fn a_misspelt_method_gets_the_right_name() {
        let (line, column, message) = syntax("allow(\"a\") <- tool($t), $t.startswith(\"a\");");
        assert_eq!((line, column), (1, 28));
        assert_eq!(
            message,
            "unknown method `startswith`; did you mean `starts_with`?"
        );
    }

    #[test]
    fn comments_and_strings_with_semicolons_do_not_hide_the_statement() {
        let text = "// a; b\n/* c; */ allow(\"a;\") <- tool($t) $t;";
        let (line, column, message) = syntax(text);
        assert_eq!((line, column), (2, 34), "{message}");
    }

    #[test]
    fn a_misspelt_keyword_is_named() {
        let (_, column, message) = syntax("chek if tool($t);");
        assert_eq!(column, 6);
        assert!(
            message.starts_with("`chek` starts no statement: write `check if body`"),
            "{message}"
        );
    }

    #[test]
    fn an_unclosed_string_is_named() {
        let (_, column, message) = syntax("allow(\"x\") <- tool(\"a);");
        assert_eq!(
            (column, message.as_str()),
            (20, "this string is never closed: add the missing `\"`")
        );
    }

    #[test]
    fn an_unbound_variable_keeps_the_engine_message() {
        let (_, _, message) = syntax("allow(\"a\") <- tool($t), $x > 3;");
        assert!(message.contains("$x"), "{message}");
    }
}
