//! The desk over Streamable HTTP, as the gateway reaches registered `url` upstreams.

use rmcp::model::{ClientRequest, Request};
use rmcp::service::PeerRequestOptions;
use serde_json::json;

use crate::support::{Heard, HttpUpstream, MODEL_ANSWER, TestClient, call, first_text};

#[tokio::test]
async fn http_mode_prints_its_real_address_and_serves_mcp_there() {
    let upstream = HttpUpstream::start(&[]).await;
    let client = upstream.connect(TestClient::agreeable()).await;

    let tools = client.list_all_tools().await.expect("tools/list");
    let echo = client
        .call_tool(call("echo", json!({ "text": "over http" })))
        .await;

    assert!(upstream.url.starts_with("http://127.0.0.1:"));
    assert!(upstream.url.ends_with("/mcp"));
    assert!(!upstream.url.contains(":0/"));
    assert!(tools.iter().any(|tool| tool.name == "list_tickets"));
    assert_eq!(first_text(&echo.expect("call")), "over http");
}

#[tokio::test]
async fn http_sessions_share_one_desk() {
    let upstream = HttpUpstream::start(&[]).await;
    let writer = upstream.connect(TestClient::agreeable()).await;
    let reader = upstream.connect(TestClient::agreeable()).await;

    let ticket = json!({ "title": "Projector flickers", "body": "Room 2" });
    writer
        .call_tool(call("create_ticket", ticket))
        .await
        .expect("call");
    let read = reader
        .call_tool(call("get_ticket", json!({ "id": 6 })))
        .await
        .expect("call");

    assert!(first_text(&read).contains("Projector flickers"));
}

#[tokio::test]
async fn http_session_relays_progress_and_sampling() {
    let upstream = HttpUpstream::start(&[]).await;
    let client_handler = TestClient::agreeable();
    let client = upstream.connect(client_handler.clone()).await;

    let params = call("slow_count", json!({ "steps": 2, "delay_ms": 5 }));
    let handle = client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(params)),
            PeerRequestOptions::no_options(),
        )
        .await
        .expect("request sent");
    handle.await_response().await.expect("slow_count finishes");
    let summary = client
        .call_tool(call("summarize_ticket", json!({ "id": 4 })))
        .await;

    let progress = client_handler
        .drain(|heard| match heard {
            Heard::Progress(progress) => Some(progress.progress),
            _ => None,
        })
        .await;
    assert_eq!(progress, vec![1.0, 2.0]);
    assert_eq!(first_text(&summary.expect("call")), MODEL_ANSWER);
}

#[tokio::test]
async fn http_new_protocol_client_answers_input_required() {
    let upstream = HttpUpstream::start(&[]).await;
    let client = upstream.connect_2026(TestClient::agreeable()).await;

    let summary = client
        .call_tool(call("summarize_ticket", json!({ "id": 1 })))
        .await;
    let unknown = client
        .call_tool(call("get_ticket", json!({ "id": 77 })))
        .await;

    assert_eq!(first_text(&summary.expect("call")), MODEL_ANSWER);
    assert_eq!(unknown.expect("call").is_error, Some(true));
}

#[tokio::test]
async fn http_sessions_hear_tool_list_changes_made_by_another_session() {
    let upstream = HttpUpstream::start(&["--faults"]).await;
    let listener_handler = TestClient::agreeable();
    let listener = upstream.connect(listener_handler.clone()).await;
    let toggler = upstream.connect(TestClient::agreeable()).await;

    toggler
        .call_tool(call("toggle_admin_tools", json!({})))
        .await
        .expect("call");
    listener_handler
        .wait_for(|heard| matches!(heard, Heard::ToolsChanged).then_some(()))
        .await;
    let tools = listener.list_all_tools().await.expect("tools/list");

    assert!(tools.iter().any(|tool| tool.name == "purge_all"));
}
