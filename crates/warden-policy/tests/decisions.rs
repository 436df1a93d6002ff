//! How a set decides: deny by default, precedence, named rules and files,
//! limits, and decisions that replay from their recorded facts.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use warden_policy::{
    ArgValue, Decision, Effect, EvalLimits, NO_RULE_ALLOWS, Operation, PolicyError, PolicyRequest,
    PolicySet, decide_with,
};

/// The default limits with room for a slow debug build on a busy host: these
/// tests are about outcomes; the time limit has its own test.
fn limits() -> EvalLimits {
    EvalLimits {
        max_time: Duration::from_secs(10),
        ..EvalLimits::default()
    }
}

fn set_of(files: &[(&str, &str)]) -> PolicySet {
    set_with(files, limits())
}

fn set_with(files: &[(&str, &str)], limits: EvalLimits) -> PolicySet {
    let files = files
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    PolicySet::from_files(files, limits).unwrap_or_else(|error| panic!("{error}"))
}

fn call(tool: &str, hints: &[&str]) -> PolicyRequest {
    let mut request = PolicyRequest::new(
        Operation::CallTool,
        "spiffe://example.org/agent/demo",
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000),
    );
    request.tool = Some(tool.to_owned());
    request.upstream = tool
        .split_once('.')
        .map(|(upstream, _)| upstream.to_owned());
    request.annotations = hints.iter().map(|hint| (*hint).to_owned()).collect();
    request
}

#[test]
fn a_request_no_rule_allows_is_denied_by_default() {
    let set = set_of(&[("a.policy", "allow(\"echo\") <- tool(\"demo.echo\");")]);
    let decision = set.decide(&call("demo.get_ticket", &[]));
    assert_eq!(decision.effect, Effect::Deny);
    assert_eq!(decision.reason, NO_RULE_ALLOWS);
    assert_eq!((decision.rule, decision.file), (None, None));
    assert!(decision.matched.is_empty());
}

#[test]
fn an_allowed_request_names_its_rule_file_and_version() {
    let set = set_of(&[(
        "reads.policy",
        "allow(\"reads\") <- annotation($t, \"read_only\");",
    )]);
    let decision = set.decide(&call("demo.get_ticket", &["read_only"]));
    assert_eq!(decision.effect, Effect::Allow);
    assert_eq!(decision.rule.as_deref(), Some("reads"));
    assert_eq!(decision.file.as_deref(), Some("reads.policy"));
    assert_eq!(&decision.policy_version, set.version());
}

const LAYERS: &str = r#"
allow("b-allow") <- tool($t);
allow("a-allow") <- tool($t);
approval("z-approval", "approver", "destroys") <- annotation($t, "destructive");
approval("y-approval", "owner", "owned") <- annotation($t, "destructive"), tool("demo.delete");
deny("m-deny", "never on demo.delete") <- tool("demo.delete");
deny("k-deny", "k says no") <- tool("demo.delete"), annotation($t, "open_world");
"#;

#[test]
fn several_allows_are_all_named_and_the_first_decides() {
    let set = set_of(&[("layers.policy", LAYERS)]);
    let decision = set.decide(&call("demo.echo", &[]));
    assert_eq!(decision.effect, Effect::Allow);
    assert_eq!(decision.rule.as_deref(), Some("a-allow"));
    assert_eq!(decision.matched, ["a-allow", "b-allow"]);
}

#[test]
fn an_approval_outranks_allows() {
    let set = set_of(&[("layers.policy", LAYERS)]);
    let decision = set.decide(&call("demo.close", &["destructive"]));
    assert_eq!(
        decision.effect,
        Effect::ApprovalRequired {
            role: "approver".to_owned()
        }
    );
    assert_eq!(decision.rule.as_deref(), Some("z-approval"));
    assert_eq!(decision.reason, "destroys");
}

#[test]
fn a_deny_outranks_approvals_and_allows() {
    let set = set_of(&[("layers.policy", LAYERS)]);
    let decision = set.decide(&call("demo.delete", &["destructive", "open_world"]));
    assert_eq!(decision.effect, Effect::Deny);
    assert_eq!(decision.rule.as_deref(), Some("k-deny"));
    assert_eq!(decision.reason, "k says no");
    assert_eq!(decision.matched, ["k-deny", "m-deny"]);
}

#[test]
fn a_failed_check_denies_and_is_listed_with_its_source() {
    let set = set_of(&[
        ("a.policy", "allow(\"any\") <- tool($t);"),
        (
            "b.policy",
            "// budget\ncheck if calls_made($n), $n < 10;\ncheck if tool($t);",
        ),
    ]);
    let mut request = call("demo.echo", &[]);
    request.calls_made = Some(10);
    let decision = set.decide(&request);
    assert_eq!(decision.effect, Effect::Deny);
    assert_eq!(decision.rule, None);
    assert_eq!(decision.file.as_deref(), Some("b.policy"));
    assert_eq!(decision.failed_checks, ["check if calls_made($n), $n < 10"]);
    assert_eq!(
        decision.reason,
        "check failed: check if calls_made($n), $n < 10"
    );
}

