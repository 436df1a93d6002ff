//! The on-disk form of task records: `{"format": 1, "task": {...}}` in JSON.
//!
//! The format number is read first, so a record from a newer Warden gives
//! [`StoreError::UnsupportedFormat`] rather than a confusing decode error.

use serde::{Deserialize, Serialize};

use crate::{StoreError, TaskRecord};

/// The record format this build writes and reads.
pub(crate) const TASK_FORMAT: u64 = 1;

#[derive(Deserialize)]
struct Header {
    format: u64,
}

#[derive(Serialize)]
struct EnvelopeRef<'a> {
    format: u64,
    task: &'a TaskRecord,
}

#[derive(Deserialize)]
struct Envelope {
    task: TaskRecord,
}

/// Encodes a task record with its format number.
pub(crate) fn encode(task: &TaskRecord) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&EnvelopeRef {
        format: TASK_FORMAT,
        task,
    })
    .map_err(|e| StoreError::CorruptRecord {
        key: task.id.clone(),
        reason: format!("cannot encode: {e}"),
    })
}

/// Decodes a stored task record, checking its format number first.
pub(crate) fn decode(key: &[u8], bytes: &[u8]) -> Result<TaskRecord, StoreError> {
    let key = String::from_utf8_lossy(key).into_owned();
    let corrupt = |e: serde_json::Error| StoreError::CorruptRecord {
        key: key.clone(),
        reason: e.to_string(),
    };

    let header: Header = serde_json::from_slice(bytes).map_err(corrupt)?;
    if header.format != TASK_FORMAT {
        return Err(StoreError::UnsupportedFormat {
            key,
            found: header.format,
            supported: TASK_FORMAT,
        });
    }

    let envelope: Envelope = serde_json::from_slice(bytes).map_err(corrupt)?;
    Ok(envelope.task)
}
