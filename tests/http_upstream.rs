//! End to end: Streamable HTTP upstreams. The demo upstream runs in this test
//! process on a loopback port; the gateway is the real binary. Tests are
//! multi-threaded so the upstream keeps serving while the test thread waits
//! for the gateway to start.

mod support;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use support::client::text_of;
use support::{GatewayLaunch, TestAgent};
use warden_demo_upstream::{DemoOptions, DemoServer};

/// Serves the demo upstream at `/mcp`, refusing any request that lacks the
/// given bearer token and tenant header, as a protected remote server would.
async fn protected_upstream(token: &'static str, tenant: &'static str) -> String {
    let server = DemoServer::new(DemoOptions::default());
    let service = StreamableHttpService::new(
        move || Ok(server.new_session()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let check = move |request: Request, next: Next| async move {
        if !carries(&request, "authorization", &format!("Bearer {token}"))
            || !carries(&request, "x-tenant", tenant)
        {
            return Err(StatusCode::UNAUTHORIZED);
        }
        Ok::<Response, StatusCode>(next.run(request).await)
    };
    let router = axum::Router::new()
        .nest_service("/mcp", service)
        .layer(axum::middleware::from_fn(check));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("upstream address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/mcp")
}

fn carries(request: &Request, header: &str, expected: &str) -> bool {
    request
        .headers()
        .get(header)
        .is_some_and(|value| value.as_bytes() == expected.as_bytes())
}

fn protected_table(url: &str) -> String {
    format!(
        "[[upstream]]\nname = \"tickets\"\nurl = \"{url}\"\n\
         auth = {{ bearer_env = \"TICKETS_TOKEN\" }}\n\
         headers_env = {{ \"X-Tenant\" = \"TICKETS_TENANT\" }}\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_streamable_http_upstream_is_relayed() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(warden_demo_upstream::serve_http(
        listener,
        DemoOptions::default(),
    ));
    let upstream = format!("[[upstream]]\nname = \"remote\"\nurl = \"http://{addr}/mcp\"\n");
    let gateway = GatewayLaunch::new(upstream).start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["remote.*"]).await;

    let echoed = agent
        .call("remote.echo", json!({ "text": "over http" }))
        .await;
    let missing = agent.call("remote.get_ticket", json!({ "id": 404 })).await;

    assert_eq!(text_of(&echoed), "over http");
    assert_eq!(missing.is_error, Some(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_from_the_environment_reach_the_upstream() {
    let url = protected_upstream("s3cret", "acme").await;
    let gateway = GatewayLaunch::new(protected_table(&url))
        .env("TICKETS_TOKEN", "s3cret")
        .env("TICKETS_TENANT", "acme")
        .start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["tickets.*"]).await;

    let echoed = agent
        .call("tickets.echo", json!({ "text": "authorized" }))
        .await;

    assert_eq!(text_of(&echoed), "authorized");
    let log_dir = gateway.config.parent().map(|dir| dir.join("data/audit"));
    let log = std::fs::read_to_string(log_dir.unwrap_or_default().join("audit.jsonl"))
        .expect("the audit log");
    assert!(log.contains("tickets.echo"), "the call is on record");
    assert!(
        !log.contains("s3cret"),
        "the upstream's credential never is"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_credential_leaves_the_upstream_unavailable_with_the_reason() {
    let url = protected_upstream("s3cret", "acme").await;
    let gateway = GatewayLaunch::new(protected_table(&url))
        .env("TICKETS_TOKEN", "wrong")
        .env("TICKETS_TENANT", "acme")
        .start();
    let (agent, _events) = TestAgent::connect(&gateway, "agent").await;

    let refused = agent.call("tickets.echo", json!({ "text": "hello" })).await;

    assert_eq!(refused.is_error, Some(true));
    let message = text_of(&refused);
    assert!(
        message.contains("upstream `tickets` is unavailable"),
        "{message}"
    );
    assert!(
        !message.contains("wrong"),
        "the token never reaches the agent: {message}"
    );
}
