//! Inspection of tokens with and without a key ring.

use warden_capability::{SignatureStatus, attenuate_for_call, inspect, revocation_ids, to_base64};

use crate::support::{grant, mint, ring};

#[test]
fn inspection_without_a_ring_lists_blocks_and_says_the_signature_is_unchecked() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());

    let inspection = inspect(to_base64(&token).unwrap().as_bytes(), None).unwrap();

    assert_eq!(inspection.root_key_id.as_deref(), Some("k1"));
    assert_eq!(inspection.signature, SignatureStatus::NotChecked);
    assert_eq!(inspection.revocation_ids, revocation_ids(&token));
    assert_eq!(inspection.blocks.len(), 2);
    assert_eq!(inspection.blocks[0].facts.len(), 3);
    assert!(inspection.blocks[0].facts[0].starts_with("identity(\"spiffe://"));
    assert!(inspection.blocks[0].checks.is_empty());
    assert_eq!(inspection.blocks[1].checks.len(), 5);
}

#[test]
fn inspection_with_a_ring_verifies_the_signature() {
    let (_dir, ring) = ring();
    let (_other_dir, other) = crate::support::ring();
    let token = to_base64(&mint(&ring, &grant())).unwrap();

    let valid = inspect(token.as_bytes(), Some(&ring)).unwrap();
    let invalid = inspect(token.as_bytes(), Some(&other)).unwrap();

    assert_eq!(valid.signature, SignatureStatus::Valid);
    assert!(matches!(invalid.signature, SignatureStatus::Invalid { .. }));
}

#[test]
fn inspection_prints_for_people_and_serializes_for_tools() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());
    let scope = warden_capability::CallScope {
        tool: "fs.read_file".into(),
        call_id: "c".into(),
        args_digest: "d".into(),
        expires_at: std::time::SystemTime::now(),
    };
    let call_token = to_base64(&attenuate_for_call(&token, &scope).unwrap()).unwrap();

    let inspection = inspect(call_token.as_bytes(), None).unwrap();
    let text = inspection.to_string();
    let json = serde_json::to_value(&inspection).unwrap();

    assert!(text.contains("authority 0"));
    assert!(text.contains("check if call(\"c\");"));
    assert_eq!(json["signature"]["status"], "not_checked");
    assert_eq!(json["blocks"][2]["checks"].as_array().unwrap().len(), 4);
}
