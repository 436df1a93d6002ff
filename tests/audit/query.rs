//! Reading the log: `/v1/audit` for auditors, and `warden audit show`.

use serde_json::json;

use crate::support::process::agent_id;
use crate::support::tasks::AUDITOR;
use crate::support::{GatewayLaunch, TestAgent, demo_upstream};
use crate::{config_of, stdout, warden_audit};

#[tokio::test]
async fn a_tasks_story_is_told_by_the_api_and_by_show() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let (agent, _events) = TestAgent::connect(&gateway, "storied").await;
    let (_, granted) = agent
        .request_task(json!({ "goal": "echo once", "tools": ["demo.echo"] }))
        .await;
    let task = granted["task"].as_str().unwrap_or_default().to_owned();
    agent.call("demo.echo", json!({ "text": "hello" })).await;
    agent.call("demo.get_ticket", json!({ "id": 1 })).await;
    agent.call("warden_end_task", json!({})).await;

    let path = format!("/v1/audit?task={task}");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let answer = loop {
        let answer = gateway.admin(AUDITOR, &path, None).await;
        let count = answer.body["records"].as_array().map_or(0, Vec::len);
        if count >= 5 || tokio::time::Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let by_agent = gateway.admin(&agent_id("storied"), "/v1/audit", None).await;
    let shown = warden_audit(&["show", "--config", &config_of(&gateway), "--task", &task]);

    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let kinds: Vec<&str> = answer.body["records"]
        .as_array()
        .map(|records| records.iter().filter_map(|r| r["kind"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        kinds,
        [
            "task.grant",
            "tool.call",
            "tool.result",
            "tool.deny",
            "task.end"
        ],
        "{:?}",
        answer.body
    );
    assert_eq!(by_agent.status, 403);
    let timeline = stdout(&shown);
    assert!(timeline.contains("tool.deny"), "{timeline}");
    assert!(timeline.contains("not granted to task"), "{timeline}");
}

#[tokio::test]
async fn redacted_arguments_never_reach_the_log_in_requests_or_facts() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", ""))
        .tables("[audit]\nredact = [\"text\"]\n")
        .start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "secretive", &["demo.*"]).await;

    let echoed = agent
        .call("demo.echo", json!({ "text": "hunter2-secret" }))
        .await;
    let again = agent
        .call("demo.echo", json!({ "text": "hunter2-secret" }))
        .await;

    assert_eq!(crate::support::client::text_of(&echoed), "hunter2-secret");
    assert_eq!(crate::support::client::text_of(&again), "hunter2-secret");
    let log = std::fs::read_to_string(crate::log_of(&gateway)).expect("read the log");
    assert!(
        !log.contains("hunter2"),
        "the value never reaches the log:\n{log}"
    );
    let calls: Vec<serde_json::Value> = crate::records(&crate::log_of(&gateway))
        .into_iter()
        .filter(|record| record["kind"] == "tool.call")
        .collect();
    assert_eq!(calls.len(), 2);
    let digest = calls[0]["request"]["arguments"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(digest.starts_with("hmac-sha256:"), "{digest}");
    assert_eq!(
        calls[1]["request"]["arguments"]["text"], digest,
        "equal values, equal digests"
    );
    let facts = calls[0]["decision"]["facts"].to_string();
    assert!(
        facts.contains("arg(\\\"text\\\", \\\"hmac-sha256:"),
        "{facts}"
    );
}

#[tokio::test]
async fn prompts_and_resource_reads_are_recorded_with_their_decisions() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let (agent, _events) = TestAgent::connect(&gateway, "reader").await;
    let peer = agent.service.peer();

    let mut params = rmcp::model::GetPromptRequestParams::new("demo.triage_ticket");
    params.arguments = json!({ "id": "1" }).as_object().cloned();
    peer.get_prompt(params).await.expect("prompts/get");
    peer.read_resource(rmcp::model::ReadResourceRequestParams::new("tickets://1"))
        .await
        .expect("resources/read");

    let records = crate::records(&crate::log_of(&gateway));
    let of_kind = |kind: &str| {
        records
            .iter()
            .find(|record| record["kind"] == kind)
            .cloned()
    };
    let prompt = of_kind("prompt.get").expect("a prompt.get record");
    let read = of_kind("resource.read").expect("a resource.read record");
    assert_eq!(prompt["request"]["name"], "demo.triage_ticket");
    assert_eq!(prompt["decision"]["effect"], "allow");
    assert_eq!(read["request"]["arguments"]["uri"], "tickets://1");
    assert_eq!(read["identity"], agent_id("reader"));
}

#[tokio::test]
async fn a_log_that_cannot_be_written_refuses_calls_and_turns_health_degraded() {
    // /dev/full is the kernel's full disk: every write to it fails with
    // ENOSPC, which no ordinary file can be made to do on demand.
    let gateway = GatewayLaunch::new(demo_upstream("demo", ""))
        .prepare_data(|data| {
            let audit = data.join("audit");
            std::fs::create_dir_all(&audit).expect("audit dir");
            std::os::unix::fs::symlink("/dev/full", audit.join("audit.jsonl")).expect("symlink");
        })
        .start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "unlogged", &["demo.*"]).await;

    let refused = agent
        .call("demo.echo", json!({ "text": "unrecorded" }))
        .await;
    let health = gateway.health().await;

    assert_eq!(refused.is_error, Some(true));
    let message = crate::support::client::text_of(&refused);
    assert!(
        message.contains("the audit log cannot be written"),
        "{message}"
    );
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["audit"]["healthy"], false, "{health}");
}
