//! The tool listing follows the agent's tasks, and says so with
//! `notifications/tools/list_changed`.

use serde_json::json;

use crate::support::TestAgent;
use crate::support::client::{AgentEvent, next_event};
use crate::{WAIT, gateway, task_id};

#[tokio::test]
async fn granted_tools_appear_and_disappear_with_list_changed() {
    let gateway = gateway();
    let (agent, mut events) = TestAgent::connect(&gateway, "lister").await;
    let changed = |event| matches!(event, AgentEvent::ToolsChanged).then_some(());
    let before = agent.tool_names().await;

    let (_, granted) = agent
        .request_task(json!({ "goal": "look", "tools": ["demo.get_ticket", "demo.echo"] }))
        .await;
    next_event(&mut events, WAIT, changed).await;
    let during = agent.tool_names().await;
    agent
        .call("warden_end_task", json!({ "task": task_id(&granted) }))
        .await;
    next_event(&mut events, WAIT, changed).await;
    let after = agent.tool_names().await;

    let upstream = |names: &[String]| -> Vec<String> {
        let mut names: Vec<String> = names
            .iter()
            .filter(|name| !name.starts_with("warden_"))
            .cloned()
            .collect();
        names.sort();
        names
    };
    assert_eq!(upstream(&before), Vec::<String>::new());
    assert_eq!(upstream(&during), ["demo.echo", "demo.get_ticket"]);
    assert_eq!(upstream(&after), Vec::<String>::new());
    assert_eq!(before.len(), 3, "Warden's own tools stay: {before:?}");
}

#[tokio::test]
async fn a_task_created_for_the_identity_shows_up_in_its_open_session() {
    let gateway = gateway();
    let (agent, mut events) = TestAgent::connect(&gateway, "pipelined").await;

    gateway.grant("pipelined", &["demo.list_tickets"]).await;
    next_event(&mut events, WAIT, |event| {
        matches!(event, AgentEvent::ToolsChanged).then_some(())
    })
    .await;

    assert!(
        agent
            .tool_names()
            .await
            .contains(&"demo.list_tickets".to_owned())
    );
}
