//! Tasks as JSON, the same shape for agents (over MCP) and for approvers
//! and pipelines (over the admin API). The capability itself never leaves
//! the gateway: agents act through it, they do not carry it.

use std::time::SystemTime;

use serde_json::{Value, json};
use warden_store::{TaskRecord, TaskState};

/// A task as its agent and its approvers see it.
pub(crate) fn task(task: &TaskRecord) -> Value {
    let mut view = json!({
        "task": task.id,
        "status": task.state.to_string(),
        "identity": task.identity,
        "goal": task.goal,
        "tools": task.tools,
        "constraints": task.constraints,
        "created_at": time(task.created_at),
        "ttl_seconds": task.ttl.as_secs(),
        "budget": task.budget,
        "calls_made": task.calls_made,
        "decided_by": task.decided_by,
        "reason": task.reason,
        "session_bound": task.session.is_some(),
    });

    let fields = view.as_object_mut();
    if let Some(fields) = fields {
        match task.state {
            TaskState::Pending => {
                fields.insert("approver_role".into(), json!(task.approver_role));
                let until = task.pending_expires_at.map(time);
                fields.insert("pending_until".into(), json!(until));
            }
            TaskState::Active => {
                fields.insert("expires_at".into(), json!(time(task.expires_at)));
            }
            _ => {}
        }
    }
    view
}

/// What to tell an agent next, by the task's state.
pub(crate) fn next_step(task: &TaskRecord) -> String {
    match task.state {
        TaskState::Active => format!(
            "granted: call the granted tools now (they are listed in tools/list); name this task \
             in `_meta` as `warden/task` if you hold several; call `warden_end_task` when done \
             (it expires at {})",
            time(task.expires_at)
        ),
        TaskState::Pending => format!(
            "waiting for approval by the `{}` role: check `warden_task_status` later",
            task.approver_role.as_deref().unwrap_or("approver")
        ),
        TaskState::Denied => format!(
            "denied: {}",
            task.reason.as_deref().unwrap_or("no reason given")
        ),
        state => format!(
            "the task is {state}: {}",
            task.reason.as_deref().unwrap_or("no reason given")
        ),
    }
}

/// RFC 3339, to the second, in UTC.
pub(crate) fn time(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()
}
