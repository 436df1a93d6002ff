//! Every way a task ends refuses the next call: the agent ends it, its TTL
//! passes, its budget runs out, its session closes, an approver revokes it;
//! and a restart, even after `kill -9`, keeps what ended ended.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::TestAgent;
use crate::support::client::text_of;
use crate::support::process::agent_id;
use crate::support::tasks::{APPROVER, PLATFORM};
use crate::{WAIT, gateway, task_id};

async fn echo_task(agent: &TestAgent, extra: Value) -> String {
    let mut request = json!({ "goal": "echo things", "tools": ["demo.echo"] });
    if let (Some(fields), Value::Object(extra)) = (request.as_object_mut(), extra) {
        fields.extend(extra);
    }
    let (refused, granted) = agent.request_task(request).await;
    assert!(!refused, "{granted}");
    assert_eq!(granted["status"], "active", "{granted}");
    task_id(&granted)
}

fn refusal_of(result: &rmcp::model::CallToolResult) -> String {
    assert_eq!(result.is_error, Some(true), "refused: {}", text_of(result));
    text_of(result)
}

#[tokio::test]
async fn a_task_the_agent_ended_refuses_the_next_call() {
    let gateway = gateway();
    let (agent, _events) = TestAgent::connect(&gateway, "finisher").await;
    let task = echo_task(&agent, json!({})).await;
    agent.call("demo.echo", json!({ "text": "work" })).await;

    let ended = agent
        .call("warden_end_task", json!({ "outcome": "all echoed" }))
        .await;
    let after = agent.call("demo.echo", json!({ "text": "more" })).await;

    let ended = ended.structured_content.unwrap_or_default();
    assert_eq!(ended["status"], "completed", "{ended}");
    assert_eq!(ended["reason"], "all echoed");
    let refusal = refusal_of(&after);
    assert!(
        refusal.contains(&format!("task `{task}` is completed")),
        "{refusal}"
    );
}

#[tokio::test]
async fn a_task_whose_ttl_passed_refuses_the_next_call() {
    let gateway = gateway();
    let (agent, _events) = TestAgent::connect(&gateway, "brief").await;
    let task = echo_task(&agent, json!({ "ttl": "2s" })).await;
    assert_eq!(
        text_of(&agent.call("demo.echo", json!({ "text": "in time" })).await),
        "in time"
    );

    let refusal = wait_for_refusal(&agent, "demo.echo").await;

    assert!(
        refusal.contains(&format!("task `{task}` is expired")),
        "{refusal}"
    );
    assert!(refusal.contains("ttl of 2s passed"), "{refusal}");
}

#[tokio::test]
async fn the_call_that_spends_the_budget_is_the_last() {
    let gateway = gateway();
    let (agent, _events) = TestAgent::connect(&gateway, "frugal").await;
    echo_task(&agent, json!({ "budget": 2 })).await;

    let first = agent.call("demo.echo", json!({ "text": "1" })).await;
    let second = agent.call("demo.echo", json!({ "text": "2" })).await;
    let third = agent.call("demo.echo", json!({ "text": "3" })).await;

    assert_eq!(text_of(&first), "1");
    assert_eq!(text_of(&second), "2");
    let refusal = refusal_of(&third);
    assert!(
        refusal.contains("call budget of 2 calls is spent"),
        "{refusal}"
    );
}

#[tokio::test]
async fn a_revoked_task_refuses_the_next_call() {
    let gateway = gateway();
    let (agent, _events) = TestAgent::connect(&gateway, "suspect").await;
    let task = echo_task(&agent, json!({})).await;
    agent.call("demo.echo", json!({ "text": "before" })).await;

    let body = json!({ "reason": "incident 42" });
    let revoked = gateway
        .admin(APPROVER, &format!("/v1/tasks/{task}/revoke"), Some(body))
        .await;
    let after = agent.call("demo.echo", json!({ "text": "after" })).await;

    assert_eq!(revoked.status, 200, "{:?}", revoked.body);
    assert_eq!(revoked.body["status"], "revoked");
    let refusal = refusal_of(&after);
    assert!(refusal.contains("is revoked (incident 42)"), "{refusal}");
}

#[tokio::test]
async fn closing_the_session_revokes_its_task() {
    let gateway = gateway();
    let (agent, _events) = TestAgent::connect(&gateway, "leaver").await;
    let task = echo_task(&agent, json!({})).await;

    agent.service.cancel().await.expect("session closed");
    let path = format!("/v1/tasks/{task}");
    let deadline = tokio::time::Instant::now() + WAIT;
    let shown = loop {
        let shown = gateway.admin(APPROVER, &path, None).await;
        if shown.body["status"] != "active" || tokio::time::Instant::now() > deadline {
            break shown;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    assert_eq!(shown.body["status"], "revoked", "{:?}", shown.body);
    assert_eq!(shown.body["reason"], "its MCP session closed");
}

#[tokio::test]
async fn a_restart_after_kill_keeps_revocations_and_grants() {
    let mut gateway = gateway();
    let revoked = gateway.grant("survivor", &["demo.echo"]).await;
    gateway
        .admin(
            APPROVER,
            &format!("/v1/tasks/{revoked}/revoke"),
            Some(json!({})),
        )
        .await;
    let kept = gateway.grant("survivor", &["demo.echo"]).await;

    gateway.kill_and_restart();
    let (agent, _events) = TestAgent::connect(&gateway, "survivor").await;
    let under_revoked = agent
        .call_under(&revoked, "demo.echo", json!({ "text": "old" }))
        .await;
    let under_kept = agent
        .call_under(&kept, "demo.echo", json!({ "text": "kept" }))
        .await;

    let refusal = refusal_of(&under_revoked);
    assert!(
        refusal.contains(&format!("task `{revoked}` is revoked")),
        "{refusal}"
    );
    assert_eq!(
        text_of(&under_kept),
        "kept",
        "a pipeline task survives a restart"
    );
}

#[tokio::test]
async fn a_task_whose_ttl_passed_while_the_gateway_was_down_is_expired_on_start() {
    let mut gateway = gateway();
    let body = json!({
        "identity": agent_id("sleeper"),
        "goal": "echo once",
        "tools": ["demo.echo"],
        "ttl": "3s",
    });
    let created = gateway.admin(PLATFORM, "/v1/tasks", Some(body)).await;
    let task = task_id(&created.body);

    gateway.terminate();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    gateway.kill_and_restart();
    let shown = gateway
        .admin(APPROVER, &format!("/v1/tasks/{task}"), None)
        .await;

    assert_eq!(shown.body["status"], "expired", "{:?}", shown.body);
    let log = gateway.log();
    let starts: Vec<usize> = log
        .match_indices("tasks loaded")
        .map(|(at, _)| at)
        .collect();
    let ended = log
        .match_indices("task ended")
        .map(|(at, _)| at)
        .find(|at| {
            log[*at..]
                .lines()
                .next()
                .is_some_and(|line| line.contains(&task))
        });
    assert_eq!(starts.len(), 2, "two starts: {log}");
    assert!(
        ended.is_some_and(|at| starts[0] < at && at < starts[1]),
        "the second start expired the task, not the first run: {log}"
    );
}

/// Calls `tool` until the gateway refuses it, for endings that come with time.
async fn wait_for_refusal(agent: &TestAgent, tool: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let result = agent.call(tool, json!({ "text": "again" })).await;
        if result.is_error == Some(true) {
            return text_of(&result);
        }
        assert!(tokio::time::Instant::now() < deadline, "never refused");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
