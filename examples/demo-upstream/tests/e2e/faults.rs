//! The fault-injection tools, offered only with `--faults`.

use std::process::Stdio;
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::model::{ClientRequest, Request};
use rmcp::service::PeerRequestOptions;
use serde_json::json;
use tokio::process::Command;

use crate::support::{Heard, PATIENCE, TestClient, call, first_text, stdio};

#[tokio::test]
async fn faults_flag_adds_crash_hang_and_toggle_but_not_purge() {
    let client = stdio(&["--faults"], TestClient::agreeable()).await;

    let tools = client.list_all_tools().await.expect("tools/list");

    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    for fault in ["crash", "hang", "toggle_admin_tools"] {
        assert!(names.contains(&fault), "{fault} is missing from {names:?}");
    }
    assert!(!names.contains(&"purge_all"));
}

#[tokio::test]
async fn fault_tools_cannot_be_called_without_the_faults_flag() {
    let client = stdio(&[], TestClient::agreeable()).await;

    let result = client.call_tool(call("hang", json!({}))).await;

    assert!(
        result.is_err(),
        "hang answered without --faults: {result:?}"
    );
}

#[tokio::test]
async fn crash_exits_the_process_with_status_3() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo-upstream"))
        .arg("--faults")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the demo-upstream binary should start");
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let client = TestClient::agreeable()
        .serve((stdout, stdin))
        .await
        .expect("handshake");

    let result = client.call_tool(call("crash", json!({}))).await;
    let status = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .expect("the process should exit in time")
        .expect("the exit status should be readable");

    assert!(result.is_err(), "crash answered: {result:?}");
    assert_eq!(status.code(), Some(3));
}

#[tokio::test]
async fn hang_answers_only_once_cancelled_and_the_server_stays_usable() {
    let client = stdio(&["--faults"], TestClient::agreeable()).await;

    let handle = client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(call("hang", json!({})))),
            PeerRequestOptions::no_options(),
        )
        .await
        .expect("request sent");
    let still_waiting = tokio::time::timeout(Duration::from_millis(200), async {
        client
            .call_tool(call("echo", json!({ "text": "meanwhile" })))
            .await
    })
    .await;
    handle
        .cancel(Some("test is done".to_owned()))
        .await
        .expect("cancel sent");
    let after = client
        .call_tool(call("echo", json!({ "text": "after" })))
        .await
        .expect("call");

    let meanwhile = still_waiting
        .expect("echo answers while hang waits")
        .expect("call");
    assert_eq!(first_text(&meanwhile), "meanwhile");
    assert_eq!(first_text(&after), "after");
}

#[tokio::test]
async fn toggling_admin_tools_lists_purge_all_and_announces_the_change() {
    let client_handler = TestClient::agreeable();
    let client = stdio(&["--faults"], client_handler.clone()).await;

    let shown = client
        .call_tool(call("toggle_admin_tools", json!({})))
        .await
        .expect("call");
    client_handler
        .wait_for(|heard| matches!(heard, Heard::ToolsChanged).then_some(()))
        .await;
    let listed = client.list_all_tools().await.expect("tools/list");
    let purged = client
        .call_tool(call("purge_all", json!({})))
        .await
        .expect("call");
    let hidden = client
        .call_tool(call("toggle_admin_tools", json!({})))
        .await
        .expect("call");
    client_handler
        .wait_for(|heard| matches!(heard, Heard::ToolsChanged).then_some(()))
        .await;
    let relisted = client.list_all_tools().await.expect("tools/list");
    let refused = client.call_tool(call("purge_all", json!({}))).await;

    assert_eq!(first_text(&shown), "purge_all is now listed.");
    assert!(listed.iter().any(|tool| tool.name == "purge_all"));
    assert_eq!(first_text(&purged), "Purged 5 tickets.");
    assert_eq!(first_text(&hidden), "purge_all is now hidden.");
    assert!(!relisted.iter().any(|tool| tool.name == "purge_all"));
    assert!(refused.is_err());
}
