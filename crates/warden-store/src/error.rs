//! The one error type of the store.
//!
//! Messages are lowercase, name the database path, task or record concerned,
//! and say what to do where something can be done.

use std::path::PathBuf;

use crate::TaskState;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the database.
    #[error(
        "database {0} is locked by another process: stop the other gateway or give this one \
         its own data_dir"
    )]
    Locked(PathBuf),

    /// The database could not be opened or created at this path.
    #[error(
        "cannot open database {path}: {source}: check that the directory exists and is writable"
    )]
    Open {
        /// The database path.
        path: PathBuf,
        /// The underlying failure.
        source: sled::Error,
    },

    /// A read, write or flush failed after opening.
    #[error("database operation failed: {0}")]
    Backend(#[from] sled::Error),

    /// A task with this id already exists.
    #[error("task `{0}` already exists: choose a new task id")]
    TaskExists(String),

    /// No task has this id.
    #[error("no task `{0}`: list tasks with `warden task list`")]
    TaskNotFound(String),

    /// The task was not in an expected state, e.g. another approver won.
    #[error("task `{id}` is {actual}, not {}", display_states(expected))]
    StateConflict {
        /// The task.
        id: String,
        /// The states the caller expected.
        expected: Vec<TaskState>,
        /// The state it is in.
        actual: TaskState,
    },

    /// The state machine does not allow this change.
    #[error("task `{id}` cannot go from {from} to {to}")]
    InvalidTransition {
        /// The task.
        id: String,
        /// Its current state.
        from: TaskState,
        /// The refused target state.
        to: TaskState,
    },

    /// A call was counted against a task that is not active.
    #[error("task `{id}` is {state}, not active: request a new task")]
    NotActive {
        /// The task.
        id: String,
        /// Its state.
        state: TaskState,
    },

    /// The task's call budget is spent.
    #[error("task `{id}` has used its budget of {budget} calls: request a new task")]
    BudgetExhausted {
        /// The task.
        id: String,
        /// Its budget.
        budget: u64,
    },

    /// A record was written by a newer Warden in a format this one cannot read.
    #[error(
        "record `{key}` has format {found}, but this warden reads format {supported}: upgrade \
         warden"
    )]
    UnsupportedFormat {
        /// The record's key.
        key: String,
        /// The format it has.
        found: u64,
        /// The format this build reads.
        supported: u64,
    },

    /// A record cannot be decoded.
    #[error("record `{key}` is corrupt ({reason}): restore the data directory from a backup")]
    CorruptRecord {
        /// The record's key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn display_states(states: &[TaskState]) -> String {
    let names: Vec<String> = states.iter().map(ToString::to_string).collect();
    names.join(" or ")
}
