//! A validated policy set, compiled once into a reusable engine template.
//!
//! Loading parses and validates every file, then converts every fact, rule and
//! check once into the engine's form. A decision adds only the request facts,
//! so no policy text is parsed or converted per request.

use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::Engine;
use crate::evaluate::{self, CheckSource};
use crate::source::{SourceFile, Statement};
use crate::validate::{Analysis, validate};
use crate::{Decision, EvalLimits, PolicyError, PolicyRequest, PolicyVersion};

/// The suffix of policy files in a policy directory.
pub const POLICY_SUFFIX: &str = ".policy";

/// A loaded, validated policy set that decides requests.
///
/// It is immutable: a changed directory becomes a new set, so a decision is
/// always made by exactly one version.
#[derive(Clone, Debug)]
pub struct PolicySet {
    files: BTreeMap<String, String>,
    version: PolicyVersion,
    limits: EvalLimits,
    pub(crate) engine: Engine,
    pub(crate) checks: Vec<CheckSource>,
    pub(crate) analysis: Analysis,
}

impl PolicySet {
    /// Loads every `*.policy` file directly in `dir` (not its subdirectories).
    pub fn load_dir(dir: &Path, limits: EvalLimits) -> Result<Self, PolicyError> {
        let files = read_policy_files(dir)?;
        if files.is_empty() {
            return Err(PolicyError::NoPolicyFiles {
                dir: dir.display().to_string(),
            });
        }
        Self::from_files(files, limits).map_err(|error| error.in_dir(dir))
    }

    /// Builds a set from file names and contents, as if they were one directory.
    pub fn from_files(
        files: BTreeMap<String, String>,
        limits: EvalLimits,
    ) -> Result<Self, PolicyError> {
        limits.validate()?;
        if files.is_empty() {
            return Err(PolicyError::NoPolicyFiles {
                dir: "<files>".to_owned(),
            });
        }

        let sources = files
            .iter()
            .map(|(name, text)| SourceFile::parse(name, text))
            .collect::<Result<Vec<_>, _>>()?;
        let analysis = validate(&sources)?;
        let (engine, checks) = compile(&sources);

        Ok(Self {
            version: PolicyVersion::of_files(&files),
            files,
            limits,
            engine,
            checks,
            analysis,
        })
    }

    /// The content address of this set.
    pub fn version(&self) -> &PolicyVersion {
        &self.version
    }

    /// The files of the set, by relative name.
    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }

    /// The limits every decision runs under.
    pub fn limits(&self) -> EvalLimits {
        self.limits
    }

    /// The number of rules (`head <- body`) across the set.
    pub fn rule_count(&self) -> usize {
        self.analysis.rules
    }

    /// The number of checks across the set.
    pub fn check_count(&self) -> usize {
        self.analysis.checks
    }

    /// The file an outcome rule lives in.
    pub fn rule_file(&self, rule: &str) -> Option<&str> {
        self.analysis.rule_files.get(rule).map(String::as_str)
    }

    /// Decides one request. Never fails: an evaluation that cannot finish
    /// denies, with a reason naming what stopped it.
    pub fn decide(&self, request: &PolicyRequest) -> Decision {
        evaluate::decide(self, request.fact_list())
    }

    /// A one-line summary: files, rules, checks and version.
    pub fn summary(&self) -> String {
        let plural = |count: usize, word: &str| {
            format!("{count} {word}{}", if count == 1 { "" } else { "s" })
        };
        format!(
            "{}, {}, {}, version {}",
            plural(self.files.len(), "file"),
            plural(self.rule_count(), "rule"),
            plural(self.check_count(), "check"),
            self.version
        )
    }
}

/// Reads the `*.policy` files directly in `dir`, keyed by file name.
pub(crate) fn read_policy_files(dir: &Path) -> Result<BTreeMap<String, String>, PolicyError> {
    let read_dir_error = |error| PolicyError::ReadDir {
        dir: dir.to_path_buf(),
        error,
    };
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir_error)? {
        let entry = entry.map_err(read_dir_error)?;
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if !name.ends_with(POLICY_SUFFIX) || name.starts_with('.') || path.is_dir() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|error| PolicyError::ReadFile {
            path: path.clone(),
            error,
        })?;
        files.insert(name.to_owned(), text);
    }
    Ok(files)
}

/// Compiles every statement, in file and source order, for the engine.
fn compile(sources: &[SourceFile]) -> (Engine, Vec<CheckSource>) {
    let mut facts = Vec::new();
    let mut rules = Vec::new();
    let mut checks = Vec::new();
    let mut check_sources = Vec::new();

    for file in sources {
        for located in &file.statements {
            match &located.statement {
                Statement::Fact(fact) => facts.push(fact.clone()),
                Statement::Rule(rule) => rules.push(rule.clone()),
                Statement::Check(check) => {
                    checks.push(check.clone());
                    check_sources.push(CheckSource {
                        file: file.name.clone(),
                        source: located.source.clone(),
                    });
                }
            }
        }
    }
    (Engine::new(&facts, &rules, &checks), check_sources)
}
