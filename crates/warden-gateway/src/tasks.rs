//! The task step of the call path: tasks, their capabilities, and the
//! authorization of every tool call against them.
//!
//! A task lives in the store (durable, the truth) and, while it is pending or
//! active, in a live index here with its parsed capability, so that a call
//! costs no scan and no token parsing. Every change goes to the store first;
//! the index follows only once the store has it.
//!
//! Guarantees:
//!
//! - no tool call passes without an active task of the caller's identity
//!   whose capability, attenuated to the call, authorizes it;
//! - a task ends (completed, expired, revoked, denied) at most once, and its
//!   revocation ids are stored before anyone is told it ended;
//! - every call checks the store's revocations, so a revocation holds on the
//!   very next call;
//! - a task whose TTL or approval window passed is expired before it can be
//!   used, whether the sweeper got to it yet or not.

mod call;
mod clock;
pub(crate) mod lifecycle;
mod recovery;
mod refusal;
mod request;
pub(crate) mod view;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use parking_lot::RwLock;
use warden_capability::{Biscuit, CallSigner, CapabilityError, KeyRing};
use warden_store::{SledStore, Store, TaskRecord, TaskState};

pub(crate) use call::Caller;
pub(crate) use clock::Clock;
pub(crate) use refusal::TaskRefusal;
pub(crate) use request::TaskRequest;

use crate::config::TasksConfig;
use crate::error::GatewayError;

/// Told of every change of a task, once the store has it.
pub(crate) type TaskListener = Box<dyn Fn(TaskChange<'_>) + Send + Sync>;

/// What happened to a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskChangeKind {
    /// Policy decided a request: the task is active, pending or denied.
    Requested,
    /// An approver granted the pending task.
    Approved,
    /// The task reached a final state.
    Ended,
}

/// One change of a task, for the audit log and for the sessions whose tool
/// listing it changes.
pub(crate) struct TaskChange<'a> {
    pub(crate) kind: TaskChangeKind,
    pub(crate) record: &'a TaskRecord,
    /// The policy decision, for a request.
    pub(crate) decision: Option<&'a warden_policy::Decision>,
    /// Whether the tools the task's identity may call changed.
    pub(crate) tools_changed: bool,
}

/// A pending or active task, with its capability once granted and the
/// signer of its call tokens.
#[derive(Clone)]
struct Live {
    record: TaskRecord,
    capability: Option<Arc<Biscuit>>,
    signer: Arc<CallSigner>,
}

/// Tasks, their capabilities and the root keys that sign them.
pub(crate) struct Tasks {
    store: Arc<dyn Store>,
    keys: KeyRing,
    limits: TasksConfig,
    clock: Clock,
    live: RwLock<HashMap<String, Live>>,
    /// The task each identity saw end last, so that a call after the end
    /// learns why rather than only that no task is active.
    last_ended: RwLock<HashMap<String, TaskRecord>>,
    changed: TaskListener,
}

impl Tasks {
    /// Opens the task store and the root key ring in `data_dir`, creating
    /// them on first start, and settles tasks that ended while the gateway
    /// was down.
    pub(crate) fn open(
        data_dir: &Path,
        limits: TasksConfig,
        changed: TaskListener,
    ) -> Result<Self, GatewayError> {
        let store = SledStore::open(&data_dir.join("store"))
            .map_err(|error| GatewayError::Store(error.to_string()))?;
        let keys = open_keys(&data_dir.join("keys"))?;
        Self::with_store(Arc::new(store), keys, limits, Clock::System, changed)
    }

    /// Runs on the given store, keys and clock.
    pub(crate) fn with_store(
        store: Arc<dyn Store>,
        keys: KeyRing,
        limits: TasksConfig,
        clock: Clock,
        changed: TaskListener,
    ) -> Result<Self, GatewayError> {
        let tasks = Self {
            store,
            keys,
            limits,
            clock,
            live: RwLock::new(HashMap::new()),
            last_ended: RwLock::new(HashMap::new()),
            changed,
        };
        tasks.recover()?;
        Ok(tasks)
    }

    pub(crate) fn limits(&self) -> &TasksConfig {
        &self.limits
    }

    /// One task, live or ended.
    pub(crate) fn get(&self, id: &str) -> Result<Option<TaskRecord>, TaskRefusal> {
        if let Some(live) = self.live.read().get(id) {
            return Ok(Some(live.record.clone()));
        }
        Ok(self.store.get_task(id)?)
    }

    /// Tasks that pass `filter`, oldest first.
    pub(crate) fn list(
        &self,
        filter: &warden_store::TaskFilter,
    ) -> Result<Vec<TaskRecord>, TaskRefusal> {
        let mut tasks = self.store.list_tasks(filter)?;
        tasks.sort_by_key(|task| task.created_at);
        Ok(tasks)
    }

    /// The tools that `identity` may call from `session`: those of its
    /// active tasks that serve the session.
    pub(crate) fn granted_tools(&self, identity: &str, session: Option<&str>) -> BTreeSet<String> {
        self.live
            .read()
            .values()
            .filter(|live| live.record.state == TaskState::Active)
            .filter(|live| serves(&live.record, identity, session))
            .flat_map(|live| live.record.tools.iter().cloned())
            .collect()
    }

    /// Pending and active tasks of `identity` that serve `session`, oldest first.
    pub(crate) fn live_tasks(&self, identity: &str, session: Option<&str>) -> Vec<TaskRecord> {
        let mut tasks: Vec<TaskRecord> = self
            .live
            .read()
            .values()
            .filter(|live| serves(&live.record, identity, session))
            .map(|live| live.record.clone())
            .collect();
        tasks.sort_by_key(|task| task.created_at);
        tasks
    }

    /// How many tasks are in each live state, for `/metrics`.
    pub(crate) fn live_counts(&self) -> (usize, usize) {
        let live = self.live.read();
        let active = live
            .values()
            .filter(|live| live.record.state == TaskState::Active)
            .count();
        (live.len() - active, active)
    }
}

/// Whether a task of `identity` may be used from `session` (`None` for a
/// request outside any MCP session, as on protocol versions without them):
/// tasks created through the admin API, or requested outside a session,
/// serve every request of their identity; tasks requested in an MCP session
/// serve only that session.
fn serves(task: &TaskRecord, identity: &str, session: Option<&str>) -> bool {
    task.identity == identity
        && task
            .session
            .as_deref()
            .is_none_or(|own| Some(own) == session)
}

fn open_keys(dir: &Path) -> Result<KeyRing, GatewayError> {
    match KeyRing::open(dir) {
        Ok(keys) => Ok(keys),
        Err(CapabilityError::KeyRingMissing(_)) => {
            let keys = KeyRing::init(dir).map_err(GatewayError::Keys)?;
            tracing::info!(
                key.dir = %dir.display(),
                key.id = %keys.active().kid,
                "created the root key ring that signs capabilities"
            );
            Ok(keys)
        }
        Err(error) => Err(GatewayError::Keys(error)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests;
