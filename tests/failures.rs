//! End to end: upstreams that will not start, crash, hang or freeze never
//! take the gateway down; their calls fail fast with a clear message and the
//! gateway brings them back.

mod support;

use std::time::Duration;

use serde_json::json;
use support::client::text_of;
use support::{GatewayLaunch, TestAgent, demo_upstream};

const WAIT: Duration = Duration::from_secs(20);

fn broken_upstream() -> &'static str {
    "[[upstream]]\nname = \"broken\"\ncommand = [\"/nonexistent/mcp-server\"]\n"
}

#[tokio::test]
async fn an_upstream_that_will_not_start_leaves_the_others_serving() {
    let upstreams = format!("{}{}", demo_upstream("demo", ""), broken_upstream());
    let gateway = GatewayLaunch::new(upstreams).start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;

    let echoed = agent.call("demo.echo", json!({ "text": "fine" })).await;
    let refused = agent.call("broken.anything", json!({})).await;

    assert_eq!(text_of(&echoed), "fine");
    assert_eq!(refused.is_error, Some(true));
    let message = text_of(&refused);
    assert!(
        message.contains("upstream `broken` is unavailable"),
        "{message}"
    );
    assert!(
        message.contains("cannot start `/nonexistent/mcp-server`"),
        "{message}"
    );
    let health = gateway.health().await;
    assert_eq!(health["status"], "degraded");
}

#[tokio::test]
async fn a_crashed_upstream_is_restarted_and_serves_again() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;
    let first_child = gateway.children();

    let crashed = agent.call("demo.crash", json!({})).await;

    assert_eq!(crashed.is_error, Some(true));
    let message = text_of(&crashed);
    assert!(
        message.contains("closed the connection before answering"),
        "{message}"
    );
    gateway.wait_for_log("upstream unavailable", WAIT).await;
    gateway.wait_until_ready("demo", true, WAIT).await;
    assert_ne!(
        gateway.children(),
        first_child,
        "a new upstream process was started"
    );
    let echoed = agent.call("demo.echo", json!({ "text": "back" })).await;
    assert_eq!(text_of(&echoed), "back");
}

#[tokio::test]
async fn a_hanging_call_times_out_and_is_cancelled_upstream() {
    let upstream = demo_upstream("demo", "call_timeout = \"1s\"");
    let gateway = GatewayLaunch::new(upstream).start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;

    let timed_out = agent.call("demo.hang", json!({})).await;

    assert_eq!(timed_out.is_error, Some(true));
    let message = text_of(&timed_out);
    assert!(message.contains("did not answer within 1s"), "{message}");
    gateway.wait_for_log("hang tool cancelled", WAIT).await;
    let echoed = agent
        .call("demo.echo", json!({ "text": "unaffected" }))
        .await;
    assert_eq!(text_of(&echoed), "unaffected");
}

#[tokio::test]
async fn a_frozen_upstream_is_detected_by_ping_and_replaced() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", ""))
        .gateway("health_interval = \"300ms\"")
        .start();
    let frozen = gateway.children();
    assert_eq!(frozen.len(), 1, "one stdio upstream: {frozen:?}");

    let stop = std::process::Command::new("kill")
        .args(["-STOP", &frozen[0].to_string()])
        .status()
        .expect("run kill");
    assert!(stop.success());

    gateway.wait_for_log("did not answer a ping", WAIT).await;
    gateway.wait_until_ready("demo", true, WAIT).await;
    assert_ne!(
        gateway.children(),
        frozen,
        "the frozen process was replaced"
    );
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "agent", &["demo.*"]).await;
    let echoed = agent.call("demo.echo", json!({ "text": "thawed" })).await;
    assert_eq!(text_of(&echoed), "thawed");

    // A stopped process outlives a killed parent; end it so that no test
    // leaves one behind.
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &frozen[0].to_string()])
        .status();
}

#[tokio::test]
async fn clashing_names_under_an_empty_prefix_refuse_to_start() {
    let upstreams = format!(
        "{}{}",
        demo_upstream("first", "prefix = \"\""),
        demo_upstream("second", "prefix = \"\"")
    );

    let failure = GatewayLaunch::new(upstreams)
        .try_start()
        .err()
        .expect("refused to start");

    assert!(
        failure.contains("is exported by both upstream `first` and upstream `second`"),
        "{failure}"
    );
    assert!(
        failure.contains("give one of them a non-empty `prefix`"),
        "{failure}"
    );
}

#[tokio::test]
async fn an_http_upstream_with_a_missing_credential_says_which_variable() {
    let upstream = "[[upstream]]\nname = \"tickets\"\nurl = \"http://127.0.0.1:9/mcp\"\n\
                    auth = { bearer_env = \"WARDEN_TEST_UNSET_TOKEN\" }\n";
    let gateway = GatewayLaunch::new(upstream).start();
    let (agent, _events) = TestAgent::connect(&gateway, "agent").await;

    let refused = agent.call("tickets.list", json!({})).await;

    let message = text_of(&refused);
    assert!(
        message.contains("`WARDEN_TEST_UNSET_TOKEN` is not set"),
        "{message}"
    );
}
