//! End to end: an rmcp agent talks to the real `warden` binary, which relays
//! to the demo upstream running as its stdio child process.

#![allow(
    deprecated,
    reason = "resource subscriptions are a legacy feature the gateway relays"
)]

mod support;

use std::time::Duration;

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, ClientRequest, GetPromptRequestParams,
    ReadResourceRequestParams, ResourceContents, SubscribeRequestParams,
};
use rmcp::service::PeerRequestOptions;
use serde_json::json;
use support::client::{AgentEvent, next_event, text_of};
use support::{GatewayLaunch, TestAgent, demo_upstream};

const WAIT: Duration = Duration::from_secs(10);

fn demo_gateway() -> support::process::Gateway {
    GatewayLaunch::new(demo_upstream("demo", "")).start()
}

#[tokio::test]
async fn tools_are_listed_under_the_upstream_prefix_with_their_annotations() {
    let gateway = demo_gateway();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;

    let tools = agent.service.list_all_tools().await.expect("tools/list");

    let names: Vec<_> = tools.iter().map(|tool| tool.name.to_string()).collect();
    for expected in [
        "demo.list_tickets",
        "demo.get_ticket",
        "demo.delete_ticket",
        "demo.echo",
    ] {
        assert!(
            names.contains(&expected.to_owned()),
            "{expected} missing from {names:?}"
        );
    }
    let delete = tools.iter().find(|tool| tool.name == "demo.delete_ticket");
    let annotations = delete
        .and_then(|tool| tool.annotations.clone())
        .expect("annotations kept");
    assert_eq!(annotations.destructive_hint, Some(true));
    assert_eq!(annotations.read_only_hint, Some(false));
}

#[tokio::test]
async fn tool_results_arrive_intact() {
    let gateway = demo_gateway();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;

    let echoed = agent
        .call("demo.echo", json!({ "text": "héllo, wörld" }))
        .await;
    assert_eq!(text_of(&echoed), "héllo, wörld");
    assert_ne!(echoed.is_error, Some(true));

    let listed = agent.call("demo.list_tickets", json!({})).await;
    let structured = listed
        .structured_content
        .expect("structuredContent relayed");
    assert!(
        structured["tickets"]
            .as_array()
            .is_some_and(|tickets| tickets.len() >= 4)
    );

    let chart = agent
        .call("demo.render_chart", json!({ "ticket_id": 1 }))
        .await;
    let blocks = serde_json::to_value(&chart.content).expect("content serializes");
    let image = blocks
        .as_array()
        .and_then(|all| all.iter().find(|block| block["type"] == "image"));
    let image = image.expect("image content relayed");
    assert_eq!(image["mimeType"], "image/png");
    assert!(
        image["data"]
            .as_str()
            .is_some_and(|data| data.starts_with("iVBORw0KGgo"))
    );

    let missing = agent.call("demo.get_ticket", json!({ "id": 999 })).await;
    assert_eq!(missing.is_error, Some(true));
    assert!(text_of(&missing).contains("999"), "{}", text_of(&missing));
}

