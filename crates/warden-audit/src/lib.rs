//! Warden's audit log: tamper-evident, append-only, one JSON record per line
//! in `DIR/audit.jsonl`, hash-chained, with signed checkpoints. It knows
//! nothing of MCP or HTTP.
//!
//! # Guarantees
//!
//! - **Durable before acknowledged.** [`AuditLog::append`] returns only after
//!   its record is written and `fdatasync`ed. Appends from many tasks are
//!   committed in groups (one write, one sync), so durability costs one sync
//!   per group, not per record.
//! - **Fail closed.** If a write or sync fails, that group and every later
//!   append get [`AuditError::Failed`] and [`AuditLog::is_healthy`] turns
//!   false; the caller must then refuse the action it meant to log.
//! - **Tamper-evident.** Every record carries the hash of the one before it;
//!   every [`AuditConfig::checkpoint_every`] records, every
//!   [`AuditConfig::checkpoint_interval`] with new records, and at
//!   [`AuditLog::close`], a checkpoint record signs the chain with an Ed25519
//!   key. [`verify`] names the first altered, deleted, inserted, reordered or
//!   truncated record, and any checkpoint that does not verify.
//! - **Crash-safe.** On open the existing chain is checked; a torn last line
//!   (a write a crash interrupted, never acknowledged) is cut off and the chain
//!   continues. A log with any other damage is refused, and a second writer
//!   on the same file is refused by a lock.
//! - **Secrets stay out.** Configured request keys are replaced by keyed
//!   digests ([`Redactor`]) before they reach the file. Keys live owner-only
//!   in `DIR/keys/`, and a key directory open to others is refused.
//!
//! # Hash chain
//!
//! A record's *body* is the compact JSON of all its fields but `hash`,
//! exactly as written, fields in [`Record`] order. `hash` is the lowercase
//! hex SHA-256 of the body bytes, and it is written as the last member:
//! the line is the body with its closing `}` replaced by
//! `,"hash":"<64 hex>"}`, then `\n`. To check a line, drop its last 75 bytes
//! (`,"hash":"…"}`), append `}`, and hash. `prev` is the previous record's
//! hash, 64 zeros for seq 1. A checkpoint signs the UTF-8 text
//! `warden-audit-checkpoint\n{covers}\n{hash of record covers}`, where
//! `covers` is the seq of the record just before the checkpoint; the
//! checkpoint is itself chained like any record.
//!
//! # Limitations
//!
//! - Records removed from the end of the file, at a line boundary, leave a
//!   shorter log that still verifies: keep [`VerifyReport::last_seq`] and
//!   [`VerifyReport::last_hash`] of an earlier verification, or an export,
//!   elsewhere and compare.
//! - Records after the last checkpoint are chained but not signed; a writer
//!   with access to the file could rewrite them undetected until the next
//!   checkpoint. [`VerifyReport::unsigned_tail`] says how many there are.
//! - Redaction applies to `request` only; callers that put secret values in
//!   decision facts use [`AuditLog::redactor`] to digest them first.
//!
//! # Example
//!
//! ```
//! # async fn example(dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
//! use warden_audit::{AuditConfig, AuditLog, Event, Kind};
//!
//! let (log, _report) = AuditLog::open(dir, AuditConfig::default())?;
//! let event = Event {
//!     identity: Some("spiffe://example.org/agent/reviewer".into()),
//!     request: Some(serde_json::json!({"tool": "fs.read_file", "password": "hunter2"})),
//!     ..Event::new(Kind::TOOL_CALL)
//! };
//! let appended = log.append(event).await?;
//! assert_eq!(appended.seq, 1);
//! log.close().await?;
//! # Ok(())
//! # }
//! # let dir = tempfile::tempdir().unwrap();
//! # tokio::runtime::Runtime::new().unwrap().block_on(example(dir.path())).unwrap();
//! ```

mod chain;
mod config;
mod damage;
mod error;
mod keys;
mod kind;
mod line;
mod private;
mod public_keys;
mod reader;
mod record;
mod redact;
mod scan;
mod verify;
mod writer;

pub use chain::GENESIS_PREV;
pub use config::{AuditConfig, OpenReport};
pub use damage::{Damage, DamageKind};
pub use error::AuditError;
pub use keys::AuditKeys;
pub use kind::Kind;
pub use public_keys::{PublicKey, PublicKeys};
pub use reader::{Filter, Records, parse_since, read, read_filtered};
pub use record::{Appended, Capability, Checkpoint, Decision, Event, Outcome, Record};
pub use redact::{REDACTED_PREFIX, Redactor};
pub use verify::{VerifyError, VerifyReport, verify};
pub use writer::{AuditLog, AuditStats, KEYS_DIR, LOG_FILE};
