//! [`Store`] in memory, for unit tests of callers; it forgets everything
//! when dropped and so promises no durability.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use crate::record::{apply_call, apply_transition};
use crate::{Store, StoreError, TaskFilter, TaskRecord, Transition};

/// A store that keeps everything in memory, under one lock.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    tasks: BTreeMap<String, TaskRecord>,
    revoked: HashSet<String>,
}

impl MemoryStore {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(
        &self,
        id: &str,
        change: impl Fn(&TaskRecord) -> Result<TaskRecord, StoreError>,
    ) -> Result<TaskRecord, StoreError> {
        let mut state = self.lock();
        let task = state
            .tasks
            .get_mut(id)
            .ok_or_else(|| StoreError::TaskNotFound(id.into()))?;

        *task = change(task)?;
        Ok(task.clone())
    }
}

impl Store for MemoryStore {
    fn create_task(&self, task: &TaskRecord) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.tasks.contains_key(&task.id) {
            return Err(StoreError::TaskExists(task.id.clone()));
        }

        state.tasks.insert(task.id.clone(), task.clone());
        Ok(())
    }

    fn put_task(&self, task: &TaskRecord) -> Result<(), StoreError> {
        self.lock().tasks.insert(task.id.clone(), task.clone());
        Ok(())
    }

    fn get_task(&self, id: &str) -> Result<Option<TaskRecord>, StoreError> {
        Ok(self.lock().tasks.get(id).cloned())
    }

    fn list_tasks(&self, filter: &TaskFilter) -> Result<Vec<TaskRecord>, StoreError> {
        Ok(self
            .lock()
            .tasks
            .values()
            .filter(|t| filter.matches(t))
            .cloned()
            .collect())
    }

    fn transition(&self, id: &str, transition: &Transition) -> Result<TaskRecord, StoreError> {
        self.update(id, |task| apply_transition(task, transition))
    }

    fn increment_calls(&self, id: &str) -> Result<u64, StoreError> {
        Ok(self.update(id, apply_call)?.calls_made)
    }

    fn revoke(&self, revocation_ids: &[String]) -> Result<(), StoreError> {
        self.lock().revoked.extend(revocation_ids.iter().cloned());
        Ok(())
    }

    fn is_revoked(&self, revocation_id: &str) -> Result<bool, StoreError> {
        Ok(self.lock().revoked.contains(revocation_id))
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
