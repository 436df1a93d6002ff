//! The error type of the audit log, its keys and its reader.
//!
//! Messages are lowercase, name the file or key concerned, and say what to do
//! where something can be done. Damage found by verification has its own type,
//! [`Damage`](crate::Damage), because it describes the log, not the caller.

use std::io;
use std::path::PathBuf;

use crate::Damage;

/// Why opening, appending to, or reading the audit log failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file or directory could not be read, written or created.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done, e.g. "open" or "create".
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying failure.
        source: io::Error,
    },

    /// Another process holds the log open for writing.
    #[error(
        "audit log {0} is locked by another process: stop the other gateway or give this one \
         its own data_dir"
    )]
    Locked(PathBuf),

    /// A key directory or key file is readable or writable by group or others.
    #[error(
        "{path} is accessible by group or others (mode {mode:o}): run `chmod {fix} {path}` and \
         consider rotating the audit keys"
    )]
    KeyPermissions {
        /// The directory or file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// The mode that fixes it, `700` or `600`.
        fix: &'static str,
    },

    /// A key directory or key file belongs to another user.
    #[error("{path} belongs to uid {owner}, not to this process (uid {me}): run `chown` on it")]
    KeyOwner {
        /// The directory or file.
        path: PathBuf,
        /// The uid that owns it.
        owner: u32,
        /// The uid of this process.
        me: u32,
    },

    /// The key directory holds no signing key.
    #[error("no audit signing key in {0}: run `warden keys init`")]
    KeysMissing(PathBuf),

    /// `init` was asked to create a key ring where one exists.
    #[error("an audit key ring already exists in {0}: use `warden keys rotate` to replace the key")]
    KeysExist(PathBuf),

    /// A key file exists but its content is not a valid key.
    #[error("audit key file {path} is invalid: {reason}: restore it from a backup")]
    KeyFormat {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// An exported public key set could not be parsed.
    #[error("public audit keys are invalid: {0}: export them again with `warden keys export`")]
    PublicKeysFormat(String),

    /// An event kind does not have the form `noun.verb` in lowercase.
    #[error("audit kind `{0}` is invalid: use lowercase `noun.verb`, e.g. `tool.call`")]
    InvalidKind(String),

    /// A caller tried to append a checkpoint, which only the log writes.
    #[error("audit kind `checkpoint` is written by the log itself and cannot be appended")]
    ReservedKind,

    /// The configuration cannot work.
    #[error("invalid audit configuration: {0}")]
    InvalidConfig(String),

    /// The existing log failed verification when it was opened.
    #[error(
        "audit log {path} is damaged: {damage}: keep the file for investigation, move it aside \
         and restart to begin a new log"
    )]
    Damaged {
        /// The log file.
        path: PathBuf,
        /// What is wrong and where.
        damage: Damage,
    },

    /// An earlier write or sync failed; the log refuses every append since.
    #[error(
        "audit log {path} has failed and refuses appends: {reason}: fix the disk and restart \
         the gateway"
    )]
    Failed {
        /// The log file.
        path: PathBuf,
        /// The first failure.
        reason: String,
    },

    /// An event could not be serialized to JSON.
    #[error("audit event cannot be serialized: {0}")]
    Serialize(#[source] serde_json::Error),

    /// The operating system's random number generator failed.
    #[error("cannot read random bytes for a new audit key: {0}")]
    Randomness(String),

    /// A line of the log could not be read as a record.
    #[error("{path} line {line}: {reason}: run `warden audit verify` to locate the damage")]
    Unreadable {
        /// The log file.
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
}

impl AuditError {
    /// Wraps an I/O failure with what was being done and to which path.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        AuditError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
