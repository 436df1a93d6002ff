//! Tests of the signing key ring on real directories: permissions, rotation,
//! export for offline verifiers.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly when its own fixtures break"
)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tempfile::TempDir;
use warden_audit::{
    AuditConfig, AuditError, AuditKeys, AuditLog, DamageKind, Event, Kind, PublicKeys, VerifyError,
    read, verify,
};

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

async fn append_and_close(dir: &Path, count: u64) {
    let (log, _) = AuditLog::open(dir, AuditConfig::default()).unwrap();
    for _ in 0..count {
        log.append(Event::new(Kind::TOOL_CALL)).await.unwrap();
    }
    log.close().await.unwrap();
}

#[test]
fn a_key_directory_open_to_others_is_refused_with_the_chmod_that_fixes_it() {
    let dir = TempDir::new().unwrap();
    let keys = dir.path().join("keys");
    AuditKeys::init(&keys).unwrap();
    chmod(&keys, 0o755);

    let error = AuditKeys::open(&keys).err().unwrap();
    assert!(matches!(
        error,
        AuditError::KeyPermissions {
            mode: 0o755,
            fix: "700",
            ..
        }
    ));
    assert!(
        error
            .to_string()
            .contains(&format!("chmod 700 {}", keys.display())),
        "{error}"
    );
    assert!(matches!(
        AuditLog::open(dir.path(), AuditConfig::default()),
        Err(AuditError::KeyPermissions { .. })
    ));
}

#[test]
fn a_key_file_open_to_others_is_refused_with_the_chmod_that_fixes_it() {
    let dir = TempDir::new().unwrap();
    let keys = dir.path().join("keys");
    AuditKeys::init(&keys).unwrap();
    chmod(&keys.join("signing-a1.json"), 0o644);

    let error = AuditKeys::open(&keys).err().unwrap();
    assert!(matches!(
        error,
        AuditError::KeyPermissions {
            mode: 0o644,
            fix: "600",
            ..
        }
    ));
    assert!(error.to_string().contains("chmod 600"), "{error}");
}

#[test]
fn new_keys_are_owner_only() {
    let dir = TempDir::new().unwrap();
    let keys = dir.path().join("keys");
    AuditKeys::init(&keys).unwrap();

    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&keys), 0o700);
    assert_eq!(mode(&keys.join("signing-a1.json")), 0o600);
}

#[test]
fn init_refuses_an_existing_ring_and_open_refuses_a_missing_one() {
    let dir = TempDir::new().unwrap();
    let keys = dir.path().join("keys");
    assert!(matches!(
        AuditKeys::open(&keys),
        Err(AuditError::KeysMissing(_))
    ));

    AuditKeys::init(&keys).unwrap();
    assert!(matches!(
        AuditKeys::init(&keys),
        Err(AuditError::KeysExist(_))
    ));
}

#[test]
fn exported_public_keys_parse_back_for_offline_verifiers() {
    let dir = TempDir::new().unwrap();
    let mut keys = AuditKeys::init(&dir.path().join("keys")).unwrap();
    keys.rotate().unwrap();

    let exported = keys.export_public();
    let parsed = PublicKeys::from_json(&exported).unwrap();
    assert_eq!(parsed, keys.public_keys());
    let kids: Vec<&str> = parsed.keys().iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids, ["a1", "a2"]);
    assert!(!exported.contains("secret"));
    assert!(matches!(
        PublicKeys::from_json(r#"{"keys":[{"kid":"a1","public_key":"zz","created_at":""}]}"#),
        Err(AuditError::PublicKeysFormat(_))
    ));
}

#[tokio::test]
async fn rotation_keeps_old_checkpoints_verifying_and_drops_the_old_secret() {
    let dir = TempDir::new().unwrap();
    let (log, report) = AuditLog::open(dir.path(), AuditConfig::default()).unwrap();
    assert_eq!(report.key_id, "a1");
    log.append(Event::new(Kind::TOOL_CALL)).await.unwrap();
    assert_eq!(log.rotate_key().await.unwrap(), "a2");
    log.append(Event::new(Kind::TOOL_CALL)).await.unwrap();
    log.close().await.unwrap();

    let signers: Vec<String> = read(&dir.path().join("audit.jsonl"))
        .unwrap()
        .filter_map(|r| r.unwrap().checkpoint.map(|c| c.key_id))
        .collect();
    assert_eq!(signers, ["a1", "a2"]);

    let keys = AuditKeys::open(&dir.path().join("keys")).unwrap();
    let report = verify(
        &dir.path().join("audit.jsonl"),
        &keys.public_keys(),
        |_, _| {},
    )
    .unwrap();
    assert_eq!(report.checkpoints, 2);
    let retired = fs::read_to_string(dir.path().join("keys/signing-a1.json")).unwrap();
    assert!(!retired.contains("secret_key"), "{retired}");
}

#[tokio::test]
async fn a_checkpoint_by_a_key_newer_than_the_exported_set_is_an_unknown_key() {
    let dir = TempDir::new().unwrap();
    append_and_close(dir.path(), 2).await;
    let exported_before = AuditKeys::open(&dir.path().join("keys"))
        .unwrap()
        .export_public();

    AuditKeys::open(&dir.path().join("keys"))
        .unwrap()
        .rotate()
        .unwrap();
    append_and_close(dir.path(), 2).await;

    let keys = PublicKeys::from_json(&exported_before).unwrap();
    match verify(&dir.path().join("audit.jsonl"), &keys, |_, _| {}) {
        Err(VerifyError::Damaged(damage)) => {
            let unknown = DamageKind::UnknownKey { kid: "a2".into() };
            assert_eq!(
                (damage.line, damage.seq, damage.kind),
                (6, Some(6), unknown)
            );
        }
        other => panic!("expected an unknown key, got {other:?}"),
    }
}
