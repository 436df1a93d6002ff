//! The desk over stdio on the 2025 session protocol: what the quick start uses.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rmcp::model::{
    CallToolResponse, ClientRequest, GetPromptRequestParams, PaginatedRequestParams,
    ReadResourceRequestParams, Request, SubscribeRequestParams,
};
use rmcp::service::PeerRequestOptions;
use serde_json::json;

use crate::support::{CLIENT_ROOT, Heard, MODEL_ANSWER, TestClient, call, first_text, stdio};

const DESK_TOOLS: [&str; 14] = [
    "close_ticket",
    "confirm_delete",
    "create_ticket",
    "delete_ticket",
    "echo",
    "get_ticket",
    "list_client_roots",
    "list_tickets",
    "log_event",
    "render_chart",
    "search_docs",
    "slow_count",
    "summarize_ticket",
    "ticket_link",
];

#[tokio::test]
async fn tools_are_listed_with_every_annotation_and_no_fault_tools() {
    let client = stdio(&[], TestClient::agreeable()).await;

    let tools = client.list_all_tools().await.expect("tools/list");

    let names: BTreeSet<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert_eq!(names, BTreeSet::from(DESK_TOOLS));
    for tool in &tools {
        let hints = tool.annotations.as_ref().expect("every tool is annotated");
        assert!(hints.title.is_some(), "{} has no title", tool.name);
        assert!(
            hints.read_only_hint.is_some(),
            "{} has no read-only hint",
            tool.name
        );
        assert!(
            hints.destructive_hint.is_some(),
            "{} has no destructive hint",
            tool.name
        );
        assert!(
            hints.idempotent_hint.is_some(),
            "{} has no idempotent hint",
            tool.name
        );
        assert!(
            hints.open_world_hint.is_some(),
            "{} has no open-world hint",
            tool.name
        );
    }
}

#[tokio::test]
async fn annotations_tell_reads_from_writes_and_destructive_writes() {
    let client = stdio(&[], TestClient::agreeable()).await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let hints = |name: &str| {
        let tool = tools
            .iter()
            .find(|tool| tool.name == name)
            .expect("tool is listed");
        let hints = tool.annotations.clone().expect("tool is annotated");
        (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
        )
    };

    assert_eq!(hints("echo"), (Some(true), Some(false), Some(true)));
    assert_eq!(
        hints("create_ticket"),
        (Some(false), Some(false), Some(false))
    );
    assert_eq!(hints("close_ticket"), (Some(false), Some(true), Some(true)));
    assert_eq!(
        hints("delete_ticket"),
        (Some(false), Some(true), Some(true))
    );
}

#[tokio::test]
async fn echo_returns_the_text_unchanged() {
    let client = stdio(&[], TestClient::agreeable()).await;
    let text = "  spaced, ünïcode and\nnewlines  ";

    let result = client
        .call_tool(call("echo", json!({ "text": text })))
        .await
        .expect("call");

    assert_eq!(result.is_error, Some(false));
    assert_eq!(first_text(&result), text);
}

#[tokio::test]
async fn unknown_ticket_is_a_tool_error_that_names_the_fix() {
    let client = stdio(&[], TestClient::agreeable()).await;

    let result = client
        .call_tool(call("get_ticket", json!({ "id": 999 })))
        .await
        .expect("call");

    assert_eq!(result.is_error, Some(true));
    assert_eq!(
        first_text(&result),
        "ticket 999 does not exist; call list_tickets to see the ticket ids"
    );
}