#[test]
fn a_deny_rule_decides_over_a_failed_check_which_is_still_listed() {
    let set = set_of(&[(
        "a.policy",
        "deny(\"no-echo\", \"no\") <- tool(\"demo.echo\");\ncheck if upstream(\"fs\");",
    )]);
    let decision = set.decide(&call("demo.echo", &[]));
    assert_eq!(decision.rule.as_deref(), Some("no-echo"));
    assert_eq!(decision.failed_checks, ["check if upstream(\"fs\")"]);
}

#[test]
fn reject_if_and_check_all_behave_as_in_biscuit() {
    let set = set_of(&[(
        "a.policy",
        "allow(\"any\") <- tool($t);\nreject if arg(\"force\", true);\n\
         check all arg($k, $v), $v != \"\";",
    )]);
    let mut request = call("demo.echo", &[]);
    request.args = vec![("text".to_owned(), ArgValue::Str("hi".to_owned()))];
    assert!(set.decide(&request).is_allowed());

    request
        .args
        .push(("force".to_owned(), ArgValue::Bool(true)));
    assert_eq!(set.decide(&request).failed_checks.len(), 1);

    request.args = vec![("text".to_owned(), ArgValue::Str(String::new()))];
    assert_eq!(
        set.decide(&request).failed_checks,
        ["check all arg($k, $v), $v != \"\""]
    );
}

#[test]
fn a_recursive_rule_that_blows_up_is_stopped_at_the_fact_limit() {
    let mut chain = String::from("allow(\"reach\") <- reach(1, 200);\n");
    for n in 1..200 {
        chain.push_str(&format!("edge({n}, {});\n", n + 1));
    }
    chain.push_str(
        "reach($a, $b) <- edge($a, $b);\nreach($a, $c) <- reach($a, $b), edge($b, $c);\n",
    );
    let set = set_of(&[("graph.policy", &chain)]);

    let decision = set.decide(&call("demo.echo", &[]));
    assert_eq!(decision.effect, Effect::Deny);
    assert_eq!(
        decision.reason,
        "policy evaluation stopped: the rules derived more than 1000 facts (limit max_facts)"
    );
}

#[test]
fn a_deep_recursion_is_stopped_at_the_round_limit() {
    let mut chain = String::from("allow(\"reach\") <- reach(1, 40);\n");
    for n in 1..40 {
        chain.push_str(&format!("edge({n}, {});\n", n + 1));
    }
    chain.push_str(
        "reach($a, $b) <- edge($a, $b);\nreach($a, $c) <- reach($a, $b), edge($b, $c);\n",
    );
    let shallow = EvalLimits {
        max_iterations: 10,
        ..limits()
    };
    let decision = set_with(&[("graph.policy", &chain)], shallow).decide(&call("demo.echo", &[]));
    assert_eq!(
        decision.reason,
        "policy evaluation stopped: the rules needed more than 10 rounds (limit max_iterations)"
    );

    let generous = EvalLimits {
        max_facts: 10_000,
        ..limits()
    };
    let decision = set_with(&[("graph.policy", &chain)], generous).decide(&call("demo.echo", &[]));
    assert!(decision.is_allowed(), "{decision}");
}

#[test]
fn helpers_built_on_helpers_are_complete_before_anything_reads_them() {
    let files: &[(&str, &str)] = &[
        ("a.policy", "allow(\"deep\") <- third($id);"),
        (
            "b.policy",
            "third($id) <- second($id);\nsecond($id) <- first($id);",
        ),
        ("c.policy", "first($id) <- identity($id);"),
    ];
    let rounds = |max_iterations| EvalLimits {
        max_iterations,
        ..limits()
    };

    let decision = set_with(files, rounds(4)).decide(&call("demo.echo", &[]));
    assert!(decision.is_allowed(), "one round per level: {decision}");
    let decision = set_with(files, rounds(3)).decide(&call("demo.echo", &[]));
    assert!(
        decision.reason.contains("(limit max_iterations)"),
        "{decision}"
    );
}

#[test]
fn an_evaluation_past_its_time_limit_is_denied_naming_the_limit() {
    let limits = EvalLimits {
        max_time: Duration::from_nanos(1),
        ..EvalLimits::default()
    };
    let set = set_with(&[("a.policy", "allow(\"any\") <- tool($t);")], limits);
    let decision = set.decide(&call("demo.echo", &[]));
    assert_eq!(
        decision.reason,
        "policy evaluation stopped: it took longer than 1ns (limit max_time)"
    );
}

#[test]
fn a_value_of_the_wrong_type_denies_instead_of_passing() {
    let set = set_of(&[(
        "a.policy",
        "allow(\"any\") <- tool($t);\n\
         deny(\"paths\", \"outside\") <- arg(\"path\", $p), !$p.starts_with(\"/srv\");",
    )]);
    let mut request = call("fs.read", &[]);
    request.args = vec![("path".to_owned(), ArgValue::Int(7))];
    let decision = set.decide(&request);
    assert_eq!(decision.effect, Effect::Deny);
    assert!(
        decision.reason.starts_with("policy evaluation failed: "),
        "{decision}"
    );
}

