//! A third-party client drives the gateway: the official MCP Python SDK asks
//! for a task, lists and calls tools, reads a resource and gets a prompt
//! through the real `warden` binary, once on the initialize handshake (where
//! the task belongs to the session) and once on the newest protocol the SDK
//! negotiates (which has no sessions, so the task belongs to the identity).

mod support;

use serde_json::Value;
use support::process::Gateway;
use support::{GatewayLaunch, demo_upstream};
use tokio::process::Command;

async fn run_python_agent(gateway: &Gateway, mode: &str) -> Value {
    let script = support::workspace_root().join("tests/python/agent.py");
    let output = Command::new(support::python())
        .arg(script)
        .args([gateway.url.as_str(), mode])
        .env("WARDEN_SVID", gateway.agent_svid("python"))
        .output()
        .await
        .expect("run the Python agent");

    assert!(
        output.status.success(),
        "Python agent failed in mode {mode}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(report).unwrap_or_else(|error| panic!("bad report {report}: {error}"))
}

fn assert_relayed(report: &Value) {
    assert_eq!(
        report["task_status"], "active",
        "the agent's own task: {report}"
    );
    let tools = report["tools"].as_array().expect("tool names");
    assert!(tools.contains(&Value::from("demo.echo")), "{tools:?}");
    assert!(
        tools.contains(&Value::from("demo.delete_ticket")),
        "{tools:?}"
    );
    assert_eq!(report["echo"], serde_json::json!(["hello from python"]));
    assert_eq!(report["echo_is_error"], false);
    assert_eq!(report["missing_is_error"], true);
    let resource = report["resource"][0].as_str().unwrap_or_default();
    assert!(resource.contains("VPN drops every hour"), "{resource}");
    let prompt = report["prompt"][0].as_str().unwrap_or_default();
    assert!(prompt.contains("Triage ticket 1"), "{prompt}");
}

#[tokio::test]
async fn python_sdk_works_through_the_gateway_on_the_initialize_handshake() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();

    let report = run_python_agent(&gateway, "legacy").await;

    assert_eq!(report["protocol_version"], "2025-11-25");
    assert_relayed(&report);
}

#[tokio::test]
async fn python_sdk_works_through_the_gateway_on_the_newest_protocol() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();

    let report = run_python_agent(&gateway, "auto").await;

    assert_eq!(report["protocol_version"], "2026-07-28");
    assert_relayed(&report);
}
