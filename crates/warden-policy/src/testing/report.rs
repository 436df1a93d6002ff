//! The outcome of a test run, printed as a report a person can scan.

use std::fmt;

use super::case::Expected;
use crate::{Decision, Location, PolicySet, PolicyVersion};

/// One case's result.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Where the case is written.
    pub at: Location,
    /// What the case expects.
    pub expected: Expected,
    /// What the set decided.
    pub got: Decision,
    /// Whether the decision met every expectation.
    pub pass: bool,
    /// Each way the decision differs from the expectation.
    pub mismatches: Vec<String>,
}

/// The results of every case of a policy directory.
#[derive(Clone, Debug)]
pub struct TestReport {
    /// The version of the set under test.
    pub version: PolicyVersion,
    /// The set's one-line summary.
    pub summary: String,
    /// Every case, in file and source order.
    pub cases: Vec<CaseResult>,
}

impl TestReport {
    pub(crate) fn new(set: &PolicySet, cases: Vec<CaseResult>) -> Self {
        Self {
            version: set.version().clone(),
            summary: set.summary(),
            cases,
        }
    }

    /// The number of cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|case| case.pass).count()
    }

    /// The number of cases that failed.
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    /// Whether every case passed.
    pub fn is_success(&self) -> bool {
        self.failed() == 0
    }
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "policy set: {}", self.summary)?;
        let mut file = None;
        for case in &self.cases {
            if file != Some(&case.at.file) {
                file = Some(&case.at.file);
                writeln!(f, "\n{}", case.at.file)?;
            }
            if case.pass {
                writeln!(f, "  ok    {}: {}", case.name, case.got)?;
                continue;
            }
            writeln!(f, "  FAIL  {} (line {})", case.name, case.at.line)?;
            writeln!(f, "        expected: {}", case.expected)?;
            writeln!(f, "        got:      {}", case.got)?;
            for mismatch in &case.mismatches {
                writeln!(f, "        - {mismatch}")?;
            }
            for check in &case.got.failed_checks {
                writeln!(f, "        failed check: {check}")?;
            }
        }
        write!(f, "\n{} passed, {} failed", self.passed(), self.failed())
    }
}
