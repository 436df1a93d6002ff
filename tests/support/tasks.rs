//! Tasks for the tests that exercise other parts of the gateway: they are
//! created through the admin API, as a pipeline that starts an agent would,
//! so that the agent's calls have a task to run under.

use serde_json::{Value, json};

use super::client::{AgentEvents, TestAgent};
use super::process::{Gateway, agent_id};

/// The SPIFFE ID with the `platform` role in every test gateway.
pub const PLATFORM: &str = "spiffe://example.org/team/platform";
/// The SPIFFE ID with the `approver` role in every test gateway.
pub const APPROVER: &str = "spiffe://example.org/human/approver";
/// The SPIFFE ID with the `auditor` role in every test gateway.
pub const AUDITOR: &str = "spiffe://example.org/team/audit";

/// The `[roles]` table of every test gateway.
pub fn roles_table() -> String {
    format!(
        "[roles]\napprover = [\"{APPROVER}\"]\nplatform = [\"{PLATFORM}\"]\n\
         auditor = [\"{AUDITOR}\"]\n"
    )
}

/// An answer of the admin API.
#[derive(Debug)]
pub struct AdminReply {
    pub status: u16,
    pub body: Value,
}

impl Gateway {
    /// Calls the admin API as `spiffe_id`; `body` makes it a POST.
    pub async fn admin(&self, spiffe_id: &str, path: &str, body: Option<Value>) -> AdminReply {
        let token = self.svid(spiffe_id);
        let client = reqwest::Client::new();
        let url = format!("{}{path}", self.admin_url);
        let request = match body {
            Some(body) => client
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_string()),
            None => client.get(url),
        };
        let response = request
            .bearer_auth(token)
            .send()
            .await
            .expect("admin API reachable");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        AdminReply { status, body }
    }

    /// Creates an active task for test agent `name` that grants `tools`, and
    /// returns its id; fails the test unless policy granted it.
    pub async fn grant(&self, name: &str, tools: &[&str]) -> String {
        let body = json!({
            "identity": agent_id(name),
            "goal": "exercise the gateway in a test",
            "tools": tools,
            "ttl": "1h",
        });
        let reply = self.admin(PLATFORM, "/v1/tasks", Some(body)).await;
        assert_eq!(
            reply.status,
            201,
            "task created: {:?}\n{}",
            reply.body,
            self.log()
        );
        assert_eq!(
            reply.body["status"], "active",
            "task granted: {:?}",
            reply.body
        );
        reply.body["task"].as_str().unwrap_or_default().to_owned()
    }
}

impl TestAgent {
    /// Creates a task granting `tools` to agent `name`, then connects as it.
    pub async fn connect_with_task(
        gateway: &Gateway,
        name: &str,
        tools: &[&str],
    ) -> (Self, AgentEvents) {
        gateway.grant(name, tools).await;
        Self::connect(gateway, name).await
    }

    /// Calls `warden_request_task` and returns its structured answer.
    pub async fn request_task(&self, arguments: Value) -> (bool, Value) {
        let result = self.call("warden_request_task", arguments).await;
        let body = result.structured_content.clone().unwrap_or(Value::Null);
        (result.is_error == Some(true), body)
    }
}
