//! `warden policy check` and `warden policy test`, run as the built binary on
//! the default set in `policies/` and on directories with mistakes in them.

mod support;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `warden policy ARGS...` and returns what it printed and how it ended.
fn warden_policy(args: &[&str]) -> Output {
    Command::new(support::warden_exe())
        .arg("policy")
        .args(args)
        .env_remove("WARDEN_LOG")
        .output()
        .unwrap_or_else(|error| panic!("cannot run warden: {error}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn policies() -> String {
    support::workspace_root()
        .join("policies")
        .display()
        .to_string()
}

fn write(dir: &Path, name: &str, content: &str) {
    if let Some(parent) = dir.join(name).parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(dir.join(name), content).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn check_accepts_the_default_set_with_a_one_line_summary() {
    let output = warden_policy(&["check", &policies()]);
    assert!(output.status.success(), "{}", text(&output.stderr));

    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let prefix = format!("{}: 4 files, ", policies());
    assert!(lines[0].starts_with(&prefix), "{stdout}");
    assert!(lines[0].contains(" rules, 1 check, version "), "{stdout}");
    let version = lines[0].rsplit(' ').next().unwrap_or("");
    assert_eq!(version.len(), 64, "{stdout}");
    assert!(version.bytes().all(|b| b.is_ascii_hexdigit()), "{stdout}");
}

#[test]
fn test_runs_every_default_case_and_they_all_pass() {
    let output = warden_policy(&["test", &policies(), "--max-time", "10s"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains(
            "  ok    the quick start agent reads a ticket: allow by rule \
             `agent-read-only-tools` (tools.policy)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("the quick start agent echoes a message: allow"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with(" passed, 0 failed"), "{stdout}");
}

#[test]
fn check_refuses_a_misspelt_predicate_in_one_line_with_its_place() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "good.policy",
        "allow(\"reads\") <- annotation($t, \"read_only\");\n",
    );
    write(
        dir.path(),
        "bad.policy",
        "// destructive tools\n\
         approval(\"destroys\", \"approver\", \"confirm\")\n\
         \x20   <- anotation($t, \"destructive\");\n",
    );

    let output = warden_policy(&["check", &dir.path().display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout), "");
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: {}:3:8: unknown predicate `anotation` can never match; \
             did you mean `annotation`?\n",
            dir.path().join("bad.policy").display()
        )
    );
}

#[test]
fn check_refuses_a_syntax_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "a.policy",
        "allow(\"a\") <- tool($t);\n\nallow(\"b\") <- tool($t) $t;\n",
    );

    let output = warden_policy(&["check", &dir.path().display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let place = format!("error: {}:3:", dir.path().join("a.policy").display());
    assert!(stderr.starts_with(&place), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn check_names_a_missing_directory() {
    let output = warden_policy(&["check", "/nonexistent/policies"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot read policy directory `/nonexistent/policies`: "),
        "{stderr}"
    );
}

/// Two cases for a set that allows reads only; the second expects too much.
const ONE_WRONG_CASE: &str = r#"
[tools]
"demo.get_ticket" = ["read_only"]
"demo.delete_ticket" = ["destructive"]

[[case]]
name = "reading is allowed"
operation = "call_tool"
identity = "spiffe://example.org/agent/demo"
tool = "demo.get_ticket"
expect = "allow"

[[case]]
name = "deleting is allowed, says this wrong case"
operation = "call_tool"
identity = "spiffe://example.org/agent/demo"
tool = "demo.delete_ticket"
expect = "allow"
"#;

#[test]
fn test_reports_a_failing_case_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "a.policy",
        "allow(\"reads\") <- annotation($t, \"read_only\");\n",
    );
    write(dir.path(), "tests/a.toml", ONE_WRONG_CASE);

    let output = warden_policy(&[
        "test",
        &dir.path().display().to_string(),
        "--max-time",
        "10s",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("  ok    reading is allowed: allow by rule `reads`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  FAIL  deleting is allowed, says this wrong case (line 13)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("        got:      deny: no rule allows this request"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("1 passed, 1 failed"),
        "{stdout}"
    );
    assert_eq!(
        text(&output.stderr),
        "error: 1 of 2 policy test cases failed\n"
    );
}

#[test]
fn test_refuses_a_directory_without_cases() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "a.policy",
        "allow(\"reads\") <- annotation($t, \"read_only\");\n",
    );

    let output = warden_policy(&["test", &dir.path().display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("holds no test cases"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn both_commands_show_examples_in_their_help() {
    for command in ["check", "test"] {
        let output = warden_policy(&[command, "--help"]);
        assert!(output.status.success());
        let help = text(&output.stdout);
        assert!(
            help.contains(&format!("warden policy {command} policies/")),
            "{help}"
        );
    }
}
