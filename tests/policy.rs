//! Policy in the call path, end to end: the real gateway decides every task
//! request and every call with the policy files on disk before forwarding
//! it. An allowed call reaches the demo upstream; a refused one never does
//! (its debug log, relayed into the gateway's, shows no call); an edit on
//! disk changes the next decision without a restart; a broken edit keeps the
//! last good set.

mod support;

use std::time::Duration;

use serde_json::json;
use support::client::text_of;
use support::process::Gateway;
use support::{GatewayLaunch, TestAgent};

/// The demo upstream with its own debug log on, so that the gateway's log
/// shows every call the upstream receives (`tool call tool.name=...`).
fn observed_demo() -> String {
    format!(
        "[[upstream]]\nname = \"demo\"\ncommand = [\"{exe}\", \"dev\", \"demo-upstream\"]\n\
         env = {{ WARDEN_LOG = \"warden_demo_upstream=debug\" }}\n",
        exe = support::warden_exe()
    )
}

fn upstream_saw(gateway: &Gateway, tool: &str) -> bool {
    gateway
        .log()
        .lines()
        .any(|line| line.contains("tool call") && line.contains(&format!("tool.name={tool}")))
}

/// A copy of the default policy set that a test may edit.
fn copy_of_default_policies() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = support::workspace_root().join("policies");
    for entry in std::fs::read_dir(&source).expect("policies/").flatten() {
        let path = entry.path();
        if path
            .extension()
            .is_some_and(|extension| extension == "policy")
        {
            let target = dir.path().join(entry.file_name());
            std::fs::copy(&path, target).expect("copy a policy file");
        }
    }
    dir
}

#[tokio::test]
async fn an_allowed_call_reaches_the_upstream_and_a_refused_one_never_does() {
    let policies = support::workspace_root().join("policies");
    let gateway = GatewayLaunch::new(observed_demo())
        .policies(&policies)
        .start();
    let (agent, _events) = TestAgent::connect(&gateway, "demo").await;
    let (refused, task) = agent
        .request_task(json!({
            "goal": "look up ticket 1 and the docs",
            "tools": ["demo.get_ticket", "demo.search_docs"],
        }))
        .await;
    assert!(!refused, "{task}");
    assert_eq!(
        task["status"], "active",
        "read-only tasks are granted: {task}"
    );
    assert_eq!(task["decided_by"], "policy rule agent-read-only-tasks");

    let ticket = agent.call("demo.get_ticket", json!({ "id": 1 })).await;
    let empty_search = agent
        .call("demo.search_docs", json!({ "query": "  " }))
        .await;
    let delete = agent.call("demo.delete_ticket", json!({ "id": 1 })).await;

    assert_ne!(ticket.is_error, Some(true), "{}", text_of(&ticket));
    assert_eq!(empty_search.is_error, Some(true));
    assert!(
        text_of(&empty_search).contains("denied by policy: demo.search_docs needs a non-empty"),
        "{}",
        text_of(&empty_search)
    );
    assert_eq!(delete.is_error, Some(true));
    assert!(
        text_of(&delete).contains("tool `demo.delete_ticket` is not granted to task"),
        "{}",
        text_of(&delete)
    );

    gateway
        .wait_for_log("tool.name=get_ticket", Duration::from_secs(5))
        .await;
    assert!(!upstream_saw(&gateway, "search_docs"), "{}", gateway.log());
    assert!(
        !upstream_saw(&gateway, "delete_ticket"),
        "{}",
        gateway.log()
    );
    let still_there = agent.call("demo.get_ticket", json!({ "id": 1 })).await;
    assert_ne!(still_there.is_error, Some(true), "ticket 1 was not deleted");
}

#[tokio::test]
async fn a_policy_edit_on_disk_changes_the_next_decision_without_a_restart() {
    let policies = copy_of_default_policies();
    let gateway = GatewayLaunch::new(observed_demo())
        .policies(policies.path())
        .start();
    let (agent, _events) = TestAgent::connect(&gateway, "demo").await;
    let (refused, task) = agent
        .request_task(json!({"goal": "say hello", "tools": ["demo.echo"]}))
        .await;
    assert!(!refused, "{task}");
    let echo = || agent.call("demo.echo", json!({ "text": "hi" }));
    assert_ne!(echo().await.is_error, Some(true));

    let closed =
        "deny(\"echo-closed\", \"echo is closed for maintenance\") <- tool(\"demo.echo\");\n";
    std::fs::write(policies.path().join("maintenance.policy"), closed).expect("write policy");
    let refused = wait_for_refusal(&echo, "echo is closed for maintenance").await;
    assert!(
        text_of(&refused).contains("denied by policy"),
        "{}",
        text_of(&refused)
    );

    std::fs::write(
        policies.path().join("broken.policy"),
        "deny(\"x\" <- tool(\n",
    )
    .expect("write");
    let health = wait_for_policy_error(&gateway).await;
    assert_eq!(health["status"], "degraded", "{health}");
    let error = health["policy"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("broken.policy:1:"),
        "file and position: {error}"
    );
    let still = echo().await;
    assert!(
        text_of(&still).contains("echo is closed for maintenance"),
        "the last good set stays in force: {}",
        text_of(&still)
    );

    std::fs::remove_file(policies.path().join("broken.policy")).expect("remove");
    std::fs::remove_file(policies.path().join("maintenance.policy")).expect("remove");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while echo().await.is_error == Some(true) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fixed set never loaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(gateway.health().await["policy"]["error"], json!(null));
}

async fn wait_for_refusal<F, Fut>(call: &F, reason: &str) -> rmcp::model::CallToolResult
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = rmcp::model::CallToolResult>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let result = call().await;
        if text_of(&result).contains(reason) {
            return result;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the edit never took effect: {}",
            text_of(&result)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_for_policy_error(gateway: &Gateway) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let health = gateway.health().await;
        if !health["policy"]["error"].is_null() {
            return health;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no policy error shown: {health}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_broken_policy_set_refuses_the_start_with_its_position() {
    let policies = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        policies.path().join("typo.policy"),
        "allow(\"r\") <- anotation($t, \"read_only\");\n",
    )
    .expect("write policy");

    let failure = GatewayLaunch::new(observed_demo())
        .policies(policies.path())
        .try_start()
        .err()
        .expect("the gateway refuses to start");

    assert!(failure.contains("typo.policy:1:"), "{failure}");
    assert!(failure.contains("anotation"), "{failure}");
}

#[tokio::test]
async fn metrics_show_the_policy_version_in_force() {
    let gateway = GatewayLaunch::new(observed_demo()).start();

    let metrics = reqwest::get(format!("{}/metrics", gateway.admin_url))
        .await
        .expect("metrics reachable")
        .text()
        .await
        .expect("metrics text");

    assert!(metrics.contains("warden_policy_broken 0"), "{metrics}");
    assert!(
        metrics.contains("warden_policy_info{version=\""),
        "{metrics}"
    );
}
