//! Warden's own MCP tools, the only tools an agent sees before it holds a
//! task: `warden_request_task`, `warden_task_status` and `warden_end_task`.

use std::sync::Arc;

use rmcp::model::{CallToolResult, JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};
use warden_store::TaskRecord;

use crate::hub::Hub;
use crate::routes::Routes;
use crate::tasks::lifecycle::{Requester, ToolCatalog};
use crate::tasks::{TaskRefusal, TaskRequest, view};

pub(crate) const REQUEST_TASK: &str = "warden_request_task";
pub(crate) const TASK_STATUS: &str = "warden_task_status";
pub(crate) const END_TASK: &str = "warden_end_task";

/// How many exported tool names the request tool's description lists.
const DESCRIBED_TOOLS: usize = 60;

/// Whether `name` is one of Warden's own tools.
pub(crate) fn is_warden_tool(name: &str) -> bool {
    [REQUEST_TASK, TASK_STATUS, END_TASK].contains(&name)
}

/// Warden's tools, with the names of the tools a task may ask for written
/// into the request tool's description: an agent has no other way to learn
/// them before its first task.
pub(crate) fn definitions(routes: &Routes) -> Vec<Tool> {
    vec![request_task(routes), task_status(), end_task()]
}

fn request_task(routes: &Routes) -> Tool {
    let names = ToolCatalog::tool_names(routes);
    let listed = names
        .iter()
        .take(DESCRIBED_TOOLS)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = names.len().saturating_sub(DESCRIBED_TOOLS);
    let more = if more > 0 {
        format!(" (and {more} more)")
    } else {
        String::new()
    };
    let description = format!(
        "Ask for access to tools for one task. Tools are available only during a granted task: \
         state your goal, the tools you need (exact names, or `upstream.*` for all of one \
         upstream), and optionally argument constraints, a ttl and a call budget. The answer \
         is `active` (call the tools now), `pending` (an approver must decide; check \
         warden_task_status) or `denied` (with the reason). Tools you can ask for: \
         {listed}{more}."
    );
    let schema = json!({
        "type": "object",
        "properties": {
            "goal": {
                "type": "string",
                "description": "What the task is for, in a sentence: approvers read it.",
            },
            "tools": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "description": "Tools the task needs: exact names like `demo.get_ticket`, or \
                                `demo.*` for every tool of an upstream.",
            },
            "constraints": {
                "type": "array",
                "description": "Limits on arguments of every call in the task.",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"enum": ["equals", "one_of", "prefix", "range"]},
                        "arg": {"type": "string", "description": "Argument name."},
                        "value": {"description": "For `equals`: the required value."},
                        "values": {"type": "array", "description": "For `one_of`."},
                        "prefix": {"type": "string", "description": "For `prefix`."},
                        "min": {"type": "integer", "description": "For `range`."},
                        "max": {"type": "integer", "description": "For `range`."},
                    },
                    "required": ["kind", "arg"],
                },
            },
            "ttl": {
                "type": ["string", "integer"],
                "description": "How long the task lasts: \"15m\", \"1h\", or seconds.",
            },
            "budget": {
                "type": "integer",
                "minimum": 1,
                "description": "The most tool calls the task may make.",
            },
        },
        "required": ["goal", "tools"],
        "additionalProperties": false,
    });
    let annotations = ToolAnnotations::with_title("Request a task")
        .read_only(false)
        .destructive(false)
        .idempotent(false)
        .open_world(false);
    Tool::new(REQUEST_TASK, description, object(schema)).annotate(annotations)
}

fn task_status() -> Tool {
    let schema = json!({
        "type": "object",
        "properties": {
            "task": {
                "type": "string",
                "description": "A task id; without one, every pending and active task of yours.",
            },
        },
        "additionalProperties": false,
    });
    let annotations = ToolAnnotations::with_title("Task status")
        .read_only(true)
        .open_world(false);
    Tool::new(
        TASK_STATUS,
        "Show a task's status (pending, active, completed, expired, revoked, denied), its \
         granted tools, expiry and calls made.",
        object(schema),
    )
    .annotate(annotations)
}

fn end_task() -> Tool {
    let schema = json!({
        "type": "object",
        "properties": {
            "task": {
                "type": "string",
                "description": "The task to end; without one, your only live task.",
            },
            "outcome": {
                "type": "string",
                "description": "What the task achieved, for the record.",
            },
        },
        "additionalProperties": false,
    });
    let annotations = ToolAnnotations::with_title("End a task")
        .read_only(false)
        .destructive(false)
        .idempotent(true)
        .open_world(false);
    Tool::new(
        END_TASK,
        "End a task when its work is done: its tools disappear and its access is revoked at once.",
        object(schema),
    )
    .annotate(annotations)
}

