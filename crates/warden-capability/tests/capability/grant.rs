//! Validation of tool patterns, constraints and grants.

use warden_capability::{ArgConstraint, CapabilityError, Scalar, ToolPattern};

use crate::support::grant;

fn constraint_error(constraint: ArgConstraint) -> String {
    match constraint.validate() {
        Err(CapabilityError::InvalidConstraint { reason, .. }) => reason,
        other => panic!("expected an invalid constraint, got {other:?}"),
    }
}

#[test]
fn tool_patterns_are_exact_names_or_a_prefix_ending_in_dot_star() {
    assert_eq!(
        ToolPattern::parse("fs.read").unwrap(),
        ToolPattern::Exact("fs.read".into())
    );
    assert_eq!(
        ToolPattern::parse("fs.*").unwrap(),
        ToolPattern::Prefix("fs.".into())
    );
    assert_eq!(ToolPattern::parse("fs.*").unwrap().to_string(), "fs.*");

    for bad in ["", "*", ".*", "fs*", "f*s.read", "fs.*.*"] {
        let error = ToolPattern::parse(bad).err().unwrap();
        assert!(
            matches!(error, CapabilityError::InvalidGrant(_)),
            "{bad}: {error}"
        );
    }
}

#[test]
fn malformed_constraints_are_refused_with_the_reason() {
    let empty_arg = ArgConstraint::Equals {
        arg: String::new(),
        value: Scalar::Int(1),
    };
    let empty_one_of = ArgConstraint::OneOf {
        arg: "mode".into(),
        values: vec![],
    };
    let empty_prefix = ArgConstraint::Prefix {
        arg: "path".into(),
        prefix: String::new(),
    };
    let unbounded = ArgConstraint::Range {
        arg: "n".into(),
        min: None,
        max: None,
    };
    let inverted = ArgConstraint::Range {
        arg: "n".into(),
        min: Some(5),
        max: Some(1),
    };

    assert_eq!(constraint_error(empty_arg), "argument name is empty");
    assert!(constraint_error(empty_one_of).contains("one-of lists no values"));
    assert!(constraint_error(empty_prefix).contains("prefix is empty"));
    let mixed = ArgConstraint::OneOf {
        arg: "n".into(),
        values: vec![Scalar::Int(1), Scalar::Str("1".into())],
    };
    assert!(constraint_error(mixed).contains("one-of mixes value types"));
    assert!(constraint_error(unbounded).contains("neither min nor max"));
    assert_eq!(
        constraint_error(inverted),
        "range min 5 is greater than max 1"
    );
}

#[test]
fn constraints_parse_from_json_and_unknown_kinds_are_refused() {
    let json = serde_json::json!({"kind": "range", "arg": "limit", "min": 1, "max": 50});
    let unknown = serde_json::json!({"kind": "regex", "arg": "path", "pattern": ".*"});

    let parsed = ArgConstraint::from_json(&json).unwrap();
    let error = ArgConstraint::from_json(&unknown).err().unwrap();

    assert_eq!(
        parsed,
        ArgConstraint::Range {
            arg: "limit".into(),
            min: Some(1),
            max: Some(50)
        }
    );
    assert!(
        matches!(error, CapabilityError::InvalidConstraint { .. }),
        "{error}"
    );
}

#[test]
fn grants_without_tools_or_with_a_non_spiffe_identity_are_refused() {
    let mut no_tools = grant();
    no_tools.tools.clear();
    let mut bad_identity = grant();
    bad_identity.identity = "reviewer".into();

    assert!(matches!(
        no_tools.validate(),
        Err(CapabilityError::InvalidGrant(_))
    ));
    assert!(matches!(
        bad_identity.validate(),
        Err(CapabilityError::InvalidGrant(_))
    ));
}

#[test]
fn grants_round_trip_through_json() {
    let original = grant();

    let json = serde_json::to_string(&original).unwrap();
    let back: warden_capability::TaskGrant = serde_json::from_str(&json).unwrap();

    assert!(json.contains("\"tickets.*\""));
    assert_eq!(back.tools, original.tools);
    assert_eq!(back.constraints, original.constraints);
}