#[tokio::test]
async fn unknown_tool_is_a_json_rpc_invalid_params_error() {
    let gateway = demo_gateway();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;

    let error = agent
        .try_call("demo.no_such_tool", json!({}))
        .await
        .expect_err("refused");

    assert_eq!(error.code.0, -32602);
    assert!(
        error.message.contains("unknown tool `demo.no_such_tool`"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn progress_reaches_the_agent_under_its_own_token() {
    let gateway = demo_gateway();
    let (agent, mut events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;

    let result = agent
        .call("demo.slow_count", json!({ "steps": 3, "delay_ms": 20 }))
        .await;

    assert_eq!(text_of(&result), "Counted to 3.");
    let mut steps = Vec::new();
    while steps.len() < 3 {
        let progress = next_event(&mut events, WAIT, |event| match event {
            AgentEvent::Progress(progress) => Some(progress),
            _ => None,
        })
        .await;
        steps.push(progress.progress);
        assert_eq!(progress.total, Some(3.0));
    }
    assert_eq!(steps, [1.0, 2.0, 3.0]);
}

#[tokio::test]
async fn sampling_elicitation_and_roots_reach_the_calling_agent() {
    let gateway = demo_gateway();
    let (agent, mut events) = TestAgent::connect_with_task(&gateway, "alice", &["demo.*"]).await;

    let summary = agent
        .call("demo.summarize_ticket", json!({ "id": 1 }))
        .await;
    assert!(
        text_of(&summary).contains("summary from alice"),
        "{}",
        text_of(&summary)
    );
    let asked = next_event(&mut events, WAIT, |event| match event {
        AgentEvent::Sampled(asked) => Some(asked),
        _ => None,
    })
    .await;
    assert!(
        asked.contains("VPN"),
        "sampling request carries the ticket: {asked}"
    );

    let confirmed = agent.call("demo.confirm_delete", json!({ "id": 2 })).await;
    assert_ne!(confirmed.is_error, Some(true), "{}", text_of(&confirmed));
    next_event(&mut events, WAIT, |event| {
        matches!(event, AgentEvent::Elicited(_)).then_some(())
    })
    .await;
    let gone = agent.call("demo.get_ticket", json!({ "id": 2 })).await;
    assert_eq!(
        gone.is_error,
        Some(true),
        "ticket deleted after the agent confirmed"
    );

    let roots = agent.call("demo.list_client_roots", json!({})).await;
    assert!(
        text_of(&roots).contains("file:///work/alice"),
        "{}",
        text_of(&roots)
    );
}

#[tokio::test]
async fn log_messages_reach_the_agent_whose_call_produced_them() {
    let gateway = demo_gateway();
    let (agent, mut events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;

    agent
        .call(
            "demo.log_event",
            json!({ "level": "warning", "message": "disk almost full" }),
        )
        .await;

    let log = next_event(&mut events, WAIT, |event| match event {
        AgentEvent::Log(log) => Some(log),
        _ => None,
    })
    .await;
    assert!(
        log.data.to_string().contains("disk almost full"),
        "{:?}",
        log.data
    );
}

#[tokio::test]
async fn an_agent_that_cancels_cancels_the_upstream_call() {
    let gateway = demo_gateway();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;
    let params = CallToolRequestParams::new("demo.hang");
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));

    let handle = agent
        .service
        .peer()
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .expect("request sent");
    gateway.wait_for_log("hang tool called", WAIT).await;
    handle
        .cancel(Some("user pressed stop".into()))
        .await
        .expect("cancel sent");

    gateway.wait_for_log("hang tool cancelled", WAIT).await;
    let echoed = agent
        .call("demo.echo", json!({ "text": "still here" }))
        .await;
    assert_eq!(text_of(&echoed), "still here");
}

#[tokio::test]
async fn prompts_and_resources_are_relayed() {
    let gateway = demo_gateway();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;
    let peer = agent.service.peer();

    let prompts = peer.list_all_prompts().await.expect("prompts/list");
    assert!(
        prompts
            .iter()
            .any(|prompt| prompt.name == "demo.triage_ticket")
    );
    let mut arguments = serde_json::Map::new();
    arguments.insert("id".into(), json!("1"));
    let params = GetPromptRequestParams::new("demo.triage_ticket").with_arguments(arguments);
    let prompt = peer.get_prompt(params).await.expect("prompts/get");
    let text = serde_json::to_string(&prompt.messages).unwrap_or_default();
    assert!(text.contains("VPN drops every hour"), "{text}");

    let resources = peer.list_all_resources().await.expect("resources/list");
    assert!(
        resources
            .iter()
            .any(|resource| resource.uri == "tickets://open")
    );
    let templates = peer.list_all_resource_templates().await.expect("templates");
    assert!(
        templates
            .iter()
            .any(|template| template.uri_template == "tickets://{id}")
    );

    let read = peer
        .read_resource(ReadResourceRequestParams::new("tickets://3"))
        .await
        .expect("resources/read through a template");
    let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else {
        panic!("text contents expected: {:?}", read.contents);
    };
    assert!(text.contains("MFA"), "{text}");
}

#[tokio::test]
async fn resource_subscribers_hear_of_updates() {
    let gateway = demo_gateway();
    let (agent, mut events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;

    agent
        .service
        .peer()
        .subscribe(SubscribeRequestParams::new("tickets://open"))
        .await
        .expect("resources/subscribe");
    let created = json!({ "title": "Laptop fan noise", "body": "Loud fan", "priority": "low" });
    agent.call("demo.create_ticket", created).await;

    let updated = next_event(&mut events, WAIT, |event| match event {
        AgentEvent::ResourceUpdated(update) => Some(update),
        _ => None,
    })
    .await;
    assert_eq!(updated.uri, "tickets://open");
}

#[tokio::test]
async fn upstream_list_changes_reach_agents_and_new_tools_need_a_new_task() {
    let gateway = demo_gateway();
    let (agent, mut events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;
    assert!(
        !agent
            .tool_names()
            .await
            .contains(&"demo.purge_all".to_owned())
    );

    agent.call("demo.toggle_admin_tools", json!({})).await;
    next_event(&mut events, WAIT, |event| {
        matches!(event, AgentEvent::ToolsChanged).then_some(())
    })
    .await;
    let before_grant = agent.tool_names().await;
    gateway.grant("agent", &["demo.purge_all"]).await;
    next_event(&mut events, WAIT, |event| {
        matches!(event, AgentEvent::ToolsChanged).then_some(())
    })
    .await;

    assert!(
        !before_grant.contains(&"demo.purge_all".to_owned()),
        "`demo.*` was granted before purge_all existed: {before_grant:?}"
    );
    assert!(
        agent
            .tool_names()
            .await
            .contains(&"demo.purge_all".to_owned())
    );
}

#[tokio::test]
async fn paged_upstream_listings_are_read_to_the_end() {
    let upstream =
        support::demo_upstream("demo", "").replace("\"--faults\"", "\"--page-size\", \"2\"");
    let gateway = GatewayLaunch::new(upstream).start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;

    let names = agent.tool_names().await;

    assert!(names.len() >= 10, "every page read: {names:?}");
    assert!(names.contains(&"demo.echo".to_owned()));
    assert!(names.contains(&"demo.delete_ticket".to_owned()));
}
