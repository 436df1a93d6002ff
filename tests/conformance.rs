//! The official MCP conformance suite, run against the project's fixtures
//! server directly and then through the real `warden` binary placed in front
//! of it with `prefix = ""`. Every scenario that passes directly must pass
//! through the gateway; known failures live in strict baseline files that
//! also fail the run when a listed scenario starts passing. The suite cannot
//! attach headers, so a loopback proxy adds the agent's JWT-SVID for it.

mod support;

use std::path::Path;

use support::GatewayLaunch;
use support::credential_proxy::CredentialProxy;
use tokio::net::TcpListener;
use tokio::process::Command;

/// Runs every scenario of the suite, pending ones included.
const SUITE_ARGS: &str = "--suite all";

async fn start_fixtures_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind fixtures server");
    let addr = listener.local_addr().expect("fixtures server address");
    tokio::spawn(warden_conformance_server::serve(listener));
    format!("http://{addr}/mcp")
}

/// Runs the pinned suite against `url` with a strict expected-failures file
/// and fails with the suite's report unless it exits 0.
async fn run_suite(url: &str, expected_failures: &str) {
    let dir = support::workspace_root().join("tests/conformance");
    let suite = dir.join("node_modules/.bin/conformance");
    assert!(
        suite.exists(),
        "{} is missing: run `scripts/test-setup` to install the pinned conformance suite",
        suite.display()
    );

    let output = Command::new(dir.join("run.sh"))
        .arg(url)
        .arg(Path::new(&dir).join(expected_failures))
        .env("CONFORMANCE_ARGS", SUITE_ARGS)
        .output()
        .await
        .expect("run the conformance suite");

    let report = String::from_utf8_lossy(&output.stdout);
    let summary = report.rsplit("=== SUMMARY ===").next().unwrap_or_default();
    assert!(
        output.status.success(),
        "conformance suite failed against {url}:\n{summary}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        summary.contains(" passed, 0 failed"),
        "no scenario ran: {summary}"
    );
}

/// The names of every tool the fixtures server offers, which the task of the
/// suite's agent grants: the suite calls them all.
async fn fixture_tools(url: &str) -> Vec<String> {
    use rmcp::ServiceExt as _;
    use rmcp::transport::StreamableHttpClientTransport;

    let client =
        ().serve(StreamableHttpClientTransport::from_uri(url.to_owned()))
            .await
            .expect("connect to the fixtures server");
    let tools = client.list_all_tools().await.expect("fixtures tools/list");
    let _ = client.cancel().await;
    tools
        .into_iter()
        .map(|tool| tool.name.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fixtures_server_passes_the_suite_directly() {
    let url = start_fixtures_server().await;

    run_suite(&url, "expected-failures-direct.yml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_suite_passes_through_the_gateway() {
    let fixtures = start_fixtures_server().await;
    let upstream =
        format!("[[upstream]]\nname = \"fixtures\"\nurl = \"{fixtures}\"\nprefix = \"\"\n");
    let proxy = CredentialProxy::bind().await;
    let gateway = GatewayLaunch::new(upstream)
        .gateway(&format!("allowed_origins = [\"{}\"]", proxy.origin()))
        .start();
    let tools = fixture_tools(&fixtures).await;
    let tools: Vec<&str> = tools.iter().map(String::as_str).collect();
    gateway.grant("conformance", &tools).await;
    let token = gateway.svid_with_ttl(&support::process::agent_id("conformance"), "1h");
    let url = proxy.serve(&gateway.url, &token);

    run_suite(&url, "expected-failures-gateway.yml").await;
}
