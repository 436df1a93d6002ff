//! Opening the log file for appending: lock it, check the chain already in
//! it, and cut a torn last line left by a crash.
//!
//! Only the bytes present at open are read, so the check ends even on files
//! that never end (devices). A torn last line is removed because the writer
//! acknowledges a record only after its whole line, newline included, is
//! synced: a line without its newline was never acknowledged. Any other damage
//! refuses the open, so that nothing is appended to a log that fails
//! verification.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rustix::fs::{FlockOperation, flock};

use crate::chain::{HashHex, hex_str};
use crate::private::sync_parent;
use crate::scan::{ScanError, Scanner};
use crate::{AuditError, AuditKeys, DamageKind, OpenReport, PublicKeys};

/// An open, locked, checked log and where its chain stands.
pub(crate) struct OpenedLog {
    pub(crate) file: File,
    pub(crate) last_seq: u64,
    pub(crate) last_hash: HashHex,
    pub(crate) since_checkpoint: u64,
    pub(crate) report: OpenReport,
}

/// Opens, locks and checks the log at `path`, creating it if missing.
pub(crate) fn open_log(path: &Path, keys: &AuditKeys) -> Result<OpenedLog, AuditError> {
    let created = !path.exists();
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| AuditError::io("open", path, e))?;
    lock(&file, path)?;
    if created {
        sync_parent(path)?;
    }

    let public = keys.public_keys();
    let (end, truncated_bytes) = check_existing(&file, path, &public)?;
    let report = OpenReport {
        created,
        records: end.last_seq,
        last_seq: end.last_seq,
        last_hash: hex_str(&end.last_hash).to_owned(),
        truncated_bytes,
        unsigned_tail: end.since_checkpoint,
        key_id: keys.active_kid(),
    };
    Ok(OpenedLog {
        file,
        last_seq: end.last_seq,
        last_hash: end.last_hash,
        since_checkpoint: end.since_checkpoint,
        report,
    })
}

/// Where the existing chain ends.
struct ChainEnd {
    last_seq: u64,
    last_hash: HashHex,
    since_checkpoint: u64,
}

/// Checks the bytes present in the log; cuts a torn last line. Gives where
/// the chain ends and how many bytes were cut.
fn check_existing(
    file: &File,
    path: &Path,
    keys: &PublicKeys,
) -> Result<(ChainEnd, u64), AuditError> {
    let len = file
        .metadata()
        .map_err(|e| AuditError::io("inspect", path, e))?
        .len();
    let mut scanner = Scanner::new(keys);
    let reader = BufReader::with_capacity(1 << 16, Read::take(file, len));

    let truncated_bytes = match scanner.run(reader, |_, _| {}) {
        Ok(()) => 0,
        Err(ScanError::Damage(damage)) if damage.kind == DamageKind::Truncated => {
            cut_tail(file, path, damage.offset, len)?
        }
        Err(ScanError::Damage(damage)) => {
            let path = path.to_path_buf();
            return Err(AuditError::Damaged { path, damage });
        }
        Err(ScanError::Io(e)) => return Err(AuditError::io("read", path, e)),
    };

    let end = ChainEnd {
        last_seq: scanner.last_seq,
        last_hash: scanner.last_hash,
        since_checkpoint: scanner.since_checkpoint,
    };
    Ok((end, truncated_bytes))
}

/// Takes the exclusive lock that keeps a second writer out.
fn lock(file: &File, path: &Path) -> Result<(), AuditError> {
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(AuditError::Locked(path.to_path_buf())),
        Err(e) => Err(AuditError::io("lock", path, e.into())),
    }
}

/// Removes the torn tail from `offset` to `len`; gives the bytes removed.
fn cut_tail(file: &File, path: &Path, offset: u64, len: u64) -> Result<u64, AuditError> {
    file.set_len(offset)
        .and_then(|()| file.sync_data())
        .map_err(|e| AuditError::io("truncate the torn last line of", path, e))?;

    let removed = len - offset;
    tracing::warn!(
        audit.path = %path.display(),
        audit.truncated_bytes = removed,
        "removed a torn last line that a crash left unacknowledged"
    );
    Ok(removed)
}
