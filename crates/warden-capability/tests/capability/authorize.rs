//! Authorization of calls against task capabilities and call tokens.

use std::time::{Duration, SystemTime};

use warden_capability::{
    ArgConstraint, Biscuit, CallFacts, CallScope, CallSigner, CapabilityError, Scalar,
    attenuate_for_call, authorize, revocation_ids,
};

use crate::support::{AGENT, TASK, call, grant, in_an_hour, mint, ring, text};

fn failed_checks(token: &Biscuit, facts: &CallFacts) -> Vec<String> {
    match authorize(token, facts) {
        Err(CapabilityError::Unauthorized { failed_checks }) => failed_checks,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn with_constraint(constraint: ArgConstraint) -> Biscuit {
    let (_dir, ring) = ring();
    let mut grant = grant();
    grant.constraints = vec![constraint];
    mint(&ring, &grant)
}

fn call_scope(tool: &str) -> CallScope {
    CallScope {
        tool: tool.into(),
        call_id: "call-1".into(),
        args_digest: "ab12".into(),
        expires_at: SystemTime::now() + Duration::from_secs(30),
    }
}

#[test]
fn a_granted_tool_with_allowed_arguments_is_authorized() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());

    let authorized = authorize(
        &token,
        &call("fs.read_file", &[("path", text("/srv/data/a"))]),
    );

    let authorized = authorized.unwrap();
    assert_eq!(authorized.task_id, TASK);
    assert_eq!(authorized.identity, AGENT);
    assert_eq!(authorized.revocation_ids, revocation_ids(&token));
}

#[test]
fn a_tool_under_a_granted_prefix_is_authorized_and_others_are_not() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());
    let path = [("path", text("/srv/data/a"))];

    let prefixed = authorize(&token, &call("tickets.create", &path));

    assert!(prefixed.is_ok(), "{prefixed:?}");
    assert_eq!(
        failed_checks(&token, &call("ticketsX.create", &path)).len(),
        1
    );
    assert_eq!(
        failed_checks(&token, &call("fs.write_file", &path)).len(),
        1
    );
}

#[test]
fn every_failed_check_is_reported() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());

    let failed = failed_checks(
        &token,
        &call("fs.write_file", &[("path", text("/etc/passwd"))]),
    );

    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.iter().any(|c| c.contains("tool($t)")));
    assert!(failed.iter().any(|c| c.contains("starts_with")));
}

#[test]
fn a_constraint_on_an_absent_argument_fails_closed() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());

    let failed = failed_checks(
        &token,
        &call("fs.read_file", &[("other", text("/srv/data/a"))]),
    );

    assert_eq!(failed.len(), 1);
    assert!(failed[0].contains("arg("), "{failed:?}");
}

#[test]
fn a_prefix_constraint_refuses_a_value_of_another_type() {
    let token = with_constraint(ArgConstraint::Prefix {
        arg: "path".into(),
        prefix: "/a".into(),
    });

    assert_eq!(
        failed_checks(&token, &call("fs.read_file", &[("path", Scalar::Int(1))])).len(),
        1
    );
}

#[test]
fn equality_and_one_of_constraints_accept_only_their_values() {
    let equals = with_constraint(ArgConstraint::Equals {
        arg: "dry".into(),
        value: Scalar::Bool(true),
    });
    let one_of = with_constraint(ArgConstraint::OneOf {
        arg: "mode".into(),
        values: vec![text("ro"), text("append")],
    });

    assert!(
        authorize(
            &equals,
            &call("fs.read_file", &[("dry", Scalar::Bool(true))])
        )
        .is_ok()
    );
    assert!(authorize(&equals, &call("fs.read_file", &[("dry", text("true"))])).is_err());
    assert!(authorize(&one_of, &call("fs.read_file", &[("mode", text("append"))])).is_ok());
    assert_eq!(
        failed_checks(&one_of, &call("fs.read_file", &[("mode", text("rw"))])).len(),
        1
    );
}

