//! Malformed task requests and calls get specific errors, and nothing else.

use serde_json::json;

use crate::gateway;
use crate::support::TestAgent;
use crate::support::client::text_of;

#[tokio::test]
async fn malformed_task_requests_are_refused_with_what_is_wrong() {
    let gateway = gateway();
    let (agent, _events) = TestAgent::connect(&gateway, "sloppy").await;
    let cases = [
        (
            json!({ "goal": "x", "tools": ["demo.no_such_tool"] }),
            "no exported tool matches `demo.no_such_tool`",
        ),
        (
            json!({ "goal": "x", "tools": ["demo.echo"], "ttl": "9h" }),
            "above this gateway's maximum of 8h",
        ),
        (
            json!({ "goal": "x", "tools": ["demo.echo"],
                    "constraints": [{ "kind": "range", "arg": "n" }] }),
            "range has neither min nor max",
        ),
        (json!({ "tools": ["demo.echo"] }), "`goal` is required"),
        (
            json!({ "goal": "x", "tools": ["demo.echo"], "tool": [] }),
            "unknown field `tool`",
        ),
    ];

    for (request, expected) in cases {
        let (refused, answer) = agent.request_task(request.clone()).await;
        assert!(refused, "{request}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(expected), "{request}: {error}");
    }
    let status = agent.call("warden_task_status", json!({})).await;
    let status = status.structured_content.unwrap_or_default();
    assert_eq!(status["tasks"], json!([]), "no task was recorded: {status}");
}

#[tokio::test]
async fn a_call_naming_its_task_wrongly_is_refused() {
    let gateway = gateway();
    let (agent, _events) = TestAgent::connect(&gateway, "namer").await;
    agent
        .request_task(json!({ "goal": "echo", "tools": ["demo.echo"] }))
        .await;

    let unknown = agent
        .call_under("task-0000", "demo.echo", json!({ "text": "x" }))
        .await;

    assert_eq!(unknown.is_error, Some(true));
    assert!(
        text_of(&unknown).contains("no task `task-0000`"),
        "{}",
        text_of(&unknown)
    );
}

#[tokio::test]
async fn several_active_tasks_need_a_name() {
    let gateway = gateway();
    let (agent, _events) = TestAgent::connect(&gateway, "busy").await;
    for goal in ["first", "second"] {
        agent
            .request_task(json!({ "goal": goal, "tools": ["demo.echo"] }))
            .await;
    }

    let ambiguous = agent.call("demo.echo", json!({ "text": "x" })).await;

    assert_eq!(ambiguous.is_error, Some(true));
    assert!(
        text_of(&ambiguous).contains("several active tasks"),
        "{}",
        text_of(&ambiguous)
    );
}