fn object(schema: Value) -> Arc<JsonObject> {
    match schema {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

/// Who calls a Warden tool.
pub(crate) struct Agent<'a> {
    pub(crate) identity: &'a str,
    /// The MCP session, if the protocol version has sessions; a task
    /// requested outside one serves every request of the identity.
    pub(crate) session: Option<&'a str>,
}

/// Runs one of Warden's tools.
pub(crate) fn call(hub: &Hub, agent: &Agent<'_>, name: &str, args: &JsonObject) -> CallToolResult {
    let outcome = match name {
        REQUEST_TASK => request(hub, agent, args),
        TASK_STATUS => status(hub, agent, args),
        _ => end(hub, agent, args),
    };
    outcome.unwrap_or_else(|refusal| {
        CallToolResult::structured_error(json!({"error": refusal.to_string()}))
    })
}

fn request(hub: &Hub, agent: &Agent<'_>, args: &JsonObject) -> Result<CallToolResult, TaskRefusal> {
    let tasks = hub.tasks();
    let request = TaskRequest::from_json(args, tasks.limits(), &[])?;
    let requester = Requester {
        identity: agent.identity,
        session: agent.session,
    };
    let routes = hub.routes();
    let policy = hub.policy().current();
    let (task, _decision) = tasks.request(requester, request, routes.as_ref(), &policy)?;
    Ok(answer(&task))
}

fn status(hub: &Hub, agent: &Agent<'_>, args: &JsonObject) -> Result<CallToolResult, TaskRefusal> {
    let tasks = hub.tasks();
    match string_arg(args, "task")? {
        Some(id) => Ok(answer(&own_task(hub, agent, id)?)),
        None => {
            let live = tasks.live_tasks(agent.identity, agent.session);
            let views: Vec<Value> = live.iter().map(view::task).collect();
            let next = if live.is_empty() {
                "no pending or active task: call `warden_request_task` to start one"
            } else {
                "these are your pending and active tasks"
            };
            Ok(CallToolResult::structured(
                json!({"tasks": views, "next": next}),
            ))
        }
    }
}

fn end(hub: &Hub, agent: &Agent<'_>, args: &JsonObject) -> Result<CallToolResult, TaskRefusal> {
    let tasks = hub.tasks();
    let outcome = string_arg(args, "outcome")?.map(str::to_owned);
    let task = match string_arg(args, "task")? {
        Some(id) => own_task(hub, agent, id)?,
        None => match tasks.live_tasks(agent.identity, agent.session).as_slice() {
            [only] => only.clone(),
            [] => {
                return Err(TaskRefusal::InvalidRequest(
                    "you hold no pending or active task to end".to_owned(),
                ));
            }
            several => {
                let ids = several.iter().map(|task| task.id.clone()).collect();
                return Err(TaskRefusal::SeveralTasks { ids });
            }
        },
    };
    let ended = tasks.end(&task, outcome)?;
    Ok(answer(&ended))
}

/// The caller's own task `id`; another identity's task is unknown to it.
fn own_task(hub: &Hub, agent: &Agent<'_>, id: &str) -> Result<TaskRecord, TaskRefusal> {
    let unknown = || TaskRefusal::UnknownTask { id: id.to_owned() };
    let task = hub.tasks().get(id)?.ok_or_else(unknown)?;
    if task.identity != agent.identity {
        return Err(unknown());
    }
    Ok(task)
}

/// A task as the answer of a Warden tool: denied tasks are errors, so that
/// a client that only looks at `isError` still sees the refusal.
fn answer(task: &TaskRecord) -> CallToolResult {
    let mut body = view::task(task);
    if let Some(fields) = body.as_object_mut() {
        fields.insert("next".into(), json!(view::next_step(task)));
    }
    if task.state == warden_store::TaskState::Denied {
        CallToolResult::structured_error(body)
    } else {
        CallToolResult::structured(body)
    }
}

fn string_arg<'a>(args: &'a JsonObject, key: &str) -> Result<Option<&'a str>, TaskRefusal> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str())),
        Some(other) => Err(TaskRefusal::InvalidRequest(format!(
            "`{key}` must be a string, not {other}"
        ))),
    }
}

impl ToolCatalog for Routes {
    fn tool_names(&self) -> Vec<String> {
        self.tool_list
            .iter()
            .map(|tool| tool.name.to_string())
            .collect()
    }

    fn hints(&self, tool: &str) -> Vec<String> {
        Routes::hints(self, tool)
            .iter()
            .map(|hint| (*hint).to_owned())
            .collect()
    }
}
