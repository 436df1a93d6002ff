//! Tasks end to end: real agents (rmcp clients) ask the real `warden`
//! binary for tasks, call the demo upstream under them, and lose access by
//! every way a task ends; approvers and pipelines act through the admin API
//! and `warden task`.

#[path = "../support/mod.rs"]
mod support;

mod access;
mod approval;
mod endings;
mod listing;
mod requests;

use std::time::Duration;

use serde_json::Value;
use support::process::Gateway;
use support::{GatewayLaunch, demo_upstream};

/// How long a test waits for something the gateway does in the background.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// The demo upstream with its debug log on, so that the gateway's log shows
/// every call the upstream receives (`tool call tool.name=...`).
pub(crate) fn observed_demo() -> String {
    format!(
        "[[upstream]]\nname = \"demo\"\ncommand = [\"{exe}\", \"dev\", \"demo-upstream\", \
         \"--faults\"]\nenv = {{ WARDEN_LOG = \"warden_demo_upstream=debug\" }}\n",
        exe = support::warden_exe()
    )
}

/// A gateway on the test policies (every example.org workload may do
/// anything policy decides), with the observed demo upstream.
pub(crate) fn gateway() -> Gateway {
    GatewayLaunch::new(observed_demo()).start()
}

/// A gateway on the default policy set of `policies/`.
pub(crate) fn gateway_on_default_policies() -> Gateway {
    let _ = demo_upstream;
    GatewayLaunch::new(observed_demo())
        .policies(support::workspace_root().join("policies"))
        .start()
}

/// How many calls of its tool `tool` the demo upstream has received.
pub(crate) fn upstream_calls(gateway: &Gateway, tool: &str) -> usize {
    gateway
        .log()
        .lines()
        .filter(|line| line.contains("tool call") && line.contains(&format!("tool.name={tool}")))
        .count()
}

/// The task id of a Warden tool's answer.
pub(crate) fn task_id(answer: &Value) -> String {
    answer["task"].as_str().unwrap_or_default().to_owned()
}
