//! Offline verification of a log file against public keys.
//!
//! Verification streams the file once, line by line, and hashes the raw bytes
//! of each line rather than re-serializing it. It stops at the first damage and
//! names it. A log that verifies is intact up to its last checkpoint; records
//! after it ([`VerifyReport::unsigned_tail`]) are chained but not yet signed,
//! and records cut off after the last good line cannot be detected from the
//! file alone: compare [`VerifyReport::last_seq`] and
//! [`VerifyReport::last_hash`] with a copy kept elsewhere.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use crate::chain::hex_str;
use crate::scan::{ScanError, Scanner};
use crate::{Damage, PublicKeys};

/// What a successful verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records in the log, checkpoints included.
    pub records: u64,
    /// Checkpoint records among them.
    pub checkpoints: u64,
    /// The seq of the last record; 0 for an empty log.
    pub last_seq: u64,
    /// The hash of the last record; 64 zeros for an empty log.
    pub last_hash: String,
    /// Records after the last checkpoint, not yet covered by a signature.
    pub unsigned_tail: u64,
}

/// Why verification did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The log is damaged.
    #[error("audit log is damaged at {0}")]
    Damaged(Damage),

    /// The file could not be read at all.
    #[error("cannot read audit log {path}: {source}")]
    Unreadable {
        /// The log file.
        path: PathBuf,
        /// The underlying failure.
        source: io::Error,
    },
}

/// Verifies the log at `path`: every record's hash, the chain, the seqs and
/// every checkpoint signature. `progress` receives `(records, bytes)` done,
/// every few thousand records and at the end.
pub fn verify(
    path: &Path,
    keys: &PublicKeys,
    progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, VerifyError> {
    let unreadable = |source| VerifyError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(unreadable)?;

    let mut scanner = Scanner::new(keys);
    match scanner.run(BufReader::with_capacity(1 << 16, file), progress) {
        Ok(()) => Ok(VerifyReport {
            records: scanner.last_seq,
            checkpoints: scanner.checkpoints,
            last_seq: scanner.last_seq,
            last_hash: hex_str(&scanner.last_hash).to_owned(),
            unsigned_tail: scanner.since_checkpoint,
        }),
        Err(ScanError::Io(source)) => Err(unreadable(source)),
        Err(ScanError::Damage(damage)) => Err(VerifyError::Damaged(damage)),
    }
}
