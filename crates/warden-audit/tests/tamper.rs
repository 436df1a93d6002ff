//! Tests that every kind of tampering with a real log file is found, with the
//! exact damage kind and line. Some tamperings recompute hashes, as an
//! attacker with write access to the file would, to show that the chain or
//! the checkpoint signatures still catch them.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly when its own fixtures break"
)]

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use warden_audit::{
    AuditConfig, AuditKeys, AuditLog, Damage, DamageKind, Event, Kind, PublicKeys, VerifyError,
    verify,
};

/// A closed log of 12 tool calls with a checkpoint after every 5 records:
/// seqs 1-5 calls, 6 checkpoint, 7-11 calls, 12 checkpoint, 13-14 calls,
/// 15 the final checkpoint.
struct Fixture {
    _dir: TempDir,
    path: PathBuf,
    keys: PublicKeys,
}

fn fixture() -> Fixture {
    let dir = TempDir::new().unwrap();
    let config = AuditConfig {
        checkpoint_every: 5,
        ..AuditConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (log, _) = AuditLog::open(dir.path(), config).unwrap();
        for n in 0..12 {
            let event = Event {
                identity: Some("spiffe://example.org/agent/reviewer".into()),
                task: Some("task-1".into()),
                request: Some(json!({"tool": "tickets.search", "query": format!("bug {n}")})),
                ..Event::new(Kind::TOOL_CALL)
            };
            log.append(event).await.unwrap();
        }
        log.close().await.unwrap();
    });

    let keys = AuditKeys::open(&dir.path().join("keys"))
        .unwrap()
        .public_keys();
    let path = dir.path().join("audit.jsonl");
    Fixture {
        _dir: dir,
        path,
        keys,
    }
}

