//! The store trait: the state the gateway needs, whatever holds it.
//!
//! Implementations promise: a state transition and a revocation are durable
//! when the call returns; transitions are compare-and-set, so of two
//! concurrent transitions from the same state exactly one wins; counting a
//! call is atomic.

use crate::{StoreError, TaskFilter, TaskRecord, Transition};

/// Durable task and revocation state, shareable as `Arc<dyn Store>`.
pub trait Store: Send + Sync {
    /// Stores a new task durably; refuses an id that exists.
    fn create_task(&self, task: &TaskRecord) -> Result<(), StoreError>;

    /// Replaces a task record durably, whatever its state; for imports and
    /// repairs. Normal state changes go through [`Store::transition`].
    fn put_task(&self, task: &TaskRecord) -> Result<(), StoreError>;

    /// Reads one task.
    fn get_task(&self, id: &str) -> Result<Option<TaskRecord>, StoreError>;

    /// Lists tasks that pass the filter, ordered by id.
    fn list_tasks(&self, filter: &TaskFilter) -> Result<Vec<TaskRecord>, StoreError>;

    /// Moves a task to a new state if it is in one of the expected states,
    /// atomically and durably; returns the new record.
    fn transition(&self, id: &str, transition: &Transition) -> Result<TaskRecord, StoreError>;

    /// Counts one call of an active task within its budget, atomically;
    /// returns the new count.
    fn increment_calls(&self, id: &str) -> Result<u64, StoreError>;

    /// Marks revocation ids as revoked, durably, before returning.
    fn revoke(&self, revocation_ids: &[String]) -> Result<(), StoreError>;

    /// Tells whether a revocation id is revoked; cheap enough for every call.
    fn is_revoked(&self, revocation_id: &str) -> Result<bool, StoreError>;

    /// Makes every earlier write durable.
    fn flush(&self) -> Result<(), StoreError>;
}
