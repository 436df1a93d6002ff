//! Key ring files, permissions, rotation and export.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use warden_capability::{CapabilityError, KeyRing, parse, to_base64};

use crate::support::{grant, mint, ring};

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_writes_an_owner_only_directory_and_files() {
    let (dir, _ring) = ring();
    let keys = dir.path().join("keys");

    assert_eq!(mode(&keys), 0o700);
    assert_eq!(mode(&keys.join("ring.json")), 0o600);
    assert_eq!(mode(&keys.join("k1.key")), 0o600);
}

#[test]
fn init_refuses_to_overwrite_an_existing_ring() {
    let (dir, _ring) = ring();

    let error = KeyRing::init(&dir.path().join("keys")).err().unwrap();

    assert!(
        matches!(error, CapabilityError::KeyRingExists(_)),
        "{error}"
    );
}

#[test]
fn open_of_an_empty_directory_says_to_run_init() {
    let dir = tempfile::TempDir::new().unwrap();

    let error = KeyRing::open(dir.path()).err().unwrap();

    assert!(
        matches!(error, CapabilityError::KeyRingMissing(_)),
        "{error}"
    );
    assert!(error.to_string().contains("warden keys init"));
}

#[test]
fn open_refuses_a_ring_readable_by_others() {
    let (dir, _ring) = ring();
    let ring_file = dir.path().join("keys/ring.json");
    fs::set_permissions(&ring_file, fs::Permissions::from_mode(0o644)).unwrap();

    let error = KeyRing::open(&dir.path().join("keys")).err().unwrap();

    assert!(matches!(error, CapabilityError::KeyRingPermissions(ref p) if *p == ring_file));
}

#[test]
fn reopened_ring_verifies_tokens_it_signed_before() {
    let (dir, ring) = ring();
    let token = to_base64(&mint(&ring, &grant())).unwrap();

    let reopened = KeyRing::open(&dir.path().join("keys")).unwrap();

    assert!(parse(token.as_bytes(), &reopened).is_ok());
    assert_eq!(reopened.active(), ring.active());
}

#[test]
fn rotation_keeps_old_tokens_verifying_and_signs_new_ones_with_the_new_key() {
    let (dir, mut ring) = ring();
    let old_token = to_base64(&mint(&ring, &grant())).unwrap();

    let new_kid = ring.rotate().unwrap().kid.clone();
    let new_token = mint(&ring, &grant());
    let reopened = KeyRing::open(&dir.path().join("keys")).unwrap();

    assert_eq!(new_kid, "k2");
    assert_eq!(new_token.root_key_id(), Some(2));
    assert!(parse(old_token.as_bytes(), &reopened).is_ok());
    assert!(
        !dir.path().join("keys/k1.key").exists(),
        "retired private key must be deleted"
    );
    assert!(reopened.keys()[0].retired_at.is_some());
    assert!(reopened.keys()[1].retired_at.is_none());
}

#[test]
fn export_lists_every_public_key_with_its_retirement_and_no_secret() {
    let (dir, mut ring) = ring();
    ring.rotate().unwrap();
    let private_hex = fs::read_to_string(dir.path().join("keys/k2.key")).unwrap();

    let export: serde_json::Value = serde_json::from_str(&ring.export_public()).unwrap();

    let keys = export["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["kid"], "k1");
    assert_eq!(keys[0]["algorithm"], "ed25519");
    assert!(keys[0]["retired_at"].is_string());
    assert!(keys[1]["retired_at"].is_null());
    assert!(!ring.export_public().contains(private_hex.trim()));
}