#[tokio::test]
async fn list_tickets_returns_structured_content_described_by_its_output_schema() {
    let client = stdio(&[], TestClient::agreeable()).await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let list_tickets = tools
        .iter()
        .find(|t| t.name == "list_tickets")
        .expect("listed");

    let all = client
        .call_tool(call("list_tickets", json!({})))
        .await
        .expect("call");
    let open = client
        .call_tool(call("list_tickets", json!({ "status": "open" })))
        .await
        .expect("call");

    assert!(list_tickets.output_schema.is_some());
    let text = first_text(&all);
    let structured = all
        .structured_content
        .expect("structuredContent is present");
    assert_eq!(structured["tickets"].as_array().map(Vec::len), Some(5));
    assert_eq!(structured["tickets"][0]["title"], "VPN drops every hour");
    assert!(text.contains("VPN drops every hour"));
    let open = open
        .structured_content
        .expect("structuredContent is present");
    assert_eq!(open["tickets"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn written_tickets_are_read_back_and_refused_when_closed_twice() {
    let client = stdio(&[], TestClient::agreeable()).await;
    let ticket = json!({ "title": "Wi-Fi slow", "body": "Meeting rooms", "priority": "high" });

    let created = client
        .call_tool(call("create_ticket", ticket))
        .await
        .expect("call");
    let closing = json!({ "id": 6, "resolution": "Moved the access point" });
    let first_close = client
        .call_tool(call("close_ticket", closing.clone()))
        .await
        .expect("call");
    let second_close = client
        .call_tool(call("close_ticket", closing))
        .await
        .expect("call");
    let read = client
        .call_tool(call("get_ticket", json!({ "id": 6 })))
        .await
        .expect("call");

    assert!(first_text(&created).starts_with("Created ticket 6."));
    assert_eq!(first_close.is_error, Some(false));
    assert_eq!(second_close.is_error, Some(true));
    assert!(first_text(&read).contains("Resolution: Moved the access point"));
}

#[tokio::test]
async fn search_docs_finds_the_matching_article() {
    let client = stdio(&[], TestClient::agreeable()).await;

    let result = client
        .call_tool(call("search_docs", json!({ "query": "payroll timeout" })))
        .await
        .expect("call");

    assert!(first_text(&result).starts_with("- Payroll export times out"));
}

#[tokio::test]
async fn render_chart_returns_a_png_image() {
    let client = stdio(&[], TestClient::agreeable()).await;

    let result = client
        .call_tool(call("render_chart", json!({ "ticket_id": 1 })))
        .await
        .expect("call");

    let image = result
        .content
        .iter()
        .find_map(|block| block.as_image())
        .expect("an image block");
    assert_eq!(image.mime_type, "image/png");
    let bytes = STANDARD.decode(&image.data).expect("valid base64");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

#[tokio::test]
async fn ticket_link_returns_a_resource_link_and_the_embedded_ticket() {
    let client = stdio(&[], TestClient::agreeable()).await;

    let result = client
        .call_tool(call("ticket_link", json!({ "id": 2 })))
        .await
        .expect("call");

    let link = result
        .content
        .iter()
        .find_map(|b| b.as_resource_link())
        .expect("a link");
    let embedded = result
        .content
        .iter()
        .find_map(|b| b.as_resource())
        .expect("a resource");
    assert_eq!(link.uri, "tickets://2");
    assert!(embedded.get_text().contains("Printer on floor 3"));
}

#[tokio::test]
async fn slow_count_reports_progress_for_every_step() {
    let client_handler = TestClient::agreeable();
    let client = stdio(&[], client_handler.clone()).await;
    let params = call("slow_count", json!({ "steps": 3, "delay_ms": 5 }));

    let handle = client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(params)),
            PeerRequestOptions::no_options(),
        )
        .await
        .expect("request sent");
    let token = handle.progress_token.clone();
    handle.await_response().await.expect("slow_count finishes");

    let steps = client_handler
        .drain(|heard| match heard {
            Heard::Progress(progress) if progress.progress_token == token => {
                Some((progress.progress, progress.total))
            }
            _ => None,
        })
        .await;
    assert_eq!(
        steps,
        vec![(1.0, Some(3.0)), (2.0, Some(3.0)), (3.0, Some(3.0))]
    );
}

#[tokio::test]
async fn cancelled_slow_count_stops_reporting_progress() {
    let client_handler = TestClient::agreeable();
    let client = stdio(&[], client_handler.clone()).await;
    let params = call("slow_count", json!({ "steps": 200, "delay_ms": 20 }));

    let handle = client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(params)),
            PeerRequestOptions::no_options(),
        )
        .await
        .expect("request sent");
    client_handler
        .wait_for(|heard| matches!(heard, Heard::Progress(_)).then_some(()))
        .await;
    handle
        .cancel(Some("test is done".to_owned()))
        .await
        .expect("cancel sent");
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let before = client_handler
        .drain(|h| matches!(h, Heard::Progress(_)).then_some(()))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let after = client_handler
        .drain(|h| matches!(h, Heard::Progress(_)).then_some(()))
        .await;

    assert!(
        before.len() < 20,
        "progress went on after cancellation: {}",
        before.len()
    );
    assert!(after.is_empty(), "progress went on after cancellation");
    let echo = client
        .call_tool(call("echo", json!({ "text": "alive" })))
        .await
        .expect("call");
    assert_eq!(first_text(&echo), "alive");
}

