//! Tests that configured secrets never reach the log file, while equal
//! values stay recognisably equal.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly when its own fixtures break"
)]

use std::fs;
use std::os::unix::fs::PermissionsExt;

use serde_json::{Value, json};
use tempfile::TempDir;
use warden_audit::{AuditConfig, AuditLog, Event, Kind, REDACTED_PREFIX, Redactor, read};

fn call(request: Value) -> Event {
    Event {
        request: Some(request),
        ..Event::new(Kind::TOOL_CALL)
    }
}

#[tokio::test]
async fn equal_secrets_give_equal_digests_and_never_their_plain_value() {
    let dir = TempDir::new().unwrap();
    let (log, _) = AuditLog::open(dir.path(), AuditConfig::default()).unwrap();
    log.append(call(json!({"user": "ann", "password": "hunter2"})))
        .await
        .unwrap();
    log.append(call(json!({"nested": [{"Password": "hunter2"}]})))
        .await
        .unwrap();
    log.append(call(json!({"password": "correct horse"})))
        .await
        .unwrap();
    log.close().await.unwrap();

    let text = fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert!(
        !text.contains("hunter2") && !text.contains("correct horse"),
        "{text}"
    );

    let requests: Vec<Value> = read(&dir.path().join("audit.jsonl"))
        .unwrap()
        .filter_map(|r| r.unwrap().request)
        .collect();
    let first = requests[0]["password"].as_str().unwrap();
    let nested = requests[1]["nested"][0]["Password"].as_str().unwrap();
    let other = requests[2]["password"].as_str().unwrap();
    assert!(first.starts_with(REDACTED_PREFIX) && first.len() == REDACTED_PREFIX.len() + 64);
    assert_eq!(first, nested);
    assert_ne!(first, other);
    assert_eq!(requests[0]["user"], "ann");
}

#[test]
fn whole_objects_under_a_secret_key_are_digested_canonically() {
    let dir = TempDir::new().unwrap();
    let names = vec!["credentials".to_owned()];
    let redactor = Redactor::open_or_init(&dir.path().join("keys"), &names).unwrap();

    let mut a = json!({"credentials": {"user": "ann", "key": "k1"}});
    let mut b = json!({"credentials": {"key": "k1", "user": "ann"}});
    redactor.redact(&mut a);
    redactor.redact(&mut b);
    assert_eq!(a, b);
    assert!(!a.to_string().contains("k1"));
}

#[test]
fn the_redaction_key_persists_and_is_owner_only() {
    let dir = TempDir::new().unwrap();
    let names = vec!["token".to_owned()];
    let first = Redactor::open_or_init(&dir.path().join("keys"), &names).unwrap();
    let again = Redactor::open_or_init(&dir.path().join("keys"), &names).unwrap();
    assert_eq!(first.digest(&json!("t-1")), again.digest(&json!("t-1")));

    let mode = fs::metadata(dir.path().join("keys/redaction.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let elsewhere = TempDir::new().unwrap();
    let other = Redactor::open_or_init(&elsewhere.path().join("keys"), &names).unwrap();
    assert_ne!(first.digest(&json!("t-1")), other.digest(&json!("t-1")));
}
