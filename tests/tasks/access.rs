//! Nothing is reachable without a task, and a task serves only its own
//! identity (and session), and only within its constraints.

use serde_json::json;

use crate::support::TestAgent;
use crate::support::client::text_of;
use crate::{WAIT, gateway, task_id, upstream_calls};

const WARDEN_TOOLS: [&str; 3] = [
    "warden_request_task",
    "warden_task_status",
    "warden_end_task",
];

#[tokio::test]
async fn before_a_grant_an_agent_sees_only_wardens_tools_and_reaches_nothing() {
    let gateway = gateway();
    let (agent, _events) = TestAgent::connect(&gateway, "eager").await;

    let names = agent.tool_names().await;
    let refused = agent.call("demo.echo", json!({ "text": "hello" })).await;

    assert_eq!(names, WARDEN_TOOLS, "only Warden's own tools before a task");
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text_of(&refused).contains("no active task: call `warden_request_task`"),
        "{}",
        text_of(&refused)
    );
    agent
        .request_task(json!({ "goal": "say hello", "tools": ["demo.echo"] }))
        .await;
    let allowed = agent.call("demo.echo", json!({ "text": "hello" })).await;
    assert_eq!(text_of(&allowed), "hello");
    gateway.wait_for_log("tool.name=echo", WAIT).await;
    assert_eq!(
        upstream_calls(&gateway, "echo"),
        1,
        "only the granted call went upstream"
    );
}

#[tokio::test]
async fn a_task_of_one_identity_is_useless_to_another() {
    let gateway = gateway();
    let (alice, _alice_events) = TestAgent::connect(&gateway, "alice").await;
    let (mallory, _mallory_events) = TestAgent::connect(&gateway, "mallory").await;
    let (_, granted) = alice
        .request_task(json!({ "goal": "echo things", "tools": ["demo.echo"] }))
        .await;
    let task = task_id(&granted);

    let by_id = mallory
        .call_under(&task, "demo.echo", json!({ "text": "stolen" }))
        .await;
    let without_id = mallory.call("demo.echo", json!({ "text": "stolen" })).await;
    let status = mallory
        .call("warden_task_status", json!({ "task": task }))
        .await;
    let own = alice.call("demo.echo", json!({ "text": "mine" })).await;

    assert_eq!(by_id.is_error, Some(true));
    assert!(
        text_of(&by_id).contains(&format!("no task `{task}` for this identity")),
        "{}",
        text_of(&by_id)
    );
    assert!(
        text_of(&without_id).contains("no active task"),
        "{}",
        text_of(&without_id)
    );
    assert_eq!(
        status.is_error,
        Some(true),
        "another's task is not even shown"
    );
    assert_eq!(text_of(&own), "mine");
    gateway.wait_for_log("tool.name=echo", WAIT).await;
    assert_eq!(
        upstream_calls(&gateway, "echo"),
        1,
        "only alice's call went upstream"
    );
}

#[tokio::test]
async fn a_task_requested_in_one_session_does_not_serve_another_session() {
    let gateway = gateway();
    let (first, _first_events) = TestAgent::connect(&gateway, "twin").await;
    let (second, _second_events) = TestAgent::connect(&gateway, "twin").await;
    let (_, granted) = first
        .request_task(json!({ "goal": "echo", "tools": ["demo.echo"] }))
        .await;

    let refused = second
        .call_under(&task_id(&granted), "demo.echo", json!({ "text": "x" }))
        .await;

    assert_eq!(refused.is_error, Some(true));
    assert!(
        text_of(&refused).contains("belongs to another session"),
        "{}",
        text_of(&refused)
    );
}

#[tokio::test]
async fn constraints_bind_every_call_of_the_task() {
    let gateway = gateway();
    let (agent, _events) = TestAgent::connect(&gateway, "searcher").await;
    let (refused, granted) = agent
        .request_task(json!({
            "goal": "search the VPN docs",
            "tools": ["demo.search_docs"],
            "constraints": [{ "kind": "prefix", "arg": "query", "prefix": "vpn" }],
        }))
        .await;
    assert!(!refused, "{granted}");

    let inside = agent
        .call("demo.search_docs", json!({ "query": "vpn disconnect" }))
        .await;
    let outside = agent
        .call("demo.search_docs", json!({ "query": "payroll" }))
        .await;

    assert_ne!(inside.is_error, Some(true), "{}", text_of(&inside));
    assert_eq!(outside.is_error, Some(true));
    assert!(
        text_of(&outside).contains("`query` must start with \"vpn\""),
        "{}",
        text_of(&outside)
    );
    gateway.wait_for_log("tool.name=search_docs", WAIT).await;
    assert_eq!(
        upstream_calls(&gateway, "search_docs"),
        1,
        "the refused call never left"
    );
}
