//! Policy test cases: the runner reports every case, fails on any mismatch,
//! and refuses malformed or missing cases with their place.

use std::path::Path;
use std::time::Duration;

use warden_policy::testing::{ExpectedEffect, run_dir};
use warden_policy::{EvalLimits, PolicyError};

fn limits() -> EvalLimits {
    EvalLimits {
        max_time: Duration::from_secs(10),
        ..EvalLimits::default()
    }
}

fn policy_dir(policy: &str, cases: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "reads.policy", policy);
    if let Some(cases) = cases {
        std::fs::create_dir(dir.path().join("tests")).unwrap_or_else(|e| panic!("{e}"));
        write(&dir.path().join("tests"), "reads.toml", cases);
    }
    dir
}

fn write(dir: &Path, name: &str, content: &str) {
    std::fs::write(dir.join(name), content).unwrap_or_else(|e| panic!("{e}"));
}

const POLICY: &str = "\
    allow(\"reads\") <- operation(\"call_tool\"), annotation($t, \"read_only\");\n\
    approval(\"destroys\", \"approver\", \"an approver must confirm\")\n\
        <- annotation($t, \"destructive\");\n";

const CASES: &str = r#"
[tools]
"demo.get_ticket" = ["read_only"]
"demo.delete_ticket" = ["destructive"]

[[case]]
name = "reading is allowed"
operation = "call_tool"
identity = "spiffe://example.org/agent/demo"
tool = "demo.get_ticket"
expect = "allow"
rule = "reads"

[[case]]
name = "deleting is wrongly expected to be allowed"
operation = "call_tool"
identity = "spiffe://example.org/agent/demo"
tool = "demo.delete_ticket"
expect = "allow"

[[case]]
name = "deleting needs the owner, says this wrong case"
operation = "call_tool"
identity = "spiffe://example.org/agent/demo"
tool = "demo.delete_ticket"
expect = "approval"
role = "owner"
"#;

#[test]
fn a_report_lists_every_case_and_fails_on_a_mismatch() {
    let dir = policy_dir(POLICY, Some(CASES));
    let report = run_dir(dir.path(), limits()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.passed(), report.failed()), (1, 2));
    assert!(!report.is_success());

    let wrong = &report.cases[1];
    assert!(!wrong.pass);
    assert_eq!(wrong.expected.effect, ExpectedEffect::Allow);
    assert_eq!(wrong.mismatches, ["effect: expected allow, got approval"]);
    assert_eq!(
        report.cases[2].mismatches,
        ["role: expected `owner`, got `approver`"]
    );

    let text = report.to_string();
    assert!(
        text.contains("  ok    reading is allowed: allow by rule `reads` (reads.policy)"),
        "{text}"
    );
    assert!(
        text.contains("  FAIL  deleting is wrongly expected to be allowed (line 14)"),
        "{text}"
    );
    assert!(
        text.contains(
            "        got:      approval by `approver` by rule `destroys` (reads.policy): \
                       an approver must confirm"
        ),
        "{text}"
    );
    assert!(text.ends_with("1 passed, 2 failed"), "{text}");
}

#[test]
fn a_directory_without_cases_is_refused_rather_than_passing() {
    let dir = policy_dir(POLICY, None);
    let result = run_dir(dir.path(), limits());
    assert!(
        matches!(result, Err(PolicyError::NoTestCases { .. })),
        "{result:?}"
    );
}

#[test]
fn a_malformed_case_file_is_refused_with_its_place() {
    let cases =
        "[[case]]\nname = \"x\"\noperation = \"call\"\nidentity = \"a\"\nexpect = \"allow\"\n";
    let dir = policy_dir(POLICY, Some(cases));
    let result = run_dir(dir.path(), limits());
    let Err(PolicyError::TestFile { at, message }) = result else {
        panic!("expected a test file error, got {result:?}");
    };
    assert_eq!((at.line, at.column), (3, 13));
    assert!(at.file.ends_with("tests/reads.toml"), "{at}");
    assert!(message.contains("call_tool"), "{message}");
}

#[test]
fn unknown_hints_and_misplaced_roles_are_refused() {
    let cases = "[tools]\n\"demo.x\" = [\"readonly\"]\n";
    let result = run_dir(policy_dir(POLICY, Some(cases)).path(), limits());
    assert!(
        matches!(
            &result,
            Err(PolicyError::TestFile { message, .. }) if message.contains("`readonly`")
        ),
        "{result:?}"
    );

    let cases = "[[case]]\nname = \"r\"\noperation = \"call_tool\"\nidentity = \"a\"\n\
                 expect = \"deny\"\nrole = \"approver\"\n";
    let result = run_dir(policy_dir(POLICY, Some(cases)).path(), limits());
    assert!(
        matches!(
            &result,
            Err(PolicyError::TestFile { message, .. }) if message.starts_with("case `r`: ")
        ),
        "{result:?}"
    );
}

#[test]
fn a_broken_policy_set_stops_the_run_with_its_error() {
    let dir = policy_dir(
        "allow(\"reads\") <- anotation($t, \"read_only\");",
        Some(CASES),
    );
    let result = run_dir(dir.path(), limits());
    assert!(
        matches!(result, Err(PolicyError::UnknownPredicate { .. })),
        "{result:?}"
    );
}
