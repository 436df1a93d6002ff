//! [`Store`] on a sled database in one directory.
//!
//! Tasks live in the `tasks` tree as JSON, revocation ids in `revocations`.
//! Every creation, transition and revocation is flushed to disk before the
//! call returns. Call counts are written atomically but flushed with sled's
//! periodic flush, so a crash can forget the last half second of counts.

mod codec;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use sled::{CompareAndSwapError, Db, Tree};

use crate::record::{apply_call, apply_transition};
use crate::{Store, StoreError, TaskFilter, TaskRecord, Transition};

const TASKS: &str = "tasks";
const REVOCATIONS: &str = "revocations";

/// A store on a sled database, for one gateway process at a time.
pub struct SledStore {
    path: PathBuf,
    db: Db,
    tasks: Tree,
    revocations: Tree,
}

impl SledStore {
    /// Opens or creates the database at `path`; refuses it if another
    /// process holds it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = sled::open(path).map_err(|source| open_error(path, source))?;
        let tasks = db.open_tree(TASKS)?;
        let revocations = db.open_tree(REVOCATIONS)?;

        tracing::debug!(store.path = %path.display(), "store opened");
        Ok(Self {
            path: path.to_owned(),
            db,
            tasks,
            revocations,
        })
    }

    /// Returns the database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies `change` to a task with compare-and-swap, retrying when
    /// another writer got there first; returns the stored record.
    fn update(
        &self,
        id: &str,
        change: impl Fn(&TaskRecord) -> Result<TaskRecord, StoreError>,
    ) -> Result<TaskRecord, StoreError> {
        loop {
            let current = self
                .tasks
                .get(id)?
                .ok_or_else(|| StoreError::TaskNotFound(id.into()))?;
            let next = change(&codec::decode(id.as_bytes(), &current)?)?;
            let encoded = codec::encode(&next)?;

            match self
                .tasks
                .compare_and_swap(id, Some(current), Some(encoded))?
            {
                Ok(()) => return Ok(next),
                Err(CompareAndSwapError { .. }) => continue,
            }
        }
    }
}

impl Store for SledStore {
    fn create_task(&self, task: &TaskRecord) -> Result<(), StoreError> {
        let encoded = codec::encode(task)?;

        match self
            .tasks
            .compare_and_swap(&task.id, None::<&[u8]>, Some(encoded))?
        {
            Ok(()) => self.flush(),
            Err(_) => Err(StoreError::TaskExists(task.id.clone())),
        }
    }

    fn put_task(&self, task: &TaskRecord) -> Result<(), StoreError> {
        self.tasks.insert(&task.id, codec::encode(task)?)?;
        self.flush()
    }

    fn get_task(&self, id: &str) -> Result<Option<TaskRecord>, StoreError> {
        let stored = self.tasks.get(id)?;
        stored
            .map(|bytes| codec::decode(id.as_bytes(), &bytes))
            .transpose()
    }

    fn list_tasks(&self, filter: &TaskFilter) -> Result<Vec<TaskRecord>, StoreError> {
        let mut tasks = Vec::new();

        for entry in self.tasks.iter() {
            let (key, bytes) = entry?;
            let task = codec::decode(&key, &bytes)?;
            if filter.matches(&task) {
                tasks.push(task);
            }
        }
        Ok(tasks)
    }

    fn transition(&self, id: &str, transition: &Transition) -> Result<TaskRecord, StoreError> {
        let task = self.update(id, |task| apply_transition(task, transition))?;
        self.flush()?;

        tracing::debug!(task.id = %id, task.state = %task.state, "task state changed");
        Ok(task)
    }

    fn increment_calls(&self, id: &str) -> Result<u64, StoreError> {
        Ok(self.update(id, apply_call)?.calls_made)
    }

    fn revoke(&self, revocation_ids: &[String]) -> Result<(), StoreError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);

        let mut batch = sled::Batch::default();
        for id in revocation_ids {
            batch.insert(id.as_bytes(), &now.to_be_bytes());
        }
        self.revocations.apply_batch(batch)?;
        self.flush()?;

        tracing::info!(
            revocation.count = revocation_ids.len(),
            "revocation ids stored"
        );
        Ok(())
    }

    fn is_revoked(&self, revocation_id: &str) -> Result<bool, StoreError> {
        Ok(self.revocations.contains_key(revocation_id)?)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

fn open_error(path: &Path, source: sled::Error) -> StoreError {
    let locked = matches!(&source, sled::Error::Io(e) if e.to_string().contains("acquire lock"));

    if locked {
        StoreError::Locked(path.to_owned())
    } else {
        StoreError::Open {
            path: path.to_owned(),
            source,
        }
    }
}
