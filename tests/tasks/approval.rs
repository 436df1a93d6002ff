//! Approvals, end to end on the default policy set: a task that writes waits
//! for an approver, who acts with `warden task`; the admin API lets each
//! identity do only what its roles allow.

use std::process::Output;

use serde_json::json;

use crate::support::TestAgent;
use crate::support::client::{AgentEvent, next_event, text_of};
use crate::support::process::{Gateway, agent_id};
use crate::support::tasks::{APPROVER, AUDITOR, PLATFORM};
use crate::{WAIT, gateway, gateway_on_default_policies, task_id};

/// Runs `warden task ARGS` as `spiffe_id` against the gateway's admin API.
fn warden_task(gateway: &Gateway, spiffe_id: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let svid = dir.path().join("svid.jwt");
    std::fs::write(&svid, gateway.svid(spiffe_id)).expect("write svid");
    std::process::Command::new(crate::support::warden_exe())
        .arg("task")
        .args(args)
        .arg("--admin-url")
        .arg(&gateway.admin_url)
        .arg("--svid")
        .arg(&svid)
        .output()
        .expect("run warden task")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "warden task failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr_of_failure(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn a_task_that_writes_goes_from_pending_to_active_on_approval() {
    let gateway = gateway_on_default_policies();
    let (agent, mut events) = TestAgent::connect(&gateway, "demo").await;
    let (refused, pending) = agent
        .request_task(json!({
            "goal": "close ticket 1, the VPN fix shipped",
            "tools": ["demo.get_ticket", "demo.close_ticket"],
            "ttl": "30m",
        }))
        .await;
    let task = task_id(&pending);
    assert!(!refused, "{pending}");
    assert_eq!(pending["status"], "pending", "{pending}");
    assert_eq!(pending["approver_role"], "approver");
    let early = agent
        .call(
            "demo.close_ticket",
            json!({ "id": 1, "resolution": "fixed" }),
        )
        .await;
    assert!(
        text_of(&early).contains("waiting for approval"),
        "{}",
        text_of(&early)
    );

    let listed = stdout(&warden_task(
        &gateway,
        APPROVER,
        &["list", "--state", "pending"],
    ));
    let by_agent = stderr_of_failure(&warden_task(
        &gateway,
        &agent_id("demo"),
        &["approve", &task],
    ));
    let approved = stdout(&warden_task(
        &gateway,
        APPROVER,
        &["approve", &task, "--reason", "change OPS-12"],
    ));
    next_event(&mut events, WAIT, |event| {
        matches!(event, AgentEvent::ToolsChanged).then_some(())
    })
    .await;
    let closed = agent
        .call(
            "demo.close_ticket",
            json!({ "id": 1, "resolution": "fixed" }),
        )
        .await;

    assert!(listed.contains(&task), "{listed}");
    assert!(by_agent.contains("missing_role"), "{by_agent}");
    assert!(approved.contains("status:      active"), "{approved}");
    assert!(
        approved.contains(&format!("decided by:  {APPROVER}")),
        "{approved}"
    );
    assert_ne!(closed.is_error, Some(true), "{}", text_of(&closed));
}

#[tokio::test]
async fn a_denied_task_never_grants_anything() {
    let gateway = gateway_on_default_policies();
    let (agent, _events) = TestAgent::connect(&gateway, "demo").await;
    let (_, pending) = agent
        .request_task(json!({ "goal": "delete ticket 2", "tools": ["demo.delete_ticket"] }))
        .await;
    let task = task_id(&pending);

    let denied = stdout(&warden_task(
        &gateway,
        APPROVER,
        &["deny", &task, "--reason", "ticket 2 is evidence"],
    ));
    let again = stderr_of_failure(&warden_task(&gateway, APPROVER, &["approve", &task]));
    let call = agent.call("demo.delete_ticket", json!({ "id": 2 })).await;
    let status = agent
        .call("warden_task_status", json!({ "task": task }))
        .await;

    assert!(denied.contains("status:      denied"), "{denied}");
    assert!(again.contains("wrong_state"), "{again}");
    assert!(
        text_of(&call).contains("is denied (ticket 2 is evidence)"),
        "{}",
        text_of(&call)
    );
    let status = status.structured_content.unwrap_or_default();
    assert_eq!(status["status"], "denied");
}