#[tokio::test]
async fn log_event_reaches_the_client_log() {
    let client_handler = TestClient::agreeable();
    let client = stdio(&[], client_handler.clone()).await;

    let params = call(
        "log_event",
        json!({ "level": "warning", "message": "disk almost full" }),
    );
    let result = client.call_tool(params).await.expect("call");

    let log = client_handler
        .wait_for(|heard| match heard {
            Heard::Log(log) => Some(log.clone()),
            _ => None,
        })
        .await;
    assert_eq!(first_text(&result), "Logged.");
    assert_eq!(log.data, json!("disk almost full"));
    assert_eq!(log.logger.as_deref(), Some("ticket-desk"));
}

#[tokio::test]
async fn summarize_ticket_asks_the_client_model_and_returns_its_answer() {
    let client_handler = TestClient::agreeable();
    let client = stdio(&[], client_handler.clone()).await;

    let response = client
        .call_tool_once(call("summarize_ticket", json!({ "id": 1 })))
        .await
        .expect("call");

    let CallToolResponse::Complete(result) = response else {
        panic!("a 2025 session should get a complete result, got {response:?}");
    };
    let asked = client_handler
        .wait_for(|heard| match heard {
            Heard::Sampled(params) => Some(params.clone()),
            _ => None,
        })
        .await;
    assert_eq!(first_text(&result), MODEL_ANSWER);
    let question = asked.messages[0]
        .content
        .first()
        .and_then(|c| c.as_text())
        .cloned();
    assert!(question.is_some_and(|q| q.text.contains("VPN drops every hour")));
}

#[tokio::test]
async fn confirm_delete_deletes_only_when_the_user_accepts() {
    let agreeable = stdio(&[], TestClient::agreeable()).await;

    let reluctant_user = TestClient::reluctant();
    let reluctant = stdio(&[], reluctant_user.clone()).await;
    let kept = reluctant
        .call_tool(call("confirm_delete", json!({ "id": 3 })))
        .await;
    let question = reluctant_user
        .wait_for(|heard| match heard {
            Heard::Elicited(message) => Some(message.clone()),
            _ => None,
        })
        .await;
    let still_there = reluctant
        .call_tool(call("get_ticket", json!({ "id": 3 })))
        .await;
    let deleted = agreeable
        .call_tool(call("confirm_delete", json!({ "id": 3 })))
        .await;
    let gone = agreeable
        .call_tool(call("get_ticket", json!({ "id": 3 })))
        .await;

    assert!(question.starts_with("Delete ticket 3 \"Reset MFA for a new contractor\"?"));
    assert!(first_text(&kept.expect("call")).starts_with("Kept ticket 3"));
    assert_eq!(still_there.expect("call").is_error, Some(false));
    assert!(first_text(&deleted.expect("call")).starts_with("Deleted ticket 3"));
    assert_eq!(gone.expect("call").is_error, Some(true));
}

#[tokio::test]
async fn list_client_roots_returns_the_roots_the_client_exposes() {
    let client = stdio(&[], TestClient::agreeable()).await;

    let result = client
        .call_tool(call("list_client_roots", json!({})))
        .await
        .expect("call");

    assert_eq!(first_text(&result), format!("- {CLIENT_ROOT} (desk)"));
}

