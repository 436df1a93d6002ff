//! How a log is configured, and what opening it found.

use std::time::Duration;

use serde::Deserialize;

use crate::AuditError;

/// Settings of an [`AuditLog`](crate::AuditLog); the defaults suit production.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// A checkpoint is written after this many records (default 1000).
    pub checkpoint_every: u64,
    /// A checkpoint is written this long after the last one when new records
    /// came since (default 60s).
    #[serde(with = "humantime_serde")]
    pub checkpoint_interval: Duration,
    /// Request keys whose values are redacted, matched without regard to ASCII
    /// case at any depth (default: common names of credentials).
    pub redact: Vec<String>,
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        let redact = [
            "authorization",
            "password",
            "passwd",
            "secret",
            "client_secret",
            "token",
            "access_token",
            "refresh_token",
            "api_key",
            "apikey",
            "cookie",
            "private_key",
        ];
        AuditConfig {
            checkpoint_every: 1000,
            checkpoint_interval: Duration::from_secs(60),
            redact: redact.iter().map(|&name| name.to_owned()).collect(),
        }
    }
}

impl AuditConfig {
    /// Refuses settings that would never checkpoint.
    pub(crate) fn validate(&self) -> Result<(), AuditError> {
        if self.checkpoint_every == 0 {
            return Err(AuditError::InvalidConfig(
                "checkpoint_every must be at least 1".into(),
            ));
        }
        if self.checkpoint_interval.is_zero() {
            return Err(AuditError::InvalidConfig(
                "checkpoint_interval must be longer than zero, e.g. \"60s\"".into(),
            ));
        }
        Ok(())
    }
}

/// What [`AuditLog::open`](crate::AuditLog::open) found in the existing log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// Whether the log file was created by this open.
    pub created: bool,
    /// Records in the log before this open, checkpoints included.
    pub records: u64,
    /// The seq of the last record; 0 for an empty log.
    pub last_seq: u64,
    /// The hash of the last record; 64 zeros for an empty log.
    pub last_hash: String,
    /// Bytes of a torn last line removed: a write that a crash interrupted,
    /// and that was therefore never acknowledged. 0 when the file was whole.
    pub truncated_bytes: u64,
    /// Records after the last checkpoint.
    pub unsigned_tail: u64,
    /// The key that signs new checkpoints.
    pub key_id: String,
}
