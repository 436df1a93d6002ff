//! Errors of loading, validating and testing a policy set.
//!
//! Every error is one line that names the file, and where it can, the line and
//! column, so an editor can jump to it. Messages are lowercase and say what to
//! change.

use std::fmt;
use std::path::PathBuf;

/// A place in a policy or test file: `tools.policy:3:14`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file, relative to the policy directory or as given.
    pub file: String,
    /// The line, from 1.
    pub line: usize,
    /// The column in characters, from 1.
    pub column: usize,
}

impl Location {
    /// Locates a byte offset of `text`, which is the content of `file`.
    pub(crate) fn at_offset(file: &str, text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line_start = before.rfind('\n').map_or(0, |index| index + 1);
        Self {
            file: file.to_owned(),
            line: before.matches('\n').count() + 1,
            column: before.get(line_start..).unwrap_or("").chars().count() + 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Why a policy set, a recorded request, an archive or a test file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy directory could not be listed.
    #[error("cannot read policy directory `{}`: {error}", dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// What the operating system said.
        error: std::io::Error,
    },

    /// A policy or test file could not be read as UTF-8 text.
    #[error("cannot read `{}`: {error}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        error: std::io::Error,
    },

    /// The set has no policy file at all.
    #[error(
        "`{dir}` holds no `*.policy` files: add at least one (an empty set denies every request)"
    )]
    NoPolicyFiles {
        /// The directory, or `<files>` for a set given in memory.
        dir: String,
    },

    /// A statement does not parse.
    #[error("{at}: {message}")]
    Syntax {
        /// Where parsing stopped.
        at: Location,
        /// What the parser expected.
        message: String,
    },

    /// A rule or check reads a predicate that no request fact and no rule provides.
    #[error("{at}: unknown predicate `{name}` can never match{}", did_you_mean(.suggestion))]
    UnknownPredicate {
        /// Where the predicate is used.
        at: Location,
        /// The predicate's name.
        name: String,
        /// The closest known predicate, if one is close.
        suggestion: Option<String>,
    },

    /// A predicate is used with another number of terms than it has.
    #[error("{at}: `{name}` with {used} term(s) can never match: it has {known} ({usage})")]
    WrongArity {
        /// Where the predicate is used.
        at: Location,
        /// The predicate's name.
        name: String,
        /// The number of terms used here.
        used: usize,
        /// The number of terms it is defined with.
        known: usize,
        /// How the predicate is written, such as `annotation($tool, $hint)`.
        usage: String,
    },

    /// A rule derives a predicate that nothing reads and that is no outcome.
    #[error(
        "{at}: `{name}` is derived here but no rule or check reads it, and it is no outcome \
         (allow, deny, approval){}",
        did_you_mean(.suggestion)
    )]
    UnusedPredicate {
        /// Where the predicate is derived.
        at: Location,
        /// The predicate's name.
        name: String,
        /// The closest outcome or known predicate, if one is close.
        suggestion: Option<String>,
    },

    /// An outcome (`allow`, `deny`, `approval`) is written with the wrong shape.
    #[error("{at}: {message}")]
    Outcome {
        /// Where the outcome is derived.
        at: Location,
        /// What is wrong and how it is written.
        message: String,
    },

    /// Two files, or two kinds of outcome, use one rule name.
    #[error("{at}: rule `{name}` is already defined at {first}; rule names are unique in a set")]
    DuplicateRule {
        /// The second definition.
        at: Location,
        /// The rule name.
        name: String,
        /// The first definition.
        first: Location,
    },

    /// A policy derives a fact that only Warden may state about a request.
    #[error("{at}: `{name}` is a request fact that Warden supplies; a policy cannot derive it")]
    RequestFactDerived {
        /// Where it is derived.
        at: Location,
        /// The predicate's name.
        name: String,
    },

    /// A Biscuit `allow if` / `deny if` policy, which Warden does not use.
    #[error(
        "{at}: `{kind} if` is not used in Warden policies: write \
         `{kind}(\"rule-name\"{extra}) <- ...;` instead"
    )]
    BiscuitPolicy {
        /// Where it is written.
        at: Location,
        /// `allow` or `deny`.
        kind: &'static str,
        /// The terms after the rule name in the replacement.
        extra: &'static str,
    },

    /// Any other statement the engine refuses, such as an unbound parameter.
    #[error("{at}: {message}")]
    Invalid {
        /// The statement.
        at: Location,
        /// What the engine said.
        message: String,
    },

    /// A recorded request fact that is not one of the request facts.
    #[error("recorded fact `{fact}` cannot be replayed: {message}")]
    RecordedFact {
        /// The fact, as recorded.
        fact: String,
        /// What is wrong with it.
        message: String,
    },

    /// Evaluation limits that cannot work.
    #[error("policy limits: {message}")]
    Limits {
        /// Which limit, and what it needs.
        message: String,
    },

    /// A policy version that is not 64 hexadecimal digits.
    #[error("`{version}` is not a policy version (64 hexadecimal digits)")]
    Version {
        /// What was given.
        version: String,
    },

    /// A set could not be archived, or an archived set is missing or altered.
    #[error("policy archive `{}`: {message}", path.display())]
    Archive {
        /// The archive entry.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// A test case file is malformed.
    #[error("{at}: {message}")]
    TestFile {
        /// Where in the test file.
        at: Location,
        /// What is wrong and how it is written.
        message: String,
    },

    /// A test run found no test case.
    #[error("`{dir}` holds no test cases: add `[[case]]` tables to `tests/*.toml`")]
    NoTestCases {
        /// The tests directory.
        dir: String,
    },
}

