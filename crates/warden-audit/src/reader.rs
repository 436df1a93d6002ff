//! Reading records back, for `show`, `export` and `replay`.
//!
//! The reader parses records but does not check the chain: run
//! [`verify`](crate::verify) first when the answer must be trusted. A line
//! that is not a record, or a torn last line, is an error item naming the line;
//! the iterator ends after it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::{AuditError, Kind, Record};

/// Which records to keep; every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only records of this task.
    pub task: Option<String>,
    /// Only records of this identity.
    pub identity: Option<String>,
    /// Only records written at or after this time.
    pub since: Option<SystemTime>,
    /// Only records of this kind.
    pub kind: Option<Kind>,
}

impl Filter {
    /// Tells whether a record passes the filter.
    pub fn matches(&self, record: &Record) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
        };

        same(&self.task, &record.task)
            && same(&self.identity, &record.identity)
            && self.since.is_none_or(|since| record.time >= since)
            && self.kind.as_ref().is_none_or(|kind| &record.kind == kind)
    }
}

/// The records of a log file, in order.
pub struct Records {
    path: PathBuf,
    lines: BufReader<File>,
    line: u64,
    done: bool,
}

/// Opens the log at `path` for reading, record by record.
pub fn read(path: &Path) -> Result<Records, AuditError> {
    let file = File::open(path).map_err(|e| AuditError::io("open", path, e))?;
    Ok(Records {
        path: path.to_path_buf(),
        lines: BufReader::with_capacity(1 << 16, file),
        line: 0,
        done: false,
    })
}

/// Opens the log at `path` and keeps the records that pass `filter`;
/// errors always pass.
pub fn read_filtered(
    path: &Path,
    filter: Filter,
) -> Result<impl Iterator<Item = Result<Record, AuditError>> + use<>, AuditError> {
    let records = read(path)?;
    Ok(records.filter(move |item| item.as_ref().map_or(true, |r| filter.matches(r))))
}

impl Iterator for Records {
    type Item = Result<Record, AuditError>;

    fn next(&mut self) -> Option<Result<Record, AuditError>> {
        if self.done {
            return None;
        }

        let mut buf = Vec::new();
        let item = match self.lines.read_until(b'\n', &mut buf) {
            Ok(0) => return None,
            Ok(_) => self.parse(&buf),
            Err(e) => Err(AuditError::io("read", &self.path, e)),
        };

        self.done = item.is_err();
        Some(item)
    }
}

impl Records {
    /// Parses one line into a record.
    fn parse(&mut self, buf: &[u8]) -> Result<Record, AuditError> {
        self.line += 1;
        let unreadable = |reason: String| AuditError::Unreadable {
            path: self.path.clone(),
            line: self.line,
            reason,
        };

        let Some(line) = buf.strip_suffix(b"\n") else {
            return Err(unreadable(
                "the file ends in the middle of this record".into(),
            ));
        };
        serde_json::from_slice(line).map_err(|e| unreadable(e.to_string()))
    }
}

/// Reads a `since` bound as RFC 3339 (`2026-12-01T00:00:00Z`) or as a
/// duration before `now` (`90m`, `1h`); the error says which forms work.
pub fn parse_since(text: &str, now: SystemTime) -> Result<SystemTime, String> {
    let text = text.trim();
    if let Ok(at) = humantime::parse_rfc3339_weak(text) {
        return Ok(at);
    }
    match humantime::parse_duration(text) {
        Ok(ago) => now
            .checked_sub(ago)
            .ok_or_else(|| format!("`{text}` reaches before the epoch")),
        Err(_) => Err(format!(
            "`{text}` is neither a time like 2026-12-01T00:00:00Z nor a duration like 1h"
        )),
    }
}
