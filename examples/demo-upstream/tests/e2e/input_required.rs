//! Protocol 2026-07-28 over stdio: no session and no server-to-client requests, so the
//! server's questions come back as `InputRequiredResult` and the client retries.

use rmcp::model::{CallToolResponse, ClientRequest, Request, SubscriptionFilter};
use rmcp::service::PeerRequestOptions;
use serde_json::json;

use crate::support::{
    CLIENT_ROOT, Heard, MODEL_ANSWER, TestClient, call, first_text, stdio_2026, within,
};

#[tokio::test]
async fn new_protocol_tool_calls_work_without_a_session() {
    let client = stdio_2026(&[], TestClient::agreeable()).await;

    let tools = client.list_all_tools().await.expect("tools/list");
    let echo = client
        .call_tool(call("echo", json!({ "text": "hi" })))
        .await
        .expect("call");

    assert!(tools.iter().any(|tool| tool.name == "echo"));
    assert_eq!(first_text(&echo), "hi");
}

#[tokio::test]
async fn new_protocol_sampling_first_answers_input_required() {
    let client = stdio_2026(&[], TestClient::agreeable()).await;

    let first_round = client
        .call_tool_once(call("summarize_ticket", json!({ "id": 1 })))
        .await
        .expect("call");

    let CallToolResponse::InputRequired(input) = first_round else {
        panic!("expected an InputRequiredResult, got {first_round:?}");
    };
    assert_eq!(input.request_state.as_deref(), Some("awaiting-sampling"));
    assert!(
        input
            .input_requests
            .is_some_and(|requests| requests.contains_key("answer"))
    );
}

#[tokio::test]
async fn new_protocol_client_answers_sampling_through_input_required() {
    let client_handler = TestClient::agreeable();
    let client = stdio_2026(&[], client_handler.clone()).await;

    let result = client
        .call_tool(call("summarize_ticket", json!({ "id": 1 })))
        .await
        .expect("call");

    client_handler
        .wait_for(|heard| matches!(heard, Heard::Sampled(_)).then_some(()))
        .await;
    assert_eq!(first_text(&result), MODEL_ANSWER);
}

#[tokio::test]
async fn new_protocol_client_confirms_deletion_through_input_required() {
    let client = stdio_2026(&[], TestClient::agreeable()).await;

    let deleted = client
        .call_tool(call("confirm_delete", json!({ "id": 2 })))
        .await
        .expect("call");
    let gone = client
        .call_tool(call("get_ticket", json!({ "id": 2 })))
        .await
        .expect("call");

    assert!(first_text(&deleted).starts_with("Deleted ticket 2"));
    assert_eq!(gone.is_error, Some(true));
}

#[tokio::test]
async fn new_protocol_client_lists_roots_through_input_required() {
    let client = stdio_2026(&[], TestClient::agreeable()).await;

    let result = client
        .call_tool(call("list_client_roots", json!({})))
        .await
        .expect("call");

    assert_eq!(first_text(&result), format!("- {CLIENT_ROOT} (desk)"));
}

#[tokio::test]
async fn new_protocol_listener_hears_resource_updates_it_subscribed_to() {
    let client = stdio_2026(&[], TestClient::agreeable()).await;
    let filter = SubscriptionFilter::builder()
        .resources_list_changed()
        .resource_subscriptions(["tickets://open".to_owned()])
        .build();

    let mut subscription = client.listen(filter).await.expect("subscriptions/listen");
    let ticket = json!({ "title": "Badge reader broken", "body": "Door 4" });
    client
        .call_tool(call("create_ticket", ticket))
        .await
        .expect("call");
    let first = within(subscription.next()).await.expect("a notification");
    let second = within(subscription.next()).await.expect("a notification");

    let methods: Vec<String> = [first, second]
        .into_iter()
        .flatten()
        .map(|notification| {
            let value = serde_json::to_value(notification).expect("serialisable");
            value["method"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(
        methods,
        [
            "notifications/resources/list_changed",
            "notifications/resources/updated"
        ]
    );
}

#[tokio::test]
async fn new_protocol_calls_still_relay_progress_and_logs() {
    let client_handler = TestClient::agreeable();
    let client = stdio_2026(&[], client_handler.clone()).await;

    let params = call("slow_count", json!({ "steps": 2, "delay_ms": 5 }));
    let handle = client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(params)),
            PeerRequestOptions::no_options(),
        )
        .await
        .expect("request sent");
    handle.await_response().await.expect("slow_count finishes");
    let logged = json!({ "level": "error", "message": "backup failed" });
    client
        .call_tool(call("log_event", logged))
        .await
        .expect("call");

    let log = client_handler
        .wait_for(|heard| match heard {
            Heard::Log(log) => Some(log.data.clone()),
            _ => None,
        })
        .await;
    let progress = client_handler
        .drain(|heard| match heard {
            Heard::Progress(progress) => Some(progress.progress),
            _ => None,
        })
        .await;
    assert_eq!(log, json!("backup failed"));
    assert_eq!(progress, vec![1.0, 2.0]);
}
