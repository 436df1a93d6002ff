//! The streaming chain check shared by [`verify`](crate::verify) and by the
//! writer when it opens an existing log.
//!
//! Lines are read one at a time into one reused buffer. Each is checked in
//! this order: shape, own hash, seq, `prev`, and for checkpoints the covered
//! seq and the signature. The first failure stops the scan; the state up to
//! the last good line is kept, so the writer can cut a torn tail and go on.

use std::io::{self, BufRead};

use ed25519_dalek::Signature;

use crate::chain::{self, HashHex, genesis, hash_open_body, split_sealed};
use crate::line::{CheckpointView, LineView, parse_line};
use crate::{Damage, DamageKind, PublicKeys};

/// How many recent records are remembered to recognise an inserted copy.
const RECENT: usize = 4096;

/// How often, in lines, progress is reported.
const PROGRESS_EVERY: u64 = 4096;

/// Why a scan stopped early.
#[derive(Debug)]
pub(crate) enum ScanError {
    /// The file could not be read.
    Io(io::Error),
    /// The log is damaged here.
    Damage(Damage),
}

/// The state of the chain after the last good line.
pub(crate) struct Scanner<'k> {
    keys: &'k PublicKeys,
    /// Lines read, including a damaged one.
    pub(crate) line: u64,
    /// Bytes of good lines.
    pub(crate) offset: u64,
    pub(crate) checkpoints: u64,
    pub(crate) last_seq: u64,
    pub(crate) last_hash: HashHex,
    /// Records after the last checkpoint.
    pub(crate) since_checkpoint: u64,
    recent: Vec<(u64, u64, HashHex)>,
}

/// A finding about one line that may need the next line to name it.
enum Finding {
    Damage(DamageKind),
    Ahead { expected: u64, found: u64 },
}

