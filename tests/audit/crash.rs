//! `kill -9` under concurrent calls: the restarted gateway's log verifies,
//! and every call that got an answer has its outcome on record.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::Mutex;

use crate::support::client::text_of;
use crate::support::{GatewayLaunch, TestAgent, demo_upstream};
use crate::{config_of, log_of, records, stderr, stdout, warden_audit};

const AGENTS: usize = 8;
const CALLS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_under_load_keeps_a_record_of_every_answered_call() {
    let mut gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let answered = Arc::new(Mutex::new(HashSet::new()));
    let mut agents = Vec::new();
    for index in 0..AGENTS {
        let name = format!("load{index}");
        let (agent, _events) = TestAgent::connect_with_task(&gateway, &name, &["demo.echo"]).await;
        agents.push((index, agent));
    }

    let mut runs = Vec::new();
    for (index, agent) in agents {
        let answered = Arc::clone(&answered);
        runs.push(tokio::spawn(async move {
            for call in 0..CALLS {
                let text = format!("agent {index} call {call}");
                let Ok(result) = agent.try_call("demo.echo", json!({ "text": text })).await else {
                    return;
                };
                if result.is_error != Some(true) && text_of(&result) == text {
                    answered.lock().await.insert(text);
                }
            }
        }));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while answered.lock().await.len() < AGENTS * CALLS / 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "calls never got going"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gateway.kill_and_restart();
    for run in &runs {
        run.abort();
    }
    for run in runs {
        let _ = run.await;
    }

    let verified = warden_audit(&["verify", "--config", &config_of(&gateway)]);
    assert!(
        verified.status.success(),
        "{}\n{}",
        stderr(&verified),
        gateway.log()
    );
    let recorded: HashSet<String> = records(&log_of(&gateway))
        .iter()
        .filter(|record| record["kind"] == "tool.result" && record["outcome"]["status"] == "ok")
        .filter_map(|record| {
            record["request"]["arguments"]["text"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let answered = answered.lock().await;
    let missing: Vec<&String> = answered.difference(&recorded).collect();
    assert!(!answered.is_empty());
    assert!(missing.is_empty(), "answered but not recorded: {missing:?}");
    assert!(
        stdout(&verified).contains("records"),
        "{}",
        stdout(&verified)
    );
}
