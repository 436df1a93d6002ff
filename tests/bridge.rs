//! `warden bridge` end to end: an rmcp client speaks stdio to the real
//! `warden bridge` process, which speaks Streamable HTTP to the real gateway
//! with the SVID from a file, and picks up a rewritten file on the next call.

mod support;

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::json;
use support::client::text_of;
use support::process::agent_id;
use support::{GatewayLaunch, demo_upstream};
use tokio::process::Command;

fn echo(text: &str) -> CallToolRequestParams {
    let mut params = CallToolRequestParams::new("demo.echo");
    params.arguments = json!({ "text": text }).as_object().cloned();
    params
}

#[tokio::test]
async fn a_stdio_client_reaches_the_gateway_through_the_bridge_with_a_rotating_svid() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    gateway.grant("desktop", &["demo.*"]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let svid = dir.path().join("agent.jwt");
    std::fs::write(&svid, gateway.agent_svid("desktop")).expect("write svid");

    let mut bridge = Command::new(support::warden_exe());
    bridge
        .args(["bridge", "--url", &gateway.url, "--svid"])
        .arg(&svid);
    let transport = TokioChildProcess::new(bridge).expect("start warden bridge");
    let client = ().serve(transport).await.expect("initialize through the bridge");

    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(
        tools.iter().any(|tool| tool.name == "demo.echo"),
        "{tools:?}"
    );
    let first = client.call_tool(echo("one")).await.expect("first call");
    assert_eq!(text_of(&first), "one");

    std::fs::write(&svid, gateway.agent_svid("desktop")).expect("rotate svid");
    let rotated = client
        .call_tool(echo("two"))
        .await
        .expect("call after rotation");
    assert_eq!(text_of(&rotated), "two");

    std::fs::write(&svid, gateway.svid(&agent_id("intruder"))).expect("swap identity");
    let refused = client.call_tool(echo("three")).await;
    assert!(
        refused.is_err(),
        "a session of `desktop` refuses the SVID of another workload: {refused:?}"
    );
    gateway
        .wait_for_log(
            "refusal.code=foreign_session",
            std::time::Duration::from_secs(5),
        )
        .await;

    let _ = client.cancel().await;
}

#[tokio::test]
async fn the_bridge_refuses_to_start_without_a_readable_svid() {
    let output = Command::new(support::warden_exe())
        .args([
            "bridge",
            "--url",
            "http://127.0.0.1:9/mcp",
            "--svid",
            "/nonexistent/agent.jwt",
        ])
        .output()
        .await
        .expect("run warden bridge");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read svid file `/nonexistent/agent.jwt`"),
        "{stderr}"
    );
}