impl PolicyError {
    /// The file, line and column the error points at, if it points at one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Syntax { at, .. }
            | Self::UnknownPredicate { at, .. }
            | Self::WrongArity { at, .. }
            | Self::UnusedPredicate { at, .. }
            | Self::Outcome { at, .. }
            | Self::DuplicateRule { at, .. }
            | Self::RequestFactDerived { at, .. }
            | Self::BiscuitPolicy { at, .. }
            | Self::Invalid { at, .. }
            | Self::TestFile { at, .. } => Some(at),
            _ => None,
        }
    }

    /// The file the error is about, as a path or a name, if it is about one.
    pub fn file(&self) -> Option<String> {
        match self {
            Self::ReadFile { path, .. } | Self::Archive { path, .. } => {
                Some(path.display().to_string())
            }
            Self::ReadDir { dir, .. } => Some(dir.display().to_string()),
            other => other.location().map(|at| at.file.clone()),
        }
    }

    /// Prefixes the file names of located errors with the directory they were
    /// loaded from, so the message leads to the file on disk.
    pub(crate) fn in_dir(mut self, dir: &std::path::Path) -> Self {
        let at = match &mut self {
            Self::Syntax { at, .. }
            | Self::UnknownPredicate { at, .. }
            | Self::WrongArity { at, .. }
            | Self::UnusedPredicate { at, .. }
            | Self::Outcome { at, .. }
            | Self::RequestFactDerived { at, .. }
            | Self::BiscuitPolicy { at, .. }
            | Self::Invalid { at, .. } => at,
            Self::DuplicateRule { at, first, .. } => {
                first.file = dir.join(&first.file).display().to_string();
                at
            }
            _ => return self,
        };
        at.file = dir.join(&at.file).display().to_string();
        self
    }
}

/// Formats an optional suggestion as `; did you mean `x`?`.
fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(name) => format!("; did you mean `{name}`?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns_counted_in_characters() {
        let text = "a;\n  é b;\nc";
        let at = Location::at_offset("x.policy", text, text.find('b').unwrap_or(0));
        assert_eq!((at.line, at.column), (2, 5));
        assert_eq!(
            Location::at_offset("x.policy", text, 0).to_string(),
            "x.policy:1:1"
        );
        assert_eq!(Location::at_offset("x.policy", text, 99).line, 3);
    }
}