impl<'k> Scanner<'k> {
    /// Starts a scan at the beginning of a log.
    pub(crate) fn new(keys: &'k PublicKeys) -> Scanner<'k> {
        Scanner {
            keys,
            line: 0,
            offset: 0,
            checkpoints: 0,
            last_seq: 0,
            last_hash: genesis(),
            since_checkpoint: 0,
            recent: vec![(0, 0, [0; 64]); RECENT],
        }
    }

    /// Checks every line of `reader`, reporting `(records, bytes)` as it goes.
    pub(crate) fn run<R: BufRead>(
        &mut self,
        mut reader: R,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<(), ScanError> {
        let mut buf = Vec::with_capacity(4096);
        loop {
            buf.clear();
            let read = reader.read_until(b'\n', &mut buf).map_err(ScanError::Io)?;
            if read == 0 {
                progress(self.last_seq, self.offset);
                return Ok(());
            }
            self.line += 1;

            let Some(line) = buf.strip_suffix(b"\n") else {
                return Err(self.damage(None, DamageKind::Truncated));
            };
            self.check(line, &mut reader)?;

            self.offset += read as u64;
            if self.line.is_multiple_of(PROGRESS_EVERY) {
                progress(self.last_seq, self.offset);
            }
        }
    }

    /// Checks one line and, when it is good, advances the chain over it.
    fn check<R: BufRead>(&mut self, line: &[u8], reader: &mut R) -> Result<(), ScanError> {
        let malformed = |reason: String| DamageKind::Malformed { reason };
        let Some((open_body, sealed_hash)) = split_sealed(line) else {
            let reason = "the line does not end with its hash member".to_owned();
            return Err(self.damage(None, malformed(reason)));
        };
        let view = parse_line(line).map_err(|reason| self.damage(None, malformed(reason)))?;
        if view.hash.as_bytes() != sealed_hash {
            let reason = "the hash member is not the last member".to_owned();
            return Err(self.damage(Some(view.seq), malformed(reason)));
        }

        let hash = hash_open_body(open_body);
        match self.judge(&view, &hash) {
            Ok(()) => {
                self.advance(&view, hash);
                Ok(())
            }
            Err(Finding::Damage(kind)) => Err(self.damage(Some(view.seq), kind)),
            Err(Finding::Ahead { expected, found }) => {
                let kind = name_jump(reader, expected, found);
                Err(self.damage(Some(view.seq), kind))
            }
        }
    }

    /// Judges a well-formed line against the chain so far.
    fn judge(&self, view: &LineView<'_>, hash: &HashHex) -> Result<(), Finding> {
        if view.hash.as_bytes() != hash {
            return Err(Finding::Damage(DamageKind::HashMismatch));
        }

        let expected = self.last_seq + 1;
        if view.seq > expected {
            return Err(Finding::Ahead {
                expected,
                found: view.seq,
            });
        }
        if view.seq < expected {
            return Err(Finding::Damage(self.name_repeat(view.seq, hash, expected)));
        }

        if view.prev.as_bytes() != self.last_hash {
            return Err(Finding::Damage(DamageKind::BrokenChain));
        }
        match &view.checkpoint {
            Some(checkpoint) => self.judge_checkpoint(checkpoint).map_err(Finding::Damage),
            None => Ok(()),
        }
    }

    /// Checks that a checkpoint covers the record before it and is signed.
    fn judge_checkpoint(&self, checkpoint: &CheckpointView<'_>) -> Result<(), DamageKind> {
        if checkpoint.covers != self.last_seq || checkpoint.covers == 0 {
            return Err(DamageKind::CheckpointMismatch {
                covers: checkpoint.covers,
                expected: self.last_seq,
            });
        }

        let kid = checkpoint.key_id.as_ref();
        let Some(key) = self.keys.get(kid) else {
            return Err(DamageKind::UnknownKey {
                kid: kid.to_owned(),
            });
        };

        let bad = || DamageKind::BadSignature {
            kid: kid.to_owned(),
        };
        let mut signature = [0u8; 64];
        hex::decode_to_slice(checkpoint.signature.as_bytes(), &mut signature).map_err(|_| bad())?;

        let message = chain::checkpoint_message(checkpoint.covers, &self.last_hash);
        key.verify_strict(&message, &Signature::from_bytes(&signature))
            .map_err(|_| bad())
    }

    /// Names a seq that goes back: a copy of a recent record, or a reorder.
    fn name_repeat(&self, seq: u64, hash: &HashHex, expected: u64) -> DamageKind {
        let (recent_seq, recent_line, recent_hash) = self.recent[slot(seq)];
        if recent_seq == seq && &recent_hash == hash {
            return DamageKind::Duplicate {
                first_line: recent_line,
            };
        }
        DamageKind::OutOfOrder {
            expected,
            found: seq,
        }
    }

    /// Moves the chain over a good line.
    fn advance(&mut self, view: &LineView<'_>, hash: HashHex) {
        if view.checkpoint.is_some() {
            self.checkpoints += 1;
            self.since_checkpoint = 0;
        } else {
            self.since_checkpoint += 1;
        }

        self.recent[slot(view.seq)] = (view.seq, self.line, hash);
        self.last_seq = view.seq;
        self.last_hash = hash;
    }

    /// Builds the damage for the current line.
    fn damage(&self, seq: Option<u64>, kind: DamageKind) -> ScanError {
        ScanError::Damage(Damage {
            line: self.line,
            offset: self.offset,
            seq,
            kind,
        })
    }
}

/// The ring slot of a seq.
fn slot(seq: u64) -> usize {
    (seq % RECENT as u64) as usize
}

/// Names a seq that skips ahead: if the very next line holds the missing
/// seq, two records were swapped; otherwise records were deleted.
fn name_jump<R: BufRead>(reader: &mut R, expected: u64, found: u64) -> DamageKind {
    let mut next = Vec::new();
    let next_seq = reader
        .read_until(b'\n', &mut next)
        .ok()
        .and_then(|_| parse_line(next.strip_suffix(b"\n")?).ok().map(|v| v.seq));

    if next_seq == Some(expected) {
        DamageKind::OutOfOrder { expected, found }
    } else {
        DamageKind::SeqGap { expected, found }
    }
}
