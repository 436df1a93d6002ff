//! The default policy set in `policies/` loads, validates and passes every one
//! of its own test cases.

use std::path::PathBuf;
use std::time::Duration;

use warden_policy::testing::run_dir;
use warden_policy::{EvalLimits, PolicySet};

/// The default fact and round limits, with time to spare for a debug build on a
/// busy host: the cases are about outcomes, the benchmark about speed.
fn limits() -> EvalLimits {
    EvalLimits {
        max_time: Duration::from_secs(10),
        ..EvalLimits::default()
    }
}

fn policies_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

#[test]
fn every_default_policy_file_loads_and_validates() {
    let set = PolicySet::load_dir(&policies_dir(), EvalLimits::default())
        .unwrap_or_else(|error| panic!("the default set must load: {error}"));
    let mut names: Vec<&str> = set.files().keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "arguments.policy",
            "identity.policy",
            "tasks.policy",
            "tools.policy"
        ]
    );
}

#[test]
fn every_default_test_case_passes() {
    let report = run_dir(&policies_dir(), limits())
        .unwrap_or_else(|error| panic!("the default tests must run: {error}"));
    assert!(report.is_success(), "{report}");
    assert!(report.cases.len() >= 30, "{report}");
}
