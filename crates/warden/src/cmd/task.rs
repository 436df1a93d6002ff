//! `warden task`: a client of the admin API's `/v1/tasks`.

use std::fmt::Write as _;

use anyhow::{Context as _, bail};
use serde_json::{Map, Value, json};
use warden_gateway::bridge::SvidSource;

use crate::cli::{DecisionArgs, TaskArgs, TaskCommand};

pub(crate) async fn run(args: TaskArgs) -> anyhow::Result<()> {
    let source = match (&args.svid, &args.audience) {
        (Some(path), _) => SvidSource::File(path.clone()),
        (None, Some(audience)) => SvidSource::workload_api(audience.clone()),
        (None, None) => bail!("give --svid FILE, or --workload-api with --audience"),
    };
    let client = Admin {
        base: args.admin_url.trim_end_matches('/').to_owned(),
        svid: source.current().await?,
        http: reqwest::Client::new(),
    };

    let (answer, shape) = match args.command {
        TaskCommand::List { state, identity } => {
            let mut query = Vec::new();
            query.extend(state.map(|state| ("state", state)));
            query.extend(identity.map(|identity| ("identity", identity)));
            (client.get("/v1/tasks", &query).await?, Shape::List)
        }
        TaskCommand::Show { id } => (
            client.get(&format!("/v1/tasks/{id}"), &[]).await?,
            Shape::One,
        ),
        TaskCommand::Create {
            identity,
            goal,
            tools,
            constraints,
            ttl,
            budget,
        } => {
            let body = create_body(identity, goal, tools, &constraints, ttl, budget)?;
            (client.post("/v1/tasks", &body).await?, Shape::One)
        }
        TaskCommand::Approve(decision) => (client.decide("approve", decision).await?, Shape::One),
        TaskCommand::Deny(decision) => (client.decide("deny", decision).await?, Shape::One),
        TaskCommand::Revoke(decision) => (client.decide("revoke", decision).await?, Shape::One),
    };

    let text = if args.json {
        serde_json::to_string_pretty(&answer)?
    } else {
        match shape {
            Shape::List => list_text(&answer),
            Shape::One => task_text(&answer),
        }
    };
    println!("{}", text.trim_end());
    Ok(())
}

enum Shape {
    List,
    One,
}

struct Admin {
    base: String,
    svid: String,
    http: reqwest::Client,
}

impl Admin {
    async fn get(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<Value> {
        let request = self.http.get(format!("{}{path}", self.base)).query(query);
        self.send(request).await
    }

    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        self.send(request).await
    }

    async fn decide(&self, action: &str, decision: DecisionArgs) -> anyhow::Result<Value> {
        let body = json!({ "reason": decision.reason });
        self.post(&format!("/v1/tasks/{}/{action}", decision.id), &body)
            .await
    }

    /// Sends with the SVID; an error answer becomes one line naming the
    /// API's error code and description.
    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request
            .bearer_auth(&self.svid)
            .send()
            .await
            .with_context(|| {
                format!(
                    "cannot reach the admin API at {}: is the gateway running with \
                     gateway.admin_listen set?",
                    self.base
                )
            })?;

        let status = response.status();
        let text = response
            .text()
            .await
            .context("reading the admin API's answer")?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if !status.is_success() {
            let code = body["error"].as_str().unwrap_or("error");
            let description = body["error_description"]
                .as_str()
                .map_or_else(|| body.to_string(), str::to_owned);
            bail!("the admin API refused ({status}, {code}): {description}");
        }
        Ok(body)
    }
}

fn create_body(
    identity: String,
    goal: String,
    tools: Vec<String>,
    constraints: &[String],
    ttl: Option<String>,
    budget: Option<u64>,
) -> anyhow::Result<Value> {
    let constraints = constraints
        .iter()
        .map(|text| {
            serde_json::from_str::<Value>(text)
                .with_context(|| format!("--constraint `{text}` is not JSON"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    let mut body = Map::new();
    body.insert("identity".into(), json!(identity));
    body.insert("goal".into(), json!(goal));
    body.insert("tools".into(), json!(tools));
    if !constraints.is_empty() {
        body.insert("constraints".into(), json!(constraints));
    }
    if let Some(ttl) = ttl {
        body.insert("ttl".into(), json!(ttl));
    }
    if let Some(budget) = budget {
        body.insert("budget".into(), json!(budget));
    }
    Ok(Value::Object(body))
}

/// One line per task: id, status, identity, until when, goal.
fn list_text(answer: &Value) -> String {
    let tasks = answer["tasks"].as_array().cloned().unwrap_or_default();
    if tasks.is_empty() {
        return "no tasks".to_owned();
    }

    let mut text = format!(
        "{:<37} {:<9} {:<40} {:<20} GOAL\n",
        "TASK", "STATUS", "IDENTITY", "UNTIL"
    );
    for task in &tasks {
        let until = task["expires_at"]
            .as_str()
            .or_else(|| task["pending_until"].as_str())
            .unwrap_or("-");
        let _ = writeln!(
            text,
            "{:<37} {:<9} {:<40} {:<20} {}",
            field(task, "task"),
            field(task, "status"),
            field(task, "identity"),
            until,
            field(task, "goal"),
        );
    }
    text
}

/// A task as `key: value` lines.
fn task_text(task: &Value) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "task:        {}", field(task, "task"));
    let _ = writeln!(text, "status:      {}", field(task, "status"));
    let _ = writeln!(text, "identity:    {}", field(task, "identity"));
    let _ = writeln!(text, "goal:        {}", field(task, "goal"));
    let tools: Vec<&str> = task["tools"]
        .as_array()
        .map(|tools| tools.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let _ = writeln!(text, "tools:       {}", tools.join(", "));
    if let Some(constraints) = task["constraints"].as_array().filter(|c| !c.is_empty()) {
        let _ = writeln!(text, "constraints: {}", Value::Array(constraints.clone()));
    }
    for (label, key) in [
        ("expires at:  ", "expires_at"),
        ("pending to:  ", "pending_until"),
        ("approver:    ", "approver_role"),
        ("budget:      ", "budget"),
        ("calls made:  ", "calls_made"),
        ("decided by:  ", "decided_by"),
        ("reason:      ", "reason"),
    ] {
        if !task[key].is_null() {
            let _ = writeln!(text, "{label}{}", field(task, key));
        }
    }
    text
}

fn field(task: &Value, key: &str) -> String {
    match &task[key] {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}
