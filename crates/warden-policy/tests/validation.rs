//! A policy set is used only when it validates as a whole, and every refusal
//! names the file, line and column of the mistake.

use std::collections::BTreeMap;

use proptest::prelude::*;
use warden_policy::{EvalLimits, Location, PolicyError, PolicySet};

fn load(files: &[(&str, &str)]) -> Result<PolicySet, PolicyError> {
    let files = files
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    PolicySet::from_files(files, EvalLimits::default())
}

fn refusal(files: &[(&str, &str)]) -> PolicyError {
    match load(files) {
        Ok(_) => panic!("the set must be refused"),
        Err(error) => error,
    }
}

fn at(file: &str, line: usize, column: usize) -> Location {
    Location {
        file: file.to_owned(),
        line,
        column,
    }
}

#[test]
fn a_misspelt_predicate_is_refused_with_its_place_and_the_right_name() {
    let error = refusal(&[(
        "tools.policy",
        "// read-only tools\n\
         allow(\"read-only\") <- tool($t),\n    anotation($t, \"read_only\");\n",
    )]);
    assert!(
        matches!(&error, PolicyError::UnknownPredicate { at: place, name, suggestion }
            if *place == at("tools.policy", 3, 5) && name == "anotation"
                && suggestion.as_deref() == Some("annotation")),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "tools.policy:3:5: unknown predicate `anotation` can never match; \
         did you mean `annotation`?"
    );
}

#[test]
fn a_predicate_nothing_derives_is_refused_even_without_a_close_name() {
    let error = refusal(&[("a.policy", "allow(\"x\") <- tool($t), approved_by_bob($t);")]);
    assert!(
        matches!(&error, PolicyError::UnknownPredicate { at: place, suggestion: None, .. }
            if *place == at("a.policy", 1, 25)),
        "{error:?}"
    );
}

#[test]
fn a_request_fact_with_the_wrong_number_of_terms_is_refused() {
    let error = refusal(&[("a.policy", "allow(\"x\") <- annotation($t);")]);
    assert!(
        matches!(
            &error,
            PolicyError::WrongArity { name, used: 1, known: 2, .. } if name == "annotation"
        ),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("a.policy:1:15: "), "{error}");
}

#[test]
fn a_helper_read_with_the_wrong_number_of_terms_is_refused() {
    let error = refusal(&[(
        "a.policy",
        "agent($id) <- identity($id);\nallow(\"x\") <- agent($id, $x), tool($x);",
    )]);
    assert!(
        matches!(&error, PolicyError::WrongArity { at: place, used: 2, known: 1, .. }
            if *place == at("a.policy", 2, 15)),
        "{error:?}"
    );
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let error = refusal(&[
        ("a.policy", "allow(\"a\") <- tool($t);\n"),
        ("b.policy", "// fine\n\nallow(\"y\") <- tool($t) $t;\n"),
    ]);
    assert!(
        matches!(
            &error,
            PolicyError::Syntax { at: place, .. } if place.file == "b.policy" && place.line == 3
        ),
        "{error:?}"
    );
}

#[test]
fn a_derived_predicate_nothing_reads_is_refused_as_a_likely_typo() {
    let error = refusal(&[("a.policy", "\nalow(\"x\") <- tool($t);")]);
    assert!(
        matches!(&error, PolicyError::UnusedPredicate { at: place, name, suggestion }
            if *place == at("a.policy", 2, 1) && name == "alow"
                && suggestion.as_deref() == Some("allow")),
        "{error:?}"
    );
}

#[test]
fn outcomes_with_the_wrong_shape_are_refused() {
    let cases = [
        "deny(\"x\") <- tool($t);",
        "allow($t) <- tool($t);",
        "allow(\"\") <- tool($t);",
        "approval(\"x\", 3, \"why\") <- tool($t);",
    ];
    for text in cases {
        let error = refusal(&[("a.policy", text)]);
        assert!(
            matches!(
                &error,
                PolicyError::Outcome { at: place, .. } if *place == at("a.policy", 1, 1)
            ),
            "{text}: {error:?}"
        );
    }
}

#[test]
fn one_rule_name_in_two_files_is_refused_naming_both() {
    let error = refusal(&[
        ("a.policy", "allow(\"reads\") <- tool($t);"),
        ("b.policy", "\nallow(\"reads\") <- upstream($u);"),
    ]);
    assert!(
        matches!(&error, PolicyError::DuplicateRule { at: place, first, name }
            if *place == at("b.policy", 2, 1) && *first == at("a.policy", 1, 1) && name == "reads"),
        "{error:?}"
    );
}

