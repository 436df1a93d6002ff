//! What verification found wrong with a log, and where.
//!
//! A [`Damage`] names the 1-based line, the byte offset where that line
//! starts, the record's seq where it could be read, and a specific
//! [`DamageKind`]. Its message says what most likely happened, in words an
//! auditor can act on.

use std::fmt;

/// The first place where a log fails verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The 1-based line number.
    pub line: u64,
    /// The byte offset at which the line starts.
    pub offset: u64,
    /// The record's seq, where the line could be read.
    pub seq: Option<u64>,
    /// What is wrong.
    pub kind: DamageKind,
}

/// The ways a log can fail verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DamageKind {
    /// The line is not JSON, or not a record of the expected shape.
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// The record's content does not match its own hash: it was altered.
    HashMismatch,
    /// The record's `prev` is not the hash of the record before it.
    BrokenChain,
    /// The seq skips ahead: records before this line were deleted.
    SeqGap {
        /// The seq that should have come next.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// The seq goes back or comes early: records were reordered.
    OutOfOrder {
        /// The seq that should have come next.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// The record is an exact copy of an earlier one.
    Duplicate {
        /// The line of the original.
        first_line: u64,
    },
    /// The file ends in the middle of a record.
    Truncated,
    /// A checkpoint is signed by a key the verifier does not have.
    UnknownKey {
        /// The key id the checkpoint names.
        kid: String,
    },
    /// A checkpoint's signature does not verify over the chain it follows.
    BadSignature {
        /// The key id the checkpoint names.
        kid: String,
    },
    /// A checkpoint claims to cover a record other than the one before it.
    CheckpointMismatch {
        /// The seq the checkpoint claims to cover.
        covers: u64,
        /// The seq of the record before it.
        expected: u64,
    },
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "line {} (seq {seq}): {}", self.line, self.kind),
            None => write!(f, "line {}: {}", self.line, self.kind),
        }
    }
}

impl fmt::Display for DamageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DamageKind::Malformed { reason } => write!(
                f,
                "not a well-formed audit record ({reason}): the line was edited or corrupted"
            ),
            DamageKind::HashMismatch => f.write_str(
                "record content does not match its hash: the record was altered after it was \
                 written",
            ),
            DamageKind::BrokenChain => f.write_str(
                "record does not chain to the record before it (prev is not that record's \
                 hash): a record was rewritten, removed or inserted here",
            ),
            DamageKind::SeqGap { expected, found } => write!(
                f,
                "seq jumps to {found} where {expected} was expected: {} record(s) were deleted \
                 before this line",
                found - expected
            ),
            DamageKind::OutOfOrder { expected, found } => write!(
                f,
                "seq {found} appears where {expected} was expected: records were reordered"
            ),
            DamageKind::Duplicate { first_line } => write!(
                f,
                "record is a copy of the record at line {first_line}: a copy was inserted"
            ),
            DamageKind::Truncated => f.write_str(
                "the file ends in the middle of a record: it was cut short, or a crash \
                 interrupted a write that was never acknowledged",
            ),
            DamageKind::UnknownKey { kid } => write!(
                f,
                "checkpoint is signed by key `{kid}`, which the public keys lack: verify with \
                 keys exported after `{kid}` was created"
            ),
            DamageKind::BadSignature { kid } => write!(
                f,
                "checkpoint signature by key `{kid}` does not verify: the records it covers or \
                 the signature were altered"
            ),
            DamageKind::CheckpointMismatch { covers, expected } => write!(
                f,
                "checkpoint claims to cover seq {covers} but follows seq {expected}: the \
                 checkpoint was moved or edited"
            ),
        }
    }
}
