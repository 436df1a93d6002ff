//! The task record and its state machine.
//!
//! States move only along `pending → active → completed / expired / revoked`,
//! and `pending → denied / expired / revoked`; the terminal states never
//! change again. [`apply_transition`] and [`apply_call`] hold those rules so
//! that every store enforces them the same way.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Everything the gateway keeps about one task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The task id.
    pub id: String,
    /// The SPIFFE ID that declared the task.
    pub identity: String,
    /// The goal as the agent wrote it.
    pub goal: String,
    /// The tools the task asked for.
    pub tools: Vec<String>,
    /// The argument constraints, as JSON.
    pub constraints: serde_json::Value,
    /// Where the task is in its life.
    pub state: TaskState,
    /// When the task was declared.
    #[serde(with = "humantime_serde")]
    pub created_at: SystemTime,
    /// When the task (and its capability) expires once active.
    #[serde(with = "humantime_serde")]
    pub expires_at: SystemTime,
    /// When a pending task expires if nobody decides it.
    #[serde(with = "humantime_serde", default)]
    pub pending_expires_at: Option<SystemTime>,
    /// The lifetime the task asked for.
    #[serde(with = "humantime_serde")]
    pub ttl: Duration,
    /// The most calls the task may make, if limited.
    pub budget: Option<u64>,
    /// Calls made so far.
    pub calls_made: u64,
    /// The approver or rule that decided the task.
    pub decided_by: Option<String>,
    /// Why it was decided so.
    pub reason: Option<String>,
    /// The MCP session the task was declared in, if any.
    pub session: Option<String>,
    /// Revocation ids of the task's capability and call tokens.
    pub revocation_ids: Vec<String>,
    /// The role whose holders may decide the task while it is pending.
    #[serde(default)]
    pub approver_role: Option<String>,
    /// The task's capability, base64, once granted.
    #[serde(default)]
    pub capability: Option<String>,
}

/// Where a task is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Waiting for an approver.
    Pending,
    /// Granted; calls may be made.
    Active,
    /// Ended by the agent.
    Completed,
    /// Its TTL or approval window passed.
    Expired,
    /// Revoked by an operator.
    Revoked,
    /// Refused by policy or an approver.
    Denied,
}

/// A requested state change, applied only if the task is in one of `from`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The states the caller expects the task to be in.
    pub from: Vec<TaskState>,
    /// The new state.
    pub to: TaskState,
    /// Who or which rule decided, if this is a decision.
    pub decided_by: Option<String>,
    /// Why, if given.
    pub reason: Option<String>,
    /// Revocation ids to add to the record, e.g. of a newly minted capability.
    pub add_revocation_ids: Vec<String>,
    /// A newly minted capability to keep with the record.
    pub capability: Option<String>,
    /// A new expiry, for a pending task whose lifetime starts on approval.
    pub expires_at: Option<SystemTime>,
}

impl Transition {
    /// A change from one of `from` to `to`, with nothing else recorded.
    pub fn new(from: &[TaskState], to: TaskState) -> Self {
        Self {
            from: from.to_vec(),
            to,
            decided_by: None,
            reason: None,
            add_revocation_ids: Vec::new(),
            capability: None,
            expires_at: None,
        }
    }

    /// Records who or which rule decided.
    pub fn by(mut self, decided_by: impl Into<String>) -> Self {
        self.decided_by = Some(decided_by.into());
        self
    }

    /// Records why.
    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Keeps a newly minted capability, its revocation ids and its expiry.
    pub fn with_capability(
        mut self,
        capability: String,
        revocation_ids: Vec<String>,
        expires_at: SystemTime,
    ) -> Self {
        self.capability = Some(capability);
        self.add_revocation_ids = revocation_ids;
        self.expires_at = Some(expires_at);
        self
    }
}

/// Which tasks to list; an empty filter lists every task.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// Only tasks of this identity.
    pub identity: Option<String>,
    /// Only tasks in this state.
    pub state: Option<TaskState>,
}

impl TaskState {
    /// Tells whether a task in this state may move to `to`.
    pub fn can_become(self, to: TaskState) -> bool {
        use TaskState::*;

        matches!(
            (self, to),
            (Pending, Active | Denied | Expired | Revoked)
                | (Active, Completed | Expired | Revoked)
        )
    }

    /// Tells whether the state is final.
    pub fn is_terminal(self) -> bool {
        !matches!(self, TaskState::Pending | TaskState::Active)
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            TaskState::Pending => "pending",
            TaskState::Active => "active",
            TaskState::Completed => "completed",
            TaskState::Expired => "expired",
            TaskState::Revoked => "revoked",
            TaskState::Denied => "denied",
        };
        f.write_str(name)
    }
}

impl TaskFilter {
    /// Tells whether a record passes the filter.
    pub fn matches(&self, task: &TaskRecord) -> bool {
        self.identity.as_ref().is_none_or(|id| *id == task.identity)
            && self.state.is_none_or(|state| state == task.state)
    }
}

/// Computes the record after a transition, or why it cannot happen.
pub fn apply_transition(
    task: &TaskRecord,
    transition: &Transition,
) -> Result<TaskRecord, StoreError> {
    if !transition.from.contains(&task.state) {
        return Err(StoreError::StateConflict {
            id: task.id.clone(),
            expected: transition.from.clone(),
            actual: task.state,
        });
    }

    if !task.state.can_become(transition.to) {
        return Err(StoreError::InvalidTransition {
            id: task.id.clone(),
            from: task.state,
            to: transition.to,
        });
    }

    let mut next = task.clone();
    next.state = transition.to;
    next.decided_by = transition.decided_by.clone().or(next.decided_by);
    next.reason = transition.reason.clone().or(next.reason);
    next.revocation_ids
        .extend(transition.add_revocation_ids.iter().cloned());
    if let Some(capability) = &transition.capability {
        next.capability = Some(capability.clone());
    }
    if let Some(expires_at) = transition.expires_at {
        next.expires_at = expires_at;
    }
    Ok(next)
}

/// Computes the record after one more call, refusing inactive tasks and
/// tasks whose budget is spent.
pub fn apply_call(task: &TaskRecord) -> Result<TaskRecord, StoreError> {
    if task.state != TaskState::Active {
        return Err(StoreError::NotActive {
            id: task.id.clone(),
            state: task.state,
        });
    }

    if let Some(budget) = task.budget
        && task.calls_made >= budget
    {
        return Err(StoreError::BudgetExhausted {
            id: task.id.clone(),
            budget,
        });
    }

    let mut next = task.clone();
    next.calls_made += 1;
    Ok(next)
}
