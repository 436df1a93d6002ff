//! The live policy set of a running gateway, and its hot reload.
//!
//! The store holds one validated set. Its watcher reads the directory every
//! [`RELOAD_INTERVAL`]; a change is validated as a whole and swapped in
//! atomically, so every decision sees exactly one version. A broken change is
//! logged with file, line and column and counted in [`PolicyStatus`], and the
//! last good set stays in force until the files are fixed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::set::read_policy_files;
use crate::{EvalLimits, PolicyError, PolicySet, PolicyVersion};

/// How often the watcher reads the policy directory.
pub const RELOAD_INTERVAL: Duration = Duration::from_millis(250);

/// The health of the live set, for `/healthz` and metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyStatus {
    /// The version in force.
    pub version: PolicyVersion,
    /// When that version was loaded.
    pub loaded_at: SystemTime,
    /// Why the latest change was refused, until a good set loads again.
    pub last_error: Option<String>,
    /// How many changes were refused since start.
    pub reload_failures: u64,
}

/// The live policy set, reloaded when its directory changes.
#[derive(Debug)]
pub struct PolicyStore {
    dir: PathBuf,
    limits: EvalLimits,
    archive_dir: Option<PathBuf>,
    current: ArcSwap<PolicySet>,
    status: ArcSwap<PolicyStatus>,
    versions: watch::Sender<PolicyVersion>,
    reloading: Mutex<()>,
}

/// What the watcher saw on its last read of the directory.
type Observation = Result<BTreeMap<String, String>, String>;

impl PolicyStore {
    /// Loads the set in `dir` and archives it; refuses to start on a broken set.
    pub fn start(
        dir: impl Into<PathBuf>,
        limits: EvalLimits,
        archive_dir: Option<PathBuf>,
    ) -> Result<Arc<Self>, PolicyError> {
        let dir = dir.into();
        let set = PolicySet::load_dir(&dir, limits)?;
        if let Some(archive) = &archive_dir {
            set.archive(archive)?;
        }
        log_loaded(&dir, &set);

        let status = PolicyStatus {
            version: set.version().clone(),
            loaded_at: SystemTime::now(),
            last_error: None,
            reload_failures: 0,
        };
        let (versions, _) = watch::channel(set.version().clone());
        Ok(Arc::new(Self {
            dir,
            limits,
            archive_dir,
            current: ArcSwap::from_pointee(set),
            status: ArcSwap::from_pointee(status),
            versions,
            reloading: Mutex::new(()),
        }))
    }

    /// The set in force; a caller keeps it for the whole of one decision.
    pub fn current(&self) -> Arc<PolicySet> {
        self.current.load_full()
    }

    /// The version in force, the latest refusal and the refusal count.
    pub fn status(&self) -> PolicyStatus {
        PolicyStatus::clone(&self.status.load())
    }

    /// Tells of every new version as it comes into force.
    pub fn subscribe(&self) -> watch::Receiver<PolicyVersion> {
        self.versions.subscribe()
    }

    /// The directory the set is loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads the directory now and swaps in a changed set; `Ok(true)` when a new
    /// version came into force. A refused set is logged and counted.
    pub fn reload(&self) -> Result<bool, PolicyError> {
        let result = read_policy_files(&self.dir).and_then(|files| self.install(files));
        if let Err(error) = &result {
            self.refused(error);
        }
        result
    }

    /// Polls the directory every [`RELOAD_INTERVAL`] until `shutdown`.
    pub fn watch(self: &Arc<Self>, shutdown: CancellationToken) -> JoinHandle<()> {
        let store = Arc::clone(self);
        tokio::spawn(async move {
            let mut last: Option<Observation> = Some(Ok(store.current().files().clone()));
            let mut ticker = tokio::time::interval(RELOAD_INTERVAL);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = ticker.tick() => {}
                }
                let polling = Arc::clone(&store);
                match tokio::task::spawn_blocking(move || polling.poll(last)).await {
                    Ok(seen) => last = seen,
                    Err(error) => {
                        tracing::error!(error = %error, "policy watcher step failed");
                        last = None;
                    }
                }
            }
            tracing::debug!(policy.dir = %store.dir.display(), "policy watcher stopped");
        })
    }

    /// One watcher step: acts only when the directory differs from `last`.
    fn poll(&self, last: Option<Observation>) -> Option<Observation> {
        let read = read_policy_files(&self.dir);
        let seen: Observation = match &read {
            Ok(files) => Ok(files.clone()),
            Err(error) => Err(error.to_string()),
        };
        if last.as_ref() == Some(&seen) {
            return last;
        }

        if let Err(error) = read.and_then(|files| self.install(files)) {
            self.refused(&error);
        }
        Some(seen)
    }

    /// Validates `files` as a whole and swaps them in if they differ.
    fn install(&self, files: BTreeMap<String, String>) -> Result<bool, PolicyError> {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if files.is_empty() {
            return Err(PolicyError::NoPolicyFiles {
                dir: self.dir.display().to_string(),
            });
        }
        if PolicyVersion::of_files(&files) == *self.current().version() {
            self.recovered(None);
            return Ok(false);
        }

        let set = PolicySet::from_files(files, self.limits).map_err(|e| e.in_dir(&self.dir))?;
        if let Some(archive) = &self.archive_dir {
            set.archive(archive)?;
        }
        log_loaded(&self.dir, &set);
        let version = set.version().clone();
        self.current.store(Arc::new(set));
        self.recovered(Some(version.clone()));
        self.versions.send_replace(version);
        Ok(true)
    }

    /// Clears the latest refusal; with a version, records it as newly loaded.
    fn recovered(&self, loaded: Option<PolicyVersion>) {
        let mut status = self.status();
        if loaded.is_none() && status.last_error.is_none() {
            return;
        }
        status.last_error = None;
        if let Some(version) = loaded {
            status.version = version;
            status.loaded_at = SystemTime::now();
        }
        self.status.store(Arc::new(status));
    }

    /// Records and logs a refused change; the set in force stays.
    fn refused(&self, error: &PolicyError) {
        let mut status = self.status();
        status.last_error = Some(error.to_string());
        status.reload_failures += 1;
        self.status.store(Arc::new(status));

        let at = error.location();
        tracing::error!(
            policy.dir = %self.dir.display(),
            policy.file = error.file(),
            policy.line = at.map(|at| at.line),
            policy.column = at.map(|at| at.column),
            policy.version = %self.current().version(),
            error = %error,
            "policy change refused; the last good set stays in force"
        );
    }
}

/// Logs a set coming into force.
fn log_loaded(dir: &Path, set: &PolicySet) {
    tracing::info!(
        policy.dir = %dir.display(),
        policy.version = %set.version(),
        policy.files = set.files().len(),
        policy.rules = set.rule_count(),
        "policy set loaded"
    );
}