#[tokio::test]
async fn a_task_request_policy_denies_says_why() {
    let gateway = gateway_on_default_policies();
    let (agent, _events) = TestAgent::connect(&gateway, "demo").await;

    let (refused, denied) = agent
        .request_task(json!({ "goal": "purge", "tools": ["demo.delete_ticket"], "ttl": "2h" }))
        .await;

    assert!(refused, "a denied task is an error result: {denied}");
    assert_eq!(denied["status"], "denied");
    assert_eq!(denied["decided_by"], "policy rule destructive-task-ttl");
    assert!(
        denied["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("at most 1h"),
        "{denied}"
    );
}

#[tokio::test]
async fn the_admin_api_gives_each_role_only_its_own_powers() {
    let gateway = gateway();
    let body = json!({ "identity": agent_id("ci"), "goal": "nightly", "tools": ["demo.echo"] });

    let anonymous = reqwest::get(format!("{}/v1/tasks", gateway.admin_url))
        .await
        .expect("admin API reachable");
    let by_agent = gateway.admin(&agent_id("ci"), "/v1/tasks", None).await;
    let by_auditor = gateway
        .admin(AUDITOR, "/v1/tasks", Some(body.clone()))
        .await;
    let created = gateway.admin(PLATFORM, "/v1/tasks", Some(body)).await;
    let listed = gateway.admin(AUDITOR, "/v1/tasks?state=active", None).await;
    let task = task_id(&created.body);
    let revoked_by_auditor = gateway
        .admin(
            AUDITOR,
            &format!("/v1/tasks/{task}/revoke"),
            Some(json!({})),
        )
        .await;

    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(by_agent.status, 403, "{:?}", by_agent.body);
    assert_eq!(by_agent.body["error"], "missing_role");
    assert_eq!(by_auditor.status, 403, "{:?}", by_auditor.body);
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["session_bound"], false);
    assert_eq!(listed.status, 200);
    assert!(
        listed.body["tasks"].to_string().contains(&task),
        "{:?}",
        listed.body
    );
    assert_eq!(revoked_by_auditor.status, 403);
}

#[tokio::test]
async fn warden_task_create_show_and_revoke_work_for_a_pipeline() {
    let gateway = gateway();

    let created = stdout(&warden_task(
        &gateway,
        PLATFORM,
        &[
            "create",
            "--identity",
            &agent_id("nightly"),
            "--goal",
            "nightly triage",
            "--tool",
            "demo.list_tickets",
            "--tool",
            "demo.get_ticket",
            "--ttl",
            "1h",
            "--budget",
            "50",
            "--json",
        ],
    ));
    let created: serde_json::Value = serde_json::from_str(&created).expect("--json prints JSON");
    let task = task_id(&created);
    let shown = stdout(&warden_task(&gateway, AUDITOR, &["show", &task]));
    let revoked = stdout(&warden_task(&gateway, PLATFORM, &["revoke", &task]));
    let unknown = stderr_of_failure(&warden_task(&gateway, PLATFORM, &["show", "task-nope"]));
    let unreachable = {
        let output = std::process::Command::new(crate::support::warden_exe())
            .args([
                "task",
                "list",
                "--admin-url",
                "http://127.0.0.1:9",
                "--svid",
                "/dev/null",
            ])
            .output()
            .expect("run warden task");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };

    assert_eq!(created["status"], "active", "{created}");
    assert_eq!(created["budget"], 50);
    assert!(
        shown.contains("tools:       demo.list_tickets, demo.get_ticket"),
        "{shown}"
    );
    assert!(revoked.contains("status:      revoked"), "{revoked}");
    assert!(unknown.contains("unknown_task"), "{unknown}");
    assert!(unreachable.starts_with("error: "), "{unreachable}");
    assert_eq!(unreachable.lines().count(), 1, "one line: {unreachable}");
}
