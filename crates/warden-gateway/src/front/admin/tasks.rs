//! `/v1/tasks`: tasks for approvers, pipelines and auditors.
//!
//! | method and path                | role                          |
//! | ------------------------------ | ----------------------------- |
//! | `GET /v1/tasks[?state=&identity=]` | approver, platform, auditor |
//! | `GET /v1/tasks/{id}`           | approver, platform, auditor   |
//! | `POST /v1/tasks`               | platform                      |
//! | `POST /v1/tasks/{id}/approve`  | the task's approver role      |
//! | `POST /v1/tasks/{id}/deny`     | the task's approver role      |
//! | `POST /v1/tasks/{id}/revoke`   | approver, platform            |

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use warden_identity::SpiffeId;
use warden_store::{TaskFilter, TaskRecord, TaskState};

use super::AdminState;
use super::caller::AdminCaller;
use super::error::AdminError;
use crate::tasks::lifecycle::Requester;
use crate::tasks::{TaskRequest, view};

const READERS: [&str; 3] = ["approver", "platform", "auditor"];
const REVOKERS: [&str; 2] = ["approver", "platform"];

/// Query of `GET /v1/tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    state: Option<String>,
    identity: Option<String>,
}

pub(crate) async fn list(
    State(state): State<Arc<AdminState>>,
    Extension(caller): Extension<AdminCaller>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, AdminError> {
    caller.require(&READERS, "list tasks")?;
    let filter = TaskFilter {
        identity: query.identity,
        state: query.state.as_deref().map(parse_state).transpose()?,
    };

    let tasks = state.hub.tasks().list(&filter)?;
    let views: Vec<Value> = tasks.iter().map(view::task).collect();
    Ok(Json(json!({ "tasks": views })))
}

pub(crate) async fn show(
    State(state): State<Arc<AdminState>>,
    Extension(caller): Extension<AdminCaller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AdminError> {
    caller.require(&READERS, "read tasks")?;
    Ok(Json(view::task(&task(&state, &id)?)))
}

/// Creates a task for an agent's identity, decided by the same policy as a
/// request over MCP; it serves every session of that identity.
pub(crate) async fn create(
    State(state): State<Arc<AdminState>>,
    Extension(caller): Extension<AdminCaller>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AdminError> {
    caller.require(&["platform"], "create tasks")?;
    let body = json_object(&body)?;
    let identity = match body.get("identity") {
        Some(Value::String(text)) => text.parse::<SpiffeId>().map_err(|error| {
            AdminError::bad_request(format!("`identity` `{text}` is not a SPIFFE ID: {error}"))
        })?,
        _ => {
            return Err(AdminError::bad_request(
                "`identity` is required: the SPIFFE ID of the agent the task is for".to_owned(),
            ));
        }
    };

    let hub = &state.hub;
    let tasks = hub.tasks();
    let request = TaskRequest::from_json(&body, tasks.limits(), &["identity"])?;
    let identity = identity.to_string();
    let requester = Requester {
        identity: &identity,
        session: None,
    };
    let routes = hub.routes();
    let policy = hub.policy().current();
    let (task, _decision) = tasks.request(requester, request, routes.as_ref(), &policy)?;
    tracing::info!(
        task.id = %task.id,
        admin.spiffe_id = %caller.spiffe_id,
        agent.spiffe_id = %task.identity,
        "task created through the admin API"
    );
    Ok((StatusCode::CREATED, Json(view::task(&task))))
}

pub(crate) async fn approve(
    State(state): State<Arc<AdminState>>,
    Extension(caller): Extension<AdminCaller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let task = decidable(&state, &caller, &id, "approve")?;
    let reason = reason(&body)?;
    let task = state
        .hub
        .tasks()
        .approve(&task.id, &caller.spiffe_id.to_string(), reason)?;
    Ok(Json(view::task(&task)))
}

pub(crate) async fn deny(
    State(state): State<Arc<AdminState>>,
    Extension(caller): Extension<AdminCaller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let task = decidable(&state, &caller, &id, "deny")?;
    let reason = reason(&body)?;
    let task = state
        .hub
        .tasks()
        .deny(&task.id, &caller.spiffe_id.to_string(), reason)?;
    Ok(Json(view::task(&task)))
}

pub(crate) async fn revoke(
    State(state): State<Arc<AdminState>>,
    Extension(caller): Extension<AdminCaller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    caller.require(&REVOKERS, "revoke tasks")?;
    let reason = reason(&body)?;
    let by = caller.spiffe_id.to_string();
    let task = state.hub.tasks().revoke(&id, &by, reason)?;
    Ok(Json(view::task(&task)))
}

/// The pending task `id`, if the caller holds the role that decides it and
/// is not the agent asking.
fn decidable(
    state: &AdminState,
    caller: &AdminCaller,
    id: &str,
    action: &str,
) -> Result<TaskRecord, AdminError> {
    let task = task(state, id)?;
    let role = task.approver_role.as_deref().unwrap_or("approver");
    caller.require(&[role], &format!("{action} task `{id}`"))?;

    if task.identity == caller.spiffe_id.to_string() {
        return Err(AdminError::new(
            StatusCode::FORBIDDEN,
            "own_task",
            format!("`{}` may not {action} its own task", caller.spiffe_id),
        ));
    }
    Ok(task)
}

fn task(state: &AdminState, id: &str) -> Result<TaskRecord, AdminError> {
    state.hub.tasks().get(id)?.ok_or_else(|| {
        AdminError::new(
            StatusCode::NOT_FOUND,
            "unknown_task",
            format!("no task `{id}`: list tasks with GET /v1/tasks"),
        )
    })
}

fn parse_state(text: &str) -> Result<TaskState, AdminError> {
    serde_json::from_value(Value::String(text.to_owned())).map_err(|_| {
        AdminError::bad_request(format!(
            "unknown state `{text}`: use pending, active, completed, expired, revoked or denied"
        ))
    })
}

/// The optional `{"reason": "..."}` of a decision; an empty body has none.
fn reason(body: &Bytes) -> Result<Option<String>, AdminError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let body = json_object(body)?;
    match body.get("reason") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(AdminError::bad_request(format!(
            "`reason` must be a string, not {other}"
        ))),
    }
}

fn json_object(body: &Bytes) -> Result<Map<String, Value>, AdminError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(AdminError::bad_request(
            "the body must be a JSON object".to_owned(),
        )),
        Err(error) => Err(AdminError::bad_request(format!(
            "the body is not JSON: {error}"
        ))),
    }
}