#[test]
fn one_rule_name_for_two_kinds_of_outcome_is_refused() {
    let error = refusal(&[(
        "a.policy",
        "allow(\"r\") <- tool($t);\ndeny(\"r\", \"no\") <- upstream($u);",
    )]);
    assert!(
        matches!(error, PolicyError::DuplicateRule { .. }),
        "{error:?}"
    );
}

#[test]
fn one_rule_may_have_several_bodies_in_its_file() {
    let set = load(&[(
        "a.policy",
        "allow(\"reads\") <- tool(\"a\");\nallow(\"reads\") <- tool(\"b\");",
    )]);
    assert!(set.is_ok(), "{:?}", set.err());
}

#[test]
fn a_policy_cannot_derive_request_facts() {
    let error = refusal(&[("a.policy", "tool(\"demo.delete_ticket\") <- identity($id);")]);
    assert!(
        matches!(&error, PolicyError::RequestFactDerived { name, .. } if name == "tool"),
        "{error:?}"
    );
    let error = refusal(&[("a.policy", "operation(\"call_tool\");")]);
    assert!(
        matches!(error, PolicyError::RequestFactDerived { .. }),
        "{error:?}"
    );
}

#[test]
fn biscuit_policies_are_refused_with_the_outcome_to_write() {
    let error = refusal(&[("a.policy", "allow(\"x\") <- tool($t);\n\ndeny if tool($t);")]);
    assert!(
        matches!(
            &error,
            PolicyError::BiscuitPolicy { at: place, kind: "deny", .. }
                if *place == at("a.policy", 3, 1)
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("deny(\"rule-name\", \"reason\") <- ..."),
        "{error}"
    );
}

#[test]
fn parameters_and_trusting_scopes_are_refused() {
    let error = refusal(&[("a.policy", "allow(\"x\") <- tool({name});")]);
    assert!(matches!(error, PolicyError::Invalid { .. }), "{error:?}");

    let error = refusal(&[("a.policy", "allow(\"x\") <- tool($t) trusting authority;")]);
    assert!(matches!(error, PolicyError::Invalid { .. }), "{error:?}");
}

#[test]
fn an_empty_set_is_refused() {
    let error = refusal(&[]);
    assert!(
        matches!(error, PolicyError::NoPolicyFiles { .. }),
        "{error:?}"
    );
}

#[test]
fn errors_from_a_directory_name_the_file_on_disk() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("a.policy"), "allow(\"x\") <- tol($t);")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("notes.md"), "not a policy").unwrap_or_else(|e| panic!("{e}"));

    let error = PolicySet::load_dir(dir.path(), EvalLimits::default()).err();
    let expected = format!("{}:1:15", dir.path().join("a.policy").display());
    assert!(
        matches!(
            &error,
            Some(PolicyError::UnknownPredicate { at, .. }) if at.to_string() == expected
        ),
        "{error:?}"
    );
}

#[test]
fn an_unreadable_policy_file_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("broken.policy");
    std::fs::write(&path, [0xff, 0xfe, b'a']).unwrap_or_else(|e| panic!("{e}"));

    let error = PolicySet::load_dir(dir.path(), EvalLimits::default()).err();
    assert!(
        matches!(&error, Some(PolicyError::ReadFile { path: p, .. }) if *p == path),
        "{error:?}"
    );
}

#[test]
fn a_directory_without_policy_files_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let error = PolicySet::load_dir(dir.path(), EvalLimits::default()).err();
    assert!(
        matches!(error, Some(PolicyError::NoPolicyFiles { .. })),
        "{error:?}"
    );
}

proptest! {
    /// Wherever a misspelt predicate is written, the error points at it.
    #[test]
    fn every_unknown_predicate_is_located_where_it_is_written(
        blank_lines in 0usize..4,
        indent in 0usize..8,
        before in prop::collection::vec("[a-z]{1,8}", 0..3),
        typo in "zz[a-z]{1,6}",
    ) {
        let mut text = String::new();
        for name in &before {
            text.push_str(&format!("allow(\"{name}\") <- tool(\"{name}\");\n"));
        }
        text.push_str(&"\n".repeat(blank_lines));
        let line = before.len() + blank_lines + 2;
        text.push_str("deny(\"typo\", \"why\") <- tool($t),\n");
        text.push_str(&" ".repeat(indent));
        text.push_str(&format!("{typo}($t);\n"));

        let files = BTreeMap::from([("p.policy".to_owned(), text)]);
        let error = PolicySet::from_files(files, EvalLimits::default()).err();
        let expected = at("p.policy", line, indent + 1);
        prop_assert!(
            matches!(
                &error,
                Some(PolicyError::UnknownPredicate { at: place, .. }) if *place == expected
            ),
            "{:?}", error
        );
    }
}
