//! Policy test cases: requests written in TOML beside the policies, each with
//! the decision it must get, run against the set as `warden policy test` does.
//!
//! Cases live in `DIR/tests/*.toml` as `[[case]]` tables; the format is
//! documented for authors in `policies/README.md`. A run refuses a directory
//! without cases, so a test run that tested nothing never passes.

mod case;
mod report;

use std::collections::BTreeMap;
use std::path::Path;

pub use case::{Expected, ExpectedEffect};
pub use report::{CaseResult, TestReport};

use crate::{EvalLimits, PolicyError, PolicySet};

/// The directory of test cases inside a policy directory.
pub const TESTS_DIR: &str = "tests";

/// Loads the set in `dir` and runs every case in `dir/tests/*.toml`.
pub fn run_dir(dir: &Path, limits: EvalLimits) -> Result<TestReport, PolicyError> {
    let set = PolicySet::load_dir(dir, limits)?;
    let tests = dir.join(TESTS_DIR);
    let files = read_case_files(&tests)?;

    let mut results = Vec::new();
    for (name, text) in &files {
        let shown = tests.join(name).display().to_string();
        results.extend(run_cases(&set, &shown, text)?);
    }
    if results.is_empty() {
        return Err(PolicyError::NoTestCases {
            dir: tests.display().to_string(),
        });
    }
    Ok(TestReport::new(&set, results))
}

/// Runs the cases of one test file, named `file` in results and errors.
pub fn run_cases(set: &PolicySet, file: &str, text: &str) -> Result<Vec<CaseResult>, PolicyError> {
    let cases = case::parse_file(file, text)?;
    Ok(cases.into_iter().map(|case| case.run(set)).collect())
}

/// Reads `*.toml` files directly in `dir`; a missing directory has none.
fn read_case_files(dir: &Path) -> Result<BTreeMap<String, String>, PolicyError> {
    let read_dir_error = |error| PolicyError::ReadDir {
        dir: dir.to_path_buf(),
        error,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(error) => return Err(read_dir_error(error)),
    };

    let mut files = BTreeMap::new();
    for entry in entries {
        let path = entry.map_err(read_dir_error)?.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if !name.ends_with(".toml") || name.starts_with('.') || path.is_dir() {
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
