//! End to end at the HTTP level: what the gateway answers to protocol misuse
//! and to each protocol version, checked with a plain HTTP client.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::process::Gateway;
use support::{GatewayLaunch, demo_upstream};

const ACCEPT: &str = "application/json, text/event-stream";

fn initialize(version: &str) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": { "name": "http-test", "version": "1" }
        }
    })
}

/// Posts `body` to the gateway as an authenticated agent.
async fn post(
    gateway: &Gateway,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut request = reqwest::Client::new()
        .post(&gateway.url)
        .bearer_auth(gateway.agent_svid("http"))
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("gateway answers");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

/// The JSON-RPC message in a JSON or SSE response body.
fn message(body: &str) -> Value {
    let json = body
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .find(|data| data.starts_with('{'))
        .unwrap_or(body);
    serde_json::from_str(json).unwrap_or_else(|error| panic!("not JSON-RPC ({error}): {body}"))
}

#[tokio::test]
async fn malformed_json_gets_a_json_rpc_parse_error() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();

    let (status, body) = post(&gateway, "{\"jsonrpc\": \"2.0\", ", &[]).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = message(&body);
    assert_eq!(error["error"]["code"], -32700, "{body}");
    assert_eq!(error["id"], Value::Null);
}

#[tokio::test]
async fn json_that_is_not_json_rpc_gets_an_invalid_request_error() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();

    let (status, body) = post(&gateway, "{\"hello\": \"world\"}", &[]).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body)["error"]["code"], -32600, "{body}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", ""))
        .gateway("max_body_bytes = 4096")
        .start();
    let text = "x".repeat(8192);
    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": { "name": "demo.echo", "arguments": { "text": text } } });

    let (status, _) = post(&gateway, call.to_string(), &[]).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_foreign_host_or_origin_is_refused_against_dns_rebinding() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let body = initialize("2025-11-25").to_string();
    let own_origin = gateway.url.trim_end_matches("/mcp").to_owned();

    let (foreign_host, _) = post(&gateway, body.clone(), &[("host", "evil.example")]).await;
    let (foreign_origin, _) =
        post(&gateway, body.clone(), &[("origin", "http://evil.example")]).await;
    let (own, _) = post(&gateway, body, &[("origin", &own_origin)]).await;

    assert_eq!(foreign_host, StatusCode::FORBIDDEN);
    assert_eq!(foreign_origin, StatusCode::FORBIDDEN);
    assert_eq!(own, StatusCode::OK);
}

#[tokio::test]
async fn a_configured_origin_is_accepted() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", ""))
        .gateway("allowed_origins = [\"https://console.example.org\"]")
        .start();
    let body = initialize("2025-11-25").to_string();

    let (status, _) = post(&gateway, body, &[("origin", "https://console.example.org")]).await;

    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn every_initialize_protocol_version_is_negotiated() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();

    for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let (status, body) = post(&gateway, initialize(version).to_string(), &[]).await;

        assert_eq!(status, StatusCode::OK, "{version}: {body}");
        let result = message(&body);
        assert_eq!(result["result"]["protocolVersion"], version, "{body}");
        assert_eq!(result["result"]["serverInfo"]["name"], "warden");
    }
}

#[tokio::test]
async fn discovery_offers_the_newest_protocol_and_every_older_one() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let discover = json!({ "jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": { "name": "http-test", "version": "1" }
        }
    }});

    let (status, body) = post(
        &gateway,
        discover.to_string(),
        &[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "server/discover"),
        ],
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let versions = message(&body)["result"]["supportedVersions"].clone();
    for version in [
        "2026-07-28",
        "2025-11-25",
        "2025-06-18",
        "2025-03-26",
        "2024-11-05",
    ] {
        assert!(
            versions
                .as_array()
                .is_some_and(|all| all.contains(&json!(version))),
            "{body}"
        );
    }
}
