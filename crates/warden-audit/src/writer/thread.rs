//! The writer thread: the only owner of the log file.
//!
//! It takes every command waiting in its queue as one batch, seals the
//! batch's records (and any checkpoint falling due) into one buffer, writes
//! it, answers the appends that wait only for the write, syncs once, and then
//! answers the rest. A failed write or sync marks the log failed for good:
//! the batch (those not yet answered) and every later command get
//! [`AuditError::Failed`], and nothing further is written.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::chain::{self, Body, HashHex, hex_str};
use crate::writer::open::OpenedLog;
use crate::writer::{Command, Shared};
use crate::{Appended, AuditConfig, AuditError, AuditKeys, Checkpoint, Event};

/// The most commands taken into one batch, to bound memory and latency.
const MAX_BATCH: usize = 4096;

/// The writer's state: the file and where the chain stands.
pub(crate) struct Writer {
    file: File,
    path: PathBuf,
    keys: AuditKeys,
    config: AuditConfig,
    shared: Arc<Shared>,
    seq: u64,
    prev: HashHex,
    since_checkpoint: u64,
    last_checkpoint: Instant,
    buf: Vec<u8>,
    pending: Vec<Pending>,
    staged_checkpoints: u64,
}

/// An append waiting for its batch to be written, or synced.
struct Pending {
    reply: oneshot::Sender<Result<Appended, AuditError>>,
    appended: Appended,
    synced: bool,
}

/// What the writer waits for next.
enum Next {
    Command(Command),
    CheckpointDue,
    Disconnected,
}

impl Writer {
    /// Builds the writer over an opened log.
    pub(crate) fn new(
        opened: OpenedLog,
        path: PathBuf,
        keys: AuditKeys,
        config: AuditConfig,
        shared: Arc<Shared>,
    ) -> Writer {
        Writer {
            file: opened.file,
            path,
            keys,
            config,
            shared,
            seq: opened.last_seq,
            prev: opened.last_hash,
            since_checkpoint: opened.since_checkpoint,
            last_checkpoint: Instant::now(),
            buf: Vec::with_capacity(1 << 16),
            pending: Vec::new(),
            staged_checkpoints: 0,
        }
    }

    /// Serves commands until `close` or until every handle is dropped.
    pub(crate) fn run(mut self, commands: Receiver<Command>) {
        loop {
            let first = match self.next(&commands) {
                Next::Command(command) => command,
                Next::CheckpointDue => {
                    self.stage_checkpoint();
                    self.commit();
                    continue;
                }
                Next::Disconnected => {
                    self.close_out();
                    return;
                }
            };

            let mut batch = vec![first];
            batch.extend(commands.try_iter().take(MAX_BATCH - 1));
            if let Some(reply) = self.serve(batch) {
                let answer = self.failure().map_or(Ok(()), Err);
                drop(self);
                let _ = reply.send(answer);
                return;
            }
        }
    }

    /// Waits for a command, or for the checkpoint interval to pass.
    fn next(&self, commands: &Receiver<Command>) -> Next {
        let waits_for_checkpoint = self.since_checkpoint > 0 && !self.is_failed();
        if !waits_for_checkpoint {
            return commands.recv().map_or(Next::Disconnected, Next::Command);
        }

        let interval = self.config.checkpoint_interval;
        let left = interval.saturating_sub(self.last_checkpoint.elapsed());
        match commands.recv_timeout(left.max(Duration::from_micros(1))) {
            Ok(command) => Next::Command(command),
            Err(RecvTimeoutError::Timeout) => Next::CheckpointDue,
            Err(RecvTimeoutError::Disconnected) => Next::Disconnected,
        }
    }

    /// Serves one batch. When it closes the log, gives the reply to send once
    /// the file is released.
    fn serve(&mut self, batch: Vec<Command>) -> Option<oneshot::Sender<Result<(), AuditError>>> {
        for command in batch {
            match command {
                Command::Append {
                    event,
                    reply,
                    synced,
                } => self.stage_event(event, reply, synced),
                Command::RotateKey { reply } => {
                    let _ = reply.send(self.rotate_key());
                }
                Command::Close { reply } => {
                    self.close_out();
                    return Some(reply);
                }
            }
        }

        if self.checkpoint_due() {
            self.stage_checkpoint();
        }
        self.commit();
        None
    }

