//! The hash chain: how a record's line is sealed with its hash, and what a
//! checkpoint signs.
//!
//! A record's *body* is the compact JSON object of all its fields but `hash`,
//! exactly as written. Its hash is the lowercase hex SHA-256 of the body's
//! bytes. The line appends the hash as the last member, so it reads
//! `BODY-WITHOUT-CLOSING-BRACE,"hash":"<64 hex>"}` followed by `\n`. A verifier
//! recovers the body from the raw line alone, without re-serializing: it drops
//! the fixed 75-byte suffix `,"hash":"…"}` and puts the `}` back.
//!
//! `prev` of the first record is 64 zeros; of every other record, the hash of
//! the one before it. A checkpoint signs
//! `warden-audit-checkpoint\n{covers}\n{hash of record covers}` in UTF-8.

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;

use crate::record::rfc3339_micros;
use crate::{Capability, Checkpoint, Decision, Event, Kind, Outcome};

/// The `prev` of the first record.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The kind of checkpoint records, with a static address to borrow.
static CHECKPOINT_KIND: Kind = Kind::CHECKPOINT;

/// A hash as lowercase hex text, the form in which records carry it.
pub(crate) type HashHex = [u8; 64];

/// The bytes before the hash value in the sealed suffix.
const HASH_MEMBER: &[u8] = b",\"hash\":\"";

/// Length of `,"hash":"<64 hex>"}`.
pub(crate) const SEAL_LEN: usize = HASH_MEMBER.len() + 64 + 2;

/// The genesis `prev` as hex bytes.
pub(crate) fn genesis() -> HashHex {
    [b'0'; 64]
}

/// Hashes a body given without its closing brace, as found in a sealed line.
pub(crate) fn hash_open_body(open_body: &[u8]) -> HashHex {
    use sha2::Digest;

    let mut hasher = sha2::Sha256::new();
    hasher.update(open_body);
    hasher.update(b"}");
    to_hex(&hasher.finalize())
}

/// Seals the body that `buf[start..]` holds: hashes it, replaces its closing
/// brace with the hash member and ends the line. Returns the hash.
pub(crate) fn seal(buf: &mut Vec<u8>, start: usize) -> HashHex {
    use sha2::Digest;

    let hash = to_hex(&sha2::Sha256::digest(&buf[start..]));

    buf.pop();
    buf.extend_from_slice(HASH_MEMBER);
    buf.extend_from_slice(&hash);
    buf.extend_from_slice(b"\"}\n");
    hash
}

/// Splits a sealed line (without its newline) into the open body and the hash
/// text, or gives `None` when it does not end in the sealed suffix.
pub(crate) fn split_sealed(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let cut = line.len().checked_sub(SEAL_LEN)?;
    let (open_body, suffix) = line.split_at(cut);

    let hash = suffix.strip_prefix(HASH_MEMBER)?.strip_suffix(b"\"}")?;
    let lower_hex = hash.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    lower_hex.then_some((open_body, hash))
}

/// The exact bytes a checkpoint signs.
pub(crate) fn checkpoint_message(covers: u64, covered_hash: &[u8]) -> Vec<u8> {
    let mut message = format!("warden-audit-checkpoint\n{covers}\n").into_bytes();
    message.extend_from_slice(covered_hash);
    message
}

/// Encodes a digest as lowercase hex bytes.
fn to_hex(digest: &[u8]) -> HashHex {
    let mut out = [0u8; 64];
    // A SHA-256 digest is 32 bytes, exactly half the buffer, so this cannot fail.
    let _ = hex::encode_to_slice(digest, &mut out);
    out
}

/// Reads hex bytes of a hash as text.
pub(crate) fn hex_str(hash: &HashHex) -> &str {
    std::str::from_utf8(hash).unwrap_or(GENESIS_PREV)
}

/// A record's body: every field but `hash`, borrowed, in the line's order.
/// It must stay field-for-field in step with [`Record`](crate::Record).
#[derive(Serialize)]
pub(crate) struct Body<'a> {
    pub(crate) seq: u64,
    #[serde(with = "rfc3339_micros")]
    pub(crate) time: SystemTime,
    pub(crate) kind: &'a Kind,
    pub(crate) session: Option<&'a str>,
    pub(crate) identity: Option<&'a str>,
    pub(crate) task: Option<&'a str>,
    pub(crate) request: Option<&'a Value>,
    pub(crate) decision: Option<&'a Decision>,
    pub(crate) capability: Option<&'a Capability>,
    pub(crate) outcome: Option<&'a Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) checkpoint: Option<&'a Checkpoint>,
    pub(crate) prev: &'a str,
}

impl<'a> Body<'a> {
    /// The body of an event's record.
    pub(crate) fn of_event(seq: u64, event: &'a Event, prev: &'a str) -> Body<'a> {
        Body {
            seq,
            time: SystemTime::now(),
            kind: &event.kind,
            session: event.session.as_deref(),
            identity: event.identity.as_deref(),
            task: event.task.as_deref(),
            request: event.request.as_ref(),
            decision: event.decision.as_ref(),
            capability: event.capability.as_ref(),
            outcome: event.outcome.as_ref(),
            checkpoint: None,
            prev,
        }
    }

    /// The body of a checkpoint record.
    pub(crate) fn of_checkpoint(seq: u64, checkpoint: &'a Checkpoint, prev: &'a str) -> Body<'a> {
        Body {
            seq,
            time: SystemTime::now(),
            kind: &CHECKPOINT_KIND,
            session: None,
            identity: None,
            task: None,
            request: None,
            decision: None,
            capability: None,
            outcome: None,
            checkpoint: Some(checkpoint),
            prev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_line_splits_back_into_its_body_and_hash() {
        let mut buf = b"{\"seq\":1}".to_vec();
        let hash = seal(&mut buf, 0);

        let line = buf.strip_suffix(b"\n").unwrap_or_default();
        let (open_body, text) = split_sealed(line).unwrap_or_default();
        assert_eq!(open_body, b"{\"seq\":1");
        assert_eq!(text, hash);
        assert_eq!(hash_open_body(open_body), hash);
    }

    #[test]
    fn a_line_without_the_sealed_suffix_does_not_split() {
        assert!(split_sealed(b"{\"seq\":1}").is_none());
        let upper = format!("{{\"seq\":1,\"hash\":\"{}\"}}", "A".repeat(64));
        assert!(split_sealed(upper.as_bytes()).is_none());
    }
}
