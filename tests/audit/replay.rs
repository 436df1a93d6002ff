//! Replay: recorded decisions decided again from their recorded facts.
//! Under their own policy version nothing changes; under a candidate set
//! that closes a tool, exactly the calls of that tool are listed.

use serde_json::{Value, json};

use crate::support::{GatewayLaunch, TestAgent, demo_upstream};
use crate::{config_of, stderr, stdout, warden_audit};

#[tokio::test]
async fn replay_lists_exactly_the_decisions_a_candidate_policy_changes() {
    let mut gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "replayed", &["demo.*"]).await;
    for text in ["a", "b", "c"] {
        agent.call("demo.echo", json!({ "text": text })).await;
    }
    for id in [1, 2] {
        agent.call("demo.get_ticket", json!({ "id": id })).await;
    }
    drop(agent);
    gateway.terminate();

    let candidate = tempfile::tempdir().expect("temp dir");
    let tests_policy = crate::support::workspace_root().join("tests/policies/allow-all.policy");
    std::fs::copy(&tests_policy, candidate.path().join("allow-all.policy")).expect("copy");
    std::fs::write(
        candidate.path().join("closed.policy"),
        "deny(\"echo-closed\", \"echo is closed\")\n    \
         <- operation(\"call_tool\"), tool(\"demo.echo\");\n",
    )
    .expect("write candidate");
    let config = config_of(&gateway);

    let same = warden_audit(&["replay", "--config", &config]);
    let changed = warden_audit(&[
        "replay",
        "--config",
        &config,
        "--policies",
        &candidate.path().display().to_string(),
        "--json",
    ]);

    assert!(same.status.success(), "{}{}", stdout(&same), stderr(&same));
    assert!(
        stderr(&same).contains("0 would change"),
        "{}",
        stderr(&same)
    );
    assert!(!changed.status.success(), "changes exit non-zero");
    let lines: Vec<Value> = stdout(&changed)
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON lines"))
        .collect();
    assert_eq!(lines.len(), 3, "exactly the three echo calls: {lines:?}");
    for line in &lines {
        assert_eq!(line["kind"], "tool.call");
        assert_eq!(line["subject"], "demo.echo");
        assert_eq!(line["recorded"]["effect"], "allow");
        assert_eq!(line["replayed"]["effect"], "deny");
        assert_eq!(line["replayed"]["rule"], "echo-closed");
    }
}
