//! End to end: several agents on one gateway. What an upstream sends for a
//! request reaches the agent that made it, and never another agent.

mod support;

use std::time::Duration;

use serde_json::json;
use support::client::{AgentEvent, next_event, text_of};
use support::{GatewayLaunch, TestAgent, demo_upstream};

#[tokio::test]
async fn sampling_goes_to_the_calling_agent_and_no_other() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let (alice, mut alice_events) =
        TestAgent::connect_with_task(&gateway, "alice", &["demo.*"]).await;
    let (bob, mut bob_events) = TestAgent::connect_with_task(&gateway, "bob", &["demo.*"]).await;

    let summary = bob.call("demo.summarize_ticket", json!({ "id": 3 })).await;

    assert!(
        text_of(&summary).contains("summary from bob"),
        "{}",
        text_of(&summary)
    );
    next_event(&mut bob_events, Duration::from_secs(5), |event| {
        matches!(event, AgentEvent::Sampled(_)).then_some(())
    })
    .await;
    alice.call("demo.echo", json!({ "text": "idle" })).await;
    while let Ok(event) = alice_events.try_recv() {
        assert!(
            !matches!(event, AgentEvent::Sampled(_)),
            "alice was asked to sample: {event:?}"
        );
    }
}

#[tokio::test]
async fn an_upstream_request_that_cannot_be_attributed_is_refused() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let (alice, mut alice_events) =
        TestAgent::connect_with_task(&gateway, "alice", &["demo.*"]).await;
    let (bob, mut bob_events) = TestAgent::connect_with_task(&gateway, "bob", &["demo.*"]).await;

    let busy = tokio::spawn(async move {
        alice
            .call("demo.slow_count", json!({ "steps": 20, "delay_ms": 100 }))
            .await
    });
    next_event(&mut alice_events, Duration::from_secs(5), |event| {
        matches!(event, AgentEvent::Progress(_)).then_some(())
    })
    .await;
    let summary = bob.call("demo.summarize_ticket", json!({ "id": 3 })).await;

    assert_eq!(summary.is_error, Some(true), "{}", text_of(&summary));
    assert!(
        text_of(&summary).contains("several agents"),
        "{}",
        text_of(&summary)
    );
    while let Ok(event) = bob_events.try_recv() {
        assert!(
            !matches!(event, AgentEvent::Sampled(_)),
            "bob sampled: {event:?}"
        );
    }
    let counted = busy.await.expect("alice's call completes");
    assert_eq!(text_of(&counted), "Counted to 20.");
}
