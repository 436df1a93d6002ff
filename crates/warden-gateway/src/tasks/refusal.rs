//! Why the task step refused something, in words a model can act on: every
//! message names the task or tool at fault and what to do next.

use warden_store::TaskState;

/// A refused task request or tool call.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TaskRefusal {
    /// The task request itself is malformed or asks for too much.
    #[error("invalid task request: {0}")]
    InvalidRequest(String),

    /// A call arrived while the identity holds no active task.
    #[error(
        "no active task: call `warden_request_task` with your goal and the tools you need, \
         then call `{tool}` again"
    )]
    NoTask {
        /// The tool called.
        tool: String,
    },

    /// A call named no task while the identity holds several.
    #[error(
        "several active tasks ({}): name one in the request's `_meta` as `warden/task`",
        .ids.join(", ")
    )]
    SeveralTasks {
        /// Their ids.
        ids: Vec<String>,
    },

    /// The named task does not exist for this identity. Another identity's
    /// task is reported the same way, so that ids reveal nothing.
    #[error("no task `{id}` for this identity: see `warden_task_status` for your tasks")]
    UnknownTask {
        /// The id given.
        id: String,
    },

    /// The task was declared in another MCP session.
    #[error(
        "task `{id}` belongs to another session: a task requested over MCP serves only the \
         session that requested it"
    )]
    OtherSession {
        /// The task.
        id: String,
    },

    /// The task waits for an approver.
    #[error(
        "task `{id}` is waiting for approval by the `{role}` role: call again once \
         `warden_task_status` shows it active"
    )]
    Pending {
        /// The task.
        id: String,
        /// Who must approve.
        role: String,
    },

    /// The task is over.
    #[error("task `{id}` is {state}{}: request a new task to go on", because(.reason))]
    Ended {
        /// The task.
        id: String,
        /// Its final state.
        state: TaskState,
        /// Why it ended, if known.
        reason: Option<String>,
    },

    /// The tool is outside the task's grant.
    #[error(
        "tool `{tool}` is not granted to task `{id}` (granted: {}): request a task that names it",
        .granted.join(", ")
    )]
    ToolNotGranted {
        /// The task.
        id: String,
        /// The tool called.
        tool: String,
        /// What the task may call.
        granted: Vec<String>,
    },

    /// The arguments break one of the task's constraints.
    #[error("the arguments break a constraint of task `{id}`: {constraint}")]
    Constraint {
        /// The task.
        id: String,
        /// The constraint, in words.
        constraint: String,
    },

    /// The capability itself refused the call, or a revocation id of it is
    /// revoked.
    #[error("the capability of task `{id}` does not allow this call: {reason}")]
    Capability {
        /// The task.
        id: String,
        /// What the token said.
        reason: String,
    },

    /// An approver or the agent acted on a task that is not in a state that
    /// allows it.
    #[error("task `{id}` is {state}: it cannot be {action}")]
    WrongState {
        /// The task.
        id: String,
        /// Its state now.
        state: TaskState,
        /// `approved`, `denied`, `revoked` or `ended`.
        action: &'static str,
    },

    /// Durable state could not be read or written; nothing was allowed.
    #[error("the gateway cannot use its task store ({0}); nothing was allowed, try again later")]
    Store(String),
}

impl TaskRefusal {
    /// The task the refusal is about, if it names one.
    pub(crate) fn task_id(&self) -> Option<&str> {
        match self {
            Self::Pending { id, .. }
            | Self::Ended { id, .. }
            | Self::ToolNotGranted { id, .. }
            | Self::Constraint { id, .. }
            | Self::Capability { id, .. }
            | Self::OtherSession { id }
            | Self::WrongState { id, .. } => Some(id),
            _ => None,
        }
    }
}

fn because(reason: &Option<String>) -> String {
    reason
        .as_deref()
        .map(|reason| format!(" ({reason})"))
        .unwrap_or_default()
}

impl From<warden_store::StoreError> for TaskRefusal {
    fn from(error: warden_store::StoreError) -> Self {
        Self::Store(error.to_string())
    }
}
