//! The append side of the log: [`AuditLog`], a handle to the writer thread.
//!
//! Appends from any number of tasks are queued to one thread that owns the
//! file and commits them in groups: one write and one `fdatasync` per group.
//! An append returns only once its record is durable, and a log that failed
//! to write or sync refuses every append after, so that nothing is ever
//! acknowledged that is not on disk.

mod open;
mod thread;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, mpsc};

use tokio::sync::oneshot;

use crate::private::create_private_dir;
use crate::{Appended, AuditConfig, AuditError, AuditKeys, Event, OpenReport, Redactor};

/// The log file's name in the audit directory.
pub const LOG_FILE: &str = "audit.jsonl";

/// The key directory's name in the audit directory.
pub const KEYS_DIR: &str = "keys";

/// A request to the writer thread.
pub(crate) enum Command {
    Append {
        event: Box<Event>,
        reply: oneshot::Sender<Result<Appended, AuditError>>,
        /// Answer once the record is synced, or as soon as it is written.
        synced: bool,
    },
    RotateKey {
        reply: oneshot::Sender<Result<String, AuditError>>,
    },
    Close {
        reply: oneshot::Sender<Result<(), AuditError>>,
    },
}

/// State shared between the handle and the writer thread.
#[derive(Default)]
pub(crate) struct Shared {
    /// Why the log failed; set once, never cleared.
    pub(crate) failure: OnceLock<String>,
    pub(crate) appended: AtomicU64,
    pub(crate) syncs: AtomicU64,
    pub(crate) checkpoints: AtomicU64,
}

/// Counters since the log was opened, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditStats {
    /// Records appended and made durable, checkpoints excluded.
    pub appended: u64,
    /// Group commits: each one write and one sync.
    pub syncs: u64,
    /// Checkpoints written.
    pub checkpoints: u64,
}

/// An open audit log. Cheap to share as `Arc<AuditLog>`; every method takes
/// `&self` except [`AuditLog::close`].
pub struct AuditLog {
    path: PathBuf,
    commands: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    redactor: Redactor,
}

impl AuditLog {
    /// Opens the log in `dir` (`dir/audit.jsonl`, keys in `dir/keys/`),
    /// creating what is missing, checking the existing chain, and cutting a
    /// torn last line left by a crash. Starts the writer thread.
    pub fn open(dir: &Path, config: AuditConfig) -> Result<(AuditLog, OpenReport), AuditError> {
        config.validate()?;
        create_private_dir(dir)?;

        let keys_dir = dir.join(KEYS_DIR);
        let keys = AuditKeys::open_or_init(&keys_dir)?;
        let redactor = Redactor::open_or_init(&keys_dir, &config.redact)?;

        let path = dir.join(LOG_FILE);
        let opened = open::open_log(&path, &keys)?;
        let report = opened.report.clone();
        tracing::info!(
            audit.path = %path.display(),
            audit.last_seq = report.last_seq,
            audit.key_id = %report.key_id,
            "opened audit log"
        );

        let shared = Arc::new(Shared::default());
        let writer = thread::Writer::new(opened, path.clone(), keys, config, Arc::clone(&shared));
        let (commands, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("warden-audit".into())
            .spawn(move || writer.run(queue))
            .map_err(|e| AuditError::io("start the writer thread for", &path, e))?;

        let log = AuditLog {
            path,
            commands,
            shared,
            redactor,
        };
        Ok((log, report))
    }

    /// Appends an event and returns once its record is written and synced.
    /// The configured keys of `event.request` are redacted first. A
    /// checkpoint kind is refused: only the log writes checkpoints.
    ///
    /// If the future is dropped after the event was queued, the record may
    /// still be written; it is then simply not acknowledged.
    pub async fn append(&self, event: Event) -> Result<Appended, AuditError> {
        self.append_acknowledged(event, true).await
    }

    /// Appends an event and returns once its record is written to the file,
    /// where it survives the process being killed, without waiting for the
    /// sync that follows in the same group commit (which a power loss
    /// needs). For records that must exist once an answer has gone out.
    pub async fn append_written(&self, event: Event) -> Result<Appended, AuditError> {
        self.append_acknowledged(event, false).await
    }

    /// Queues an event and waits for its answer: after the sync when
    /// `synced`, after the write otherwise.
    async fn append_acknowledged(
        &self,
        mut event: Event,
        synced: bool,
    ) -> Result<Appended, AuditError> {
        self.admit(&mut event)?;
        let (reply, answer) = oneshot::channel();
        let event = Box::new(event);
        let command = Command::Append {
            event,
            reply,
            synced,
        };
        self.send(command, answer).await?
    }

    /// Queues an event without waiting for it to be durable, for records of
    /// things that have happened either way. It is written in order with
    /// every append queued before or after it; a failure shows in
    /// [`AuditLog::is_healthy`] and refuses later appends.
    pub fn append_detached(&self, mut event: Event) -> Result<(), AuditError> {
        self.admit(&mut event)?;
        let (reply, _unheard) = oneshot::channel();
        let event = Box::new(event);
        self.commands
            .send(Command::Append {
                event,
                reply,
                synced: false,
            })
            .map_err(|_| AuditError::Failed {
                path: self.path.clone(),
                reason: "the writer thread stopped".to_owned(),
            })
    }

    /// Writes a checkpoint with the current key, then makes a new key active.
    /// Returns the new key id.
    pub async fn rotate_key(&self) -> Result<String, AuditError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::RotateKey { reply }, answer).await?
    }

    /// Writes the final checkpoint, syncs, and stops the writer thread; the
    /// log refuses appends from then on. Takes `&self` so that a log shared
    /// by a whole server can be closed at its shutdown.
    pub async fn close(&self) -> Result<(), AuditError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Close { reply }, answer).await?
    }

    /// Tells whether the log still accepts appends. Once false, it stays
    /// false until the process opens the log again.
    pub fn is_healthy(&self) -> bool {
        self.shared.failure.get().is_none()
    }

    /// Gives counters since open.
    pub fn stats(&self) -> AuditStats {
        AuditStats {
            appended: self.shared.appended.load(Ordering::Relaxed),
            syncs: self.shared.syncs.load(Ordering::Relaxed),
            checkpoints: self.shared.checkpoints.load(Ordering::Relaxed),
        }
    }

    /// Gives the redactor, for values that are logged outside `request`.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Gives the path of the log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues a command and waits for its answer.
    async fn send<T>(
        &self,
        command: Command,
        answer: oneshot::Receiver<T>,
    ) -> Result<T, AuditError> {
        let stopped = || {
            let reason = "the writer thread stopped".to_owned();
            let _ = self.shared.failure.set(reason.clone());
            AuditError::Failed {
                path: self.path.clone(),
                reason,
            }
        };

        self.commands.send(command).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())
    }

    /// Refuses checkpoint kinds and appends to a failed log; redacts the
    /// configured keys of `event.request`.
    fn admit(&self, event: &mut Event) -> Result<(), AuditError> {
        if event.kind.is_checkpoint() {
            return Err(AuditError::ReservedKind);
        }
        if let Some(error) = self.failure() {
            return Err(error);
        }

        if let Some(request) = event.request.as_mut() {
            self.redactor.redact(request);
        }
        Ok(())
    }

    /// Gives the error of a failed log, if it failed.
    fn failure(&self) -> Option<AuditError> {
        self.shared.failure.get().map(|reason| AuditError::Failed {
            path: self.path.clone(),
            reason: reason.clone(),
        })
    }
}