#[test]
fn recorded_facts_that_are_no_request_facts_cannot_be_replayed() {
    let set = set_of(&[("a.policy", "allow(\"any\") <- tool($t);")]);
    let result = set.decide_facts(&["allow(\"forged\")".to_owned()]);
    assert!(
        matches!(result, Err(PolicyError::RecordedFact { .. })),
        "{result:?}"
    );
}

/// The statements of a small set, split across files in tests below.
const STATEMENTS: &[&str] = &[
    "agent($id) <- identity($id), $id.starts_with(\"spiffe://example.org/agent/\")",
    "allow(\"reads\") <- agent($id), annotation($t, \"read_only\")",
    "allow(\"writes\") <- agent($id), annotations($t, $h), !$h.contains(\"destructive\")",
    "approval(\"destroys\", \"approver\", \"needs a human\")\n\
     <- agent($id), annotation($t, \"destructive\")",
    "deny(\"foreign\", \"foreign trust domain\") <- trust_domain($td), $td != \"example.org\"",
    "deny(\"empty-query\", \"empty query\") <- arg(\"query\", \"\")",
    "check if time($t), $t > 2020-01-01T00:00:00Z",
    "deny(\"budget\", \"budget spent\") <- calls_made($n), $n >= 5",
];

fn request_strategy() -> impl Strategy<Value = PolicyRequest> {
    let identity = prop::sample::select(vec![
        "spiffe://example.org/agent/demo",
        "spiffe://example.org/human/alice",
        "spiffe://partner.example/agent/demo",
        "not-an-id",
    ]);
    let hints = prop::sample::subsequence(vec!["read_only", "destructive", "open_world"], 0..=3);
    let query = prop::option::of(prop::sample::select(vec![
        "",
        "vpn",
        "a \"quoted\" \\ word",
    ]));
    (
        identity,
        hints,
        query,
        prop::option::of(0u64..10),
        1_500_000_000u64..1_900_000_000,
    )
        .prop_map(|(identity, hints, query, calls, seconds)| {
            let mut request = call("demo.search_docs", &hints);
            request.identity = identity.to_owned();
            request.time = SystemTime::UNIX_EPOCH + Duration::from_secs(seconds);
            request.calls_made = calls;
            if let Some(query) = query {
                request.args = vec![("query".to_owned(), ArgValue::Str(query.to_owned()))];
            }
            request
        })
}

/// Splits the statements over files: `assignment[i]` picks statement i's file,
/// and `order` reverses some files' statement order.
fn files_from(assignment: &[usize], reverse: bool) -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (statement, file) in STATEMENTS.iter().zip(assignment) {
        files
            .entry(format!("f{file}.policy"))
            .or_default()
            .push(statement);
    }
    files
        .into_iter()
        .map(|(name, mut statements)| {
            if reverse {
                statements.reverse();
            }
            (name, statements.join(";\n") + ";\n")
        })
        .collect()
}

/// The parts of a decision that must not depend on how the set is split.
fn outcome(decision: &Decision) -> (Effect, Option<String>, String, Vec<String>, Vec<String>) {
    (
        decision.effect.clone(),
        decision.rule.clone(),
        decision.reason.clone(),
        decision.matched.clone(),
        decision.failed_checks.clone(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_order_and_split_of_files_never_changes_an_outcome(
        assignment in prop::collection::vec(0usize..4, STATEMENTS.len()),
        reverse in any::<bool>(),
        request in request_strategy(),
    ) {
        let one_file = files_from(&[0; STATEMENTS.len()], false);
        let split = files_from(&assignment, reverse);
        let reference = PolicySet::from_files(one_file, limits());
        let shuffled = PolicySet::from_files(split, limits());
        let (Ok(reference), Ok(shuffled)) = (reference, shuffled) else {
            panic!("both sets must load");
        };
        prop_assert_eq!(outcome(&reference.decide(&request)), outcome(&shuffled.decide(&request)));
    }

    #[test]
    fn a_decision_replays_identically_from_its_recorded_facts(request in request_strategy()) {
        let files = files_from(&[0, 1, 2, 3, 0, 1, 2, 3], false);
        let set = PolicySet::from_files(files.clone(), limits())
            .unwrap_or_else(|error| panic!("{error}"));
        let decision = set.decide(&request);
        let replayed = decide_with(&files, &decision.facts, limits())
            .unwrap_or_else(|error| panic!("{error}"));
        prop_assert_eq!(replayed, decision);
    }

    #[test]
    fn anything_no_rule_matches_is_denied(tool in "[a-z]{1,8}\\.[a-z_]{1,12}") {
        let set = set_of(&[("a.policy", "allow(\"only-echo\") <- tool(\"demo.echo\");")]);
        prop_assume!(tool != "demo.echo");
        let decision = set.decide(&call(&tool, &["read_only"]));
        prop_assert_eq!(decision.effect, Effect::Deny);
        prop_assert_eq!(decision.reason, NO_RULE_ALLOWS);
    }
}