    /// Seals an event into the batch, or refuses it if the log failed.
    fn stage_event(
        &mut self,
        event: Box<Event>,
        reply: oneshot::Sender<Result<Appended, AuditError>>,
        synced: bool,
    ) {
        if let Some(error) = self.failure() {
            let _ = reply.send(Err(error));
            return;
        }

        let prev = self.prev;
        let body = Body::of_event(self.seq + 1, &event, hex_str(&prev));
        match self.seal(&body) {
            Ok(hash) => {
                let appended = Appended {
                    seq: self.seq,
                    hash: hex_str(&hash).to_owned(),
                };
                self.pending.push(Pending {
                    reply,
                    appended,
                    synced,
                });
                self.since_checkpoint += 1;
            }
            Err(error) => {
                let _ = reply.send(Err(error));
            }
        }

        if self.since_checkpoint >= self.config.checkpoint_every {
            self.stage_checkpoint();
        }
    }

    /// Serializes and seals a body into the buffer, advancing the chain.
    fn seal(&mut self, body: &Body<'_>) -> Result<HashHex, AuditError> {
        let start = self.buf.len();
        if let Err(error) = serde_json::to_writer(&mut self.buf, body) {
            self.buf.truncate(start);
            return Err(AuditError::Serialize(error));
        }

        let hash = chain::seal(&mut self.buf, start);
        self.seq += 1;
        self.prev = hash;
        Ok(hash)
    }

    /// Tells whether the checkpoint interval has passed with records unsigned.
    fn checkpoint_due(&self) -> bool {
        self.since_checkpoint > 0
            && self.last_checkpoint.elapsed() >= self.config.checkpoint_interval
    }

    /// Seals a checkpoint over the last record into the batch.
    fn stage_checkpoint(&mut self) {
        if self.since_checkpoint == 0 || self.is_failed() {
            return;
        }

        let checkpoint: Checkpoint = self.keys.sign_checkpoint(self.seq, &self.prev);
        let prev = self.prev;
        let body = Body::of_checkpoint(self.seq + 1, &checkpoint, hex_str(&prev));
        if self.seal(&body).is_ok() {
            self.since_checkpoint = 0;
            self.last_checkpoint = Instant::now();
            self.staged_checkpoints += 1;
        }
    }

    /// Writes the batch and answers the appends that wait for the write
    /// alone; then syncs and answers the rest.
    fn commit(&mut self) {
        if self.buf.is_empty() {
            return;
        }

        let written = self.file.write_all(&self.buf);
        self.buf.clear();
        if let Err(e) = &written {
            self.fail(format!("write failed: {e}"));
        }
        let records = self.pending.len() as u64;
        let (unsynced, synced): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| !p.synced);
        self.answer(unsynced);

        if written.is_ok() {
            match self.file.sync_data() {
                Ok(()) => self.count_commit(records),
                Err(e) => self.fail(format!("sync failed: {e}")),
            }
        }
        self.staged_checkpoints = 0;
        self.answer(synced);
    }

    /// Answers appends: their record, or the log's failure.
    fn answer(&self, pending: Vec<Pending>) {
        for waiting in pending {
            let answer = match self.failure() {
                None => Ok(waiting.appended),
                Some(error) => Err(error),
            };
            let _ = waiting.reply.send(answer);
        }
    }

    /// Counts a durable batch in the statistics.
    fn count_commit(&self, records: u64) {
        let stats = &self.shared;
        stats.syncs.fetch_add(1, Ordering::Relaxed);
        stats.appended.fetch_add(records, Ordering::Relaxed);
        stats
            .checkpoints
            .fetch_add(self.staged_checkpoints, Ordering::Relaxed);
    }

    /// Signs what was appended with the current key, then rotates it.
    fn rotate_key(&mut self) -> Result<String, AuditError> {
        self.stage_checkpoint();
        self.commit();
        if let Some(error) = self.failure() {
            return Err(error);
        }
        self.keys.rotate()
    }

    /// Writes the final checkpoint and syncs.
    fn close_out(&mut self) {
        self.stage_checkpoint();
        self.commit();
        tracing::info!(
            audit.path = %self.path.display(),
            audit.last_seq = self.seq,
            audit.healthy = !self.is_failed(),
            "closed audit log"
        );
    }

    /// Marks the log failed, once.
    fn fail(&self, reason: String) {
        if self.shared.failure.set(reason.clone()).is_ok() {
            tracing::error!(
                audit.path = %self.path.display(),
                audit.error = %reason,
                "audit log failed: refusing every further append"
            );
        }
    }

    /// Tells whether the log has failed.
    fn is_failed(&self) -> bool {
        self.shared.failure.get().is_some()
    }

    /// Gives the error of a failed log, if it failed.
    fn failure(&self) -> Option<AuditError> {
        self.shared.failure.get().map(|reason| AuditError::Failed {
            path: self.path.clone(),
            reason: reason.clone(),
        })
    }
}