#[tokio::test]
async fn prompts_are_listed_and_filled_in_with_the_ticket() {
    let client = stdio(&[], TestClient::agreeable()).await;

    let prompts = client.list_all_prompts().await.expect("prompts/list");
    let mut arguments = serde_json::Map::new();
    arguments.insert("id".to_owned(), json!("4"));
    let triage = client
        .get_prompt(GetPromptRequestParams::new("triage_ticket").with_arguments(arguments))
        .await
        .expect("prompts/get");
    let summary = client
        .get_prompt(GetPromptRequestParams::new("daily_summary"))
        .await
        .expect("prompts/get");

    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["daily_summary", "triage_ticket"]);
    let text = triage.messages[0].content.as_text().map(|t| t.text.clone());
    assert!(text.is_some_and(|t| t.contains("Payroll export fails for March")));
    let text = summary.messages[0]
        .content
        .as_text()
        .map(|t| t.text.clone());
    assert!(text.is_some_and(|t| t.contains("these 4 open tickets")));
}

#[tokio::test]
async fn resources_are_listed_templated_and_read_as_json() {
    let client = stdio(&[], TestClient::agreeable()).await;

    let resources = client.list_all_resources().await.expect("resources/list");
    let templates = client
        .list_all_resource_templates()
        .await
        .expect("templates/list");
    let open = client
        .read_resource(ReadResourceRequestParams::new("tickets://open"))
        .await
        .expect("resources/read");
    let missing = client
        .read_resource(ReadResourceRequestParams::new("tickets://404"))
        .await;

    assert_eq!(resources.len(), 6);
    assert_eq!(templates[0].uri_template, "tickets://{id}");
    let text = match &open.contents[0] {
        rmcp::model::ResourceContents::TextResourceContents { text, .. } => text.clone(),
        other => panic!("expected text contents, got {other:?}"),
    };
    let tickets: serde_json::Value = serde_json::from_str(&text).expect("JSON contents");
    assert_eq!(tickets.as_array().map(Vec::len), Some(4));
    assert!(missing.is_err());
}

#[tokio::test]
async fn subscribed_resource_reports_updates_when_a_ticket_changes() {
    let client_handler = TestClient::agreeable();
    let client = stdio(&[], client_handler.clone()).await;

    client
        .subscribe(SubscribeRequestParams::new("tickets://open"))
        .await
        .expect("resources/subscribe");
    let closing = json!({ "id": 2, "resolution": "Roller replaced" });
    client
        .call_tool(call("close_ticket", closing))
        .await
        .expect("call");

    let uri = client_handler
        .wait_for(|heard| match heard {
            Heard::ResourceUpdated(uri) => Some(uri.clone()),
            _ => None,
        })
        .await;
    assert_eq!(uri, "tickets://open");
}

#[tokio::test]
async fn page_size_splits_lists_into_pages_chained_by_cursors() {
    let client = stdio(&["--page-size", "4"], TestClient::agreeable()).await;

    let first = client.list_tools(None).await.expect("tools/list");
    let cursor = first
        .next_cursor
        .clone()
        .expect("a cursor to the second page");
    let second = client
        .list_tools(Some(
            PaginatedRequestParams::default().with_cursor(Some(cursor)),
        ))
        .await
        .expect("tools/list");
    let all_tools = client.list_all_tools().await.expect("tools/list");
    let all_resources = client.list_all_resources().await.expect("resources/list");
    let bogus = client
        .list_tools(Some(
            PaginatedRequestParams::default().with_cursor(Some("bogus".into())),
        ))
        .await;

    assert_eq!(first.tools.len(), 4);
    assert_eq!(second.tools.len(), 4);
    assert_ne!(first.tools[0].name, second.tools[0].name);
    assert_eq!(all_tools.len(), DESK_TOOLS.len());
    assert_eq!(all_resources.len(), 6);
    assert!(bogus.is_err());
}