#[test]
fn a_range_constraint_checks_both_bounds_and_the_type() {
    let range = with_constraint(ArgConstraint::Range {
        arg: "limit".into(),
        min: Some(1),
        max: Some(50),
    });
    let limit = |value: Scalar| call("fs.read_file", &[("limit", value)]);

    assert!(authorize(&range, &limit(Scalar::Int(1))).is_ok());
    assert!(authorize(&range, &limit(Scalar::Int(50))).is_ok());
    assert_eq!(failed_checks(&range, &limit(Scalar::Int(0))).len(), 1);
    assert_eq!(failed_checks(&range, &limit(Scalar::Int(51))).len(), 1);
    assert_eq!(failed_checks(&range, &limit(text("10"))).len(), 1);
}

#[test]
fn an_expired_capability_is_refused() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());
    let mut facts = call("fs.read_file", &[("path", text("/srv/data/a"))]);
    facts.now = in_an_hour() + Duration::from_secs(1);

    let failed = failed_checks(&token, &facts);

    assert_eq!(
        failed.len(),
        2,
        "goal and authorizer expiry checks: {failed:?}"
    );
}

#[test]
fn another_identity_or_task_cannot_use_the_capability() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());
    let mut other_agent = call("fs.read_file", &[("path", text("/srv/data/a"))]);
    other_agent.identity = "spiffe://example.org/agent/other".into();
    let mut other_task = call("fs.read_file", &[("path", text("/srv/data/a"))]);
    other_task.task = "task-2".into();

    assert_eq!(failed_checks(&token, &other_agent).len(), 2);
    assert_eq!(failed_checks(&token, &other_task).len(), 2);
}

#[test]
fn client_values_are_data_and_cannot_inject_datalog() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());
    let injected = "fs.read_file\"); check if true; tool(\"fs.read_file";

    assert_eq!(
        failed_checks(&token, &call(injected, &[("path", text("/srv/data/a"))])).len(),
        1
    );
}

#[test]
fn a_call_token_allows_its_own_call_only() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());
    let call_token = attenuate_for_call(&token, &call_scope("fs.read_file")).unwrap();
    let facts = call("fs.read_file", &[("path", text("/srv/data/a"))]);

    let mut other_call = facts.clone();
    other_call.call_id = "call-2".into();
    let mut other_args = facts.clone();
    other_args.args_digest = "ffff".into();
    let mut other_tool = facts.clone();
    other_tool.tool = "tickets.create".into();

    assert_eq!(revocation_ids(&call_token).len(), 3);
    assert!(authorize(&call_token, &facts).is_ok());
    assert_eq!(failed_checks(&call_token, &other_call).len(), 1);
    assert_eq!(failed_checks(&call_token, &other_args).len(), 1);
    assert_eq!(failed_checks(&call_token, &other_tool).len(), 1);
}

#[test]
fn call_tokens_of_one_signer_stay_apart() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());
    let signer = CallSigner::new();
    let first = signer
        .attenuate(&token, &call_scope("fs.read_file"))
        .unwrap();
    let mut second_scope = call_scope("fs.read_file");
    second_scope.call_id = "call-2".into();
    let second = signer.attenuate(&token, &second_scope).unwrap();
    let facts = call("fs.read_file", &[("path", text("/srv/data/a"))]);
    let mut second_facts = facts.clone();
    second_facts.call_id = "call-2".into();

    assert!(authorize(&first, &facts).is_ok());
    assert!(authorize(&second, &second_facts).is_ok());
    assert_eq!(failed_checks(&first, &second_facts).len(), 1);
    assert_eq!(failed_checks(&second, &facts).len(), 1);
    assert_ne!(revocation_ids(&first)[2], revocation_ids(&second)[2]);
}

