//! The gateway in front of third-party reference servers from npm, each run
//! as a stdio child: `@modelcontextprotocol/server-everything` and
//! `@modelcontextprotocol/server-filesystem`, pinned in `tests/node`.

mod support;

use std::time::Duration;

use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams};
use serde_json::json;
use support::client::{AgentEvent, next_event, text_of};
use support::{GatewayLaunch, TestAgent, node_bin};

fn upstream(name: &str, command: &[&str]) -> String {
    let command: Vec<String> = command.iter().map(|part| format!("{part:?}")).collect();
    format!(
        "[[upstream]]\nname = \"{name}\"\ncommand = [{}]\n",
        command.join(", ")
    )
}

#[tokio::test]
async fn everything_server_tools_prompts_and_resources_are_relayed() {
    let everything = node_bin("mcp-server-everything");
    let gateway = GatewayLaunch::new(upstream(
        "everything",
        &[everything.to_str().unwrap_or_default(), "stdio"],
    ))
    .start();
    let (agent, mut events) =
        TestAgent::connect_with_task(&gateway, "agent", &["everything.*"]).await;
    let peer = agent.service.peer();

    let names = agent.tool_names().await;
    assert!(names.contains(&"everything.echo".to_owned()), "{names:?}");

    let echoed = agent
        .call("everything.echo", json!({ "message": "through warden" }))
        .await;
    assert!(
        text_of(&echoed).contains("through warden"),
        "{}",
        text_of(&echoed)
    );

    let long = json!({ "duration": 1, "steps": 2 });
    agent
        .call("everything.trigger-long-running-operation", long)
        .await;
    next_event(&mut events, Duration::from_secs(10), |event| match event {
        AgentEvent::Progress(progress) => Some(progress),
        _ => None,
    })
    .await;

    let prompts = peer.list_all_prompts().await.expect("prompts/list");
    let simple = prompts
        .iter()
        .find(|prompt| prompt.arguments.as_ref().is_none_or(Vec::is_empty))
        .expect("a prompt without arguments");
    let prompt = peer
        .get_prompt(GetPromptRequestParams::new(simple.name.clone()))
        .await;
    assert!(!prompt.expect("prompts/get").messages.is_empty());

    let resources = peer.list_all_resources().await.expect("resources/list");
    let first = resources
        .first()
        .expect("the everything server lists resources");
    let read = peer
        .read_resource(ReadResourceRequestParams::new(first.uri.clone()))
        .await
        .expect("resources/read");
    assert!(!read.contents.is_empty());
}

#[tokio::test]
async fn filesystem_server_reads_only_its_configured_directory() {
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(data.path().join("note.txt"), "hello from the filesystem").expect("write");
    let filesystem = node_bin("mcp-server-filesystem");
    let root = data.path().to_str().unwrap_or_default().to_owned();
    let gateway = GatewayLaunch::new(upstream(
        "fs",
        &[filesystem.to_str().unwrap_or_default(), &root],
    ))
    .start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["fs.*"]).await;

    let path = data.path().join("note.txt");
    let read = agent
        .call("fs.read_text_file", json!({ "path": path }))
        .await;
    assert!(
        text_of(&read).contains("hello from the filesystem"),
        "{}",
        text_of(&read)
    );

    let outside = agent
        .call("fs.read_text_file", json!({ "path": "/etc/hostname" }))
        .await;
    assert_eq!(outside.is_error, Some(true), "{}", text_of(&outside));
}

#[tokio::test]
async fn configured_roots_confine_the_filesystem_server_whatever_the_agent_says() {
    let started_with = tempfile::tempdir().expect("temp dir");
    let confined_to = tempfile::tempdir().expect("temp dir");
    std::fs::write(started_with.path().join("a.txt"), "outside the roots").expect("write");
    std::fs::write(confined_to.path().join("b.txt"), "inside the roots").expect("write");
    let filesystem = node_bin("mcp-server-filesystem");
    let mut table = upstream(
        "fs",
        &[
            filesystem.to_str().unwrap_or_default(),
            started_with.path().to_str().unwrap_or_default(),
        ],
    );
    table.push_str(&format!(
        "roots = [\"file://{}\"]\n",
        confined_to.path().display()
    ));
    let gateway = GatewayLaunch::new(table).start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["fs.*"]).await;

    let inside = json!({ "path": confined_to.path().join("b.txt") });
    let outside = json!({ "path": started_with.path().join("a.txt") });
    let read = agent.call("fs.read_text_file", inside).await;
    let refused = agent.call("fs.read_text_file", outside).await;

    assert!(
        text_of(&read).contains("inside the roots"),
        "{}",
        text_of(&read)
    );
    assert_eq!(refused.is_error, Some(true), "{}", text_of(&refused));
}