impl Fixture {
    fn lines(&self) -> Vec<String> {
        fs::read_to_string(&self.path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn write(&self, lines: &[String]) {
        fs::write(&self.path, lines.join("\n") + "\n").unwrap();
    }

    fn damage(&self) -> Damage {
        damage_with(&self.path, &self.keys)
    }
}

fn damage_with(path: &Path, keys: &PublicKeys) -> Damage {
    match verify(path, keys, |_, _| {}) {
        Err(VerifyError::Damaged(damage)) => damage,
        other => panic!("expected damage, got {other:?}"),
    }
}

/// Recomputes a line's hash over its content, as an attacker could.
fn reseal(line: &str) -> String {
    let body = format!("{}}}", &line[..line.len() - 75]);
    let hash = hex::encode(Sha256::digest(body.as_bytes()));
    format!("{},\"hash\":\"{hash}\"}}", &line[..line.len() - 75])
}

/// Gives a line's hash.
fn hash_of(line: &str) -> &str {
    &line[line.len() - 66..line.len() - 2]
}

/// Recomputes `prev` and `hash` of every line from index `from` on.
fn rechain(lines: &mut [String], from: usize) {
    for i in from..lines.len() {
        if i > 0 {
            let prev = hash_of(&lines[i - 1]).to_owned();
            let at = lines[i].find("\"prev\":\"").unwrap() + 8;
            lines[i].replace_range(at..at + 64, &prev);
        }
        lines[i] = reseal(&lines[i]);
    }
}

#[test]
fn an_untouched_log_verifies() {
    let fixture = fixture();
    let report = verify(&fixture.path, &fixture.keys, |_, _| {}).unwrap();
    assert_eq!(
        (report.records, report.checkpoints, report.unsigned_tail),
        (15, 3, 0)
    );
}

#[test]
fn a_flipped_byte_inside_a_value_is_a_hash_mismatch() {
    let fixture = fixture();
    let mut lines = fixture.lines();
    lines[3] = lines[3].replace("bug 3", "bug 8");
    fixture.write(&lines);

    let damage = fixture.damage();
    assert_eq!(
        (damage.line, damage.seq, damage.kind),
        (4, Some(4), DamageKind::HashMismatch)
    );
}

#[test]
fn a_deleted_record_is_a_seq_gap() {
    let fixture = fixture();
    let mut lines = fixture.lines();
    lines.remove(2);
    fixture.write(&lines);

    let damage = fixture.damage();
    let gap = DamageKind::SeqGap {
        expected: 3,
        found: 4,
    };
    assert_eq!((damage.line, &damage.kind), (3, &gap));
    assert!(
        damage.to_string().contains("1 record(s) were deleted"),
        "{damage}"
    );
}

#[test]
fn an_inserted_copy_is_a_duplicate_of_its_original() {
    let fixture = fixture();
    let mut lines = fixture.lines();
    let copy = lines[1].clone();
    lines.insert(4, copy);
    fixture.write(&lines);

    let damage = fixture.damage();
    assert_eq!(
        (damage.line, damage.kind),
        (5, DamageKind::Duplicate { first_line: 2 })
    );
}

#[test]
fn two_swapped_records_are_out_of_order() {
    let fixture = fixture();
    let mut lines = fixture.lines();
    lines.swap(7, 8);
    fixture.write(&lines);

    let damage = fixture.damage();
    let swapped = DamageKind::OutOfOrder {
        expected: 8,
        found: 9,
    };
    assert_eq!(
        (damage.line, damage.seq, damage.kind),
        (8, Some(9), swapped)
    );
}

#[test]
fn a_file_cut_mid_line_is_truncated() {
    let fixture = fixture();
    let text = fs::read(&fixture.path).unwrap();
    fs::write(&fixture.path, &text[..text.len() - 40]).unwrap();

    let damage = fixture.damage();
    assert_eq!((damage.line, damage.kind), (15, DamageKind::Truncated));
}

#[test]
fn a_line_that_is_not_json_is_malformed() {
    let fixture = fixture();
    let mut lines = fixture.lines();
    lines[5] = "garbage".into();
    fixture.write(&lines);

    let damage = fixture.damage();
    assert_eq!(damage.line, 6);
    assert!(
        matches!(damage.kind, DamageKind::Malformed { .. }),
        "{damage}"
    );
}

#[test]
fn a_resealed_edit_breaks_the_chain_at_the_next_record() {
    let fixture = fixture();
    let mut lines = fixture.lines();
    lines[2] = reseal(&lines[2].replace("bug 2", "bug 9"));
    fixture.write(&lines);

    let damage = fixture.damage();
    assert_eq!(
        (damage.line, damage.seq, damage.kind),
        (4, Some(4), DamageKind::BrokenChain)
    );
}

#[test]
fn a_rewritten_history_fails_the_next_checkpoint_signature() {
    let fixture = fixture();
    let mut lines = fixture.lines();
    lines[2] = lines[2].replace("bug 2", "bug 9");
    rechain(&mut lines, 2);
    fixture.write(&lines);

    let damage = fixture.damage();
    let bad = DamageKind::BadSignature { kid: "a1".into() };
    assert_eq!((damage.line, damage.seq, damage.kind), (6, Some(6), bad));
}

#[test]
fn an_altered_signature_is_a_bad_signature() {
    let fixture = fixture();
    let mut lines = fixture.lines();
    let at = lines[11].find("\"signature\":\"").unwrap() + 13;
    let flipped = if &lines[11][at..at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    lines[11].replace_range(at..at + 1, flipped);
    rechain(&mut lines, 11);
    fixture.write(&lines);

    let damage = fixture.damage();
    let bad = DamageKind::BadSignature { kid: "a1".into() };
    assert_eq!((damage.line, damage.seq, damage.kind), (12, Some(12), bad));
}

#[test]
fn a_checkpoint_covering_another_record_is_a_checkpoint_mismatch() {
    let fixture = fixture();
    let mut lines = fixture.lines();
    lines[5] = lines[5].replace("\"covers\":5", "\"covers\":4");
    rechain(&mut lines, 5);
    fixture.write(&lines);

    let damage = fixture.damage();
    let mismatch = DamageKind::CheckpointMismatch {
        covers: 4,
        expected: 5,
    };
    assert_eq!((damage.line, damage.kind), (6, mismatch));
}

#[test]
fn a_checkpoint_by_a_key_the_verifier_lacks_is_an_unknown_key() {
    let fixture = fixture();
    let damage = damage_with(&fixture.path, &PublicKeys::default());
    assert_eq!(
        (damage.line, damage.kind),
        (6, DamageKind::UnknownKey { kid: "a1".into() })
    );
}

#[test]
fn damage_messages_name_the_line_the_seq_and_what_happened() {
    let fixture = fixture();
    let mut lines = fixture.lines();
    lines[3] = lines[3].replace("bug 3", "bug 8");
    fixture.write(&lines);

    let message = fixture.damage().to_string();
    assert!(message.starts_with("line 4 (seq 4): "), "{message}");
    assert!(message.contains("altered"), "{message}");
}

#[test]
fn progress_reaches_every_record_and_byte() {
    let fixture = fixture();
    let mut last = (0, 0);
    verify(&fixture.path, &fixture.keys, |records, bytes| {
        last = (records, bytes)
    })
    .unwrap();
    assert_eq!(last, (15, fs::metadata(&fixture.path).unwrap().len()));
}