#[test]
fn a_call_token_expires_before_its_capability() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());
    let call_token = attenuate_for_call(&token, &call_scope("fs.read_file")).unwrap();
    let mut later = call("fs.read_file", &[("path", text("/srv/data/a"))]);
    later.now = SystemTime::now() + Duration::from_secs(60);

    assert!(authorize(&token, &later).is_ok());
    assert_eq!(failed_checks(&call_token, &later).len(), 1);
}

#[test]
fn a_call_scope_without_a_call_id_is_refused() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());
    let mut scope = call_scope("fs.read_file");
    scope.call_id.clear();

    let error = attenuate_for_call(&token, &scope).err().unwrap();

    assert!(matches!(error, CapabilityError::InvalidGrant(_)), "{error}");
}

#[test]
fn argument_digests_ignore_key_order_and_see_every_value() {
    let a = serde_json::json!({"path": "/srv/data/a", "opts": {"x": 1, "y": [true, null]}});
    let b = serde_json::json!({"opts": {"y": [true, null], "x": 1}, "path": "/srv/data/a"});
    let c = serde_json::json!({"opts": {"y": [true, null], "x": 2}, "path": "/srv/data/a"});

    assert_eq!(
        warden_capability::args_digest(&a),
        warden_capability::args_digest(&b)
    );
    assert_ne!(
        warden_capability::args_digest(&a),
        warden_capability::args_digest(&c)
    );
    assert_eq!(warden_capability::args_digest(&a).len(), 64);
}

#[test]
fn facts_in_an_appended_block_cannot_widen_the_capability() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());
    let forged_facts = biscuit_auth::BlockBuilder::new()
        .code(r#"tool("fs.read_file"); arg("path", "/srv/data/x"); request_task("task-1");"#)
        .unwrap();
    let widened = token.append(forged_facts).unwrap();

    let failed = failed_checks(
        &widened,
        &call("fs.write_file", &[("path", text("/etc/shadow"))]),
    );

    assert_eq!(failed.len(), 2, "{failed:?}");
}

#[test]
fn admits_agrees_with_the_token_on_every_kind_of_constraint() {
    let constraints = [
        ArgConstraint::Equals {
            arg: "n".into(),
            value: Scalar::Int(3),
        },
        ArgConstraint::OneOf {
            arg: "n".into(),
            values: vec![Scalar::Int(3), Scalar::Int(4)],
        },
        ArgConstraint::Prefix {
            arg: "n".into(),
            prefix: "/srv/".into(),
        },
        ArgConstraint::Range {
            arg: "n".into(),
            min: Some(1),
            max: Some(5),
        },
        ArgConstraint::Range {
            arg: "n".into(),
            min: None,
            max: Some(-1),
        },
    ];
    let values = [
        None,
        Some(Scalar::Int(3)),
        Some(Scalar::Int(9)),
        Some(Scalar::Int(-4)),
        Some(text("a")),
        Some(text("/srv/x")),
        Some(text("3")),
        Some(Scalar::Bool(true)),
    ];

    for constraint in constraints {
        let mut grant = grant();
        grant.constraints = vec![constraint.clone()];
        let (_dir, ring) = ring();
        let token = mint(&ring, &grant);

        for value in &values {
            let args: Vec<(&str, Scalar)> = value.iter().map(|v| ("n", v.clone())).collect();
            let by_token = authorize(&token, &call("fs.read_file", &args)).is_ok();

            assert_eq!(
                constraint.admits(value.as_ref()),
                by_token,
                "{constraint} with {value:?}"
            );
        }
    }
}

#[test]
fn constraints_read_as_rules_a_model_can_follow() {
    let prefix = ArgConstraint::Prefix {
        arg: "path".into(),
        prefix: "/srv/".into(),
    };
    let range = ArgConstraint::Range {
        arg: "limit".into(),
        min: Some(1),
        max: Some(50),
    };

    assert_eq!(prefix.to_string(), "`path` must start with \"/srv/\"");
    assert_eq!(range.to_string(), "`limit` must be an integer from 1 to 50");
}
