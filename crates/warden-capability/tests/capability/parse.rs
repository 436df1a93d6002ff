//! Parsing refuses garbage, truncation, forgery and foreign keys, never
//! panicking.

use biscuit_auth::{Biscuit as RawBiscuit, KeyPair};
use proptest::prelude::*;
use warden_capability::{CapabilityError, parse, revocation_ids, to_base64};

use crate::support::{grant, mint, ring};

#[test]
fn a_token_parses_from_base64_text_and_from_raw_bytes() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant());

    let from_text = parse(
        format!("{}\n", to_base64(&token).unwrap()).as_bytes(),
        &ring,
    );
    let from_bytes = parse(&token.to_vec().unwrap(), &ring);

    assert_eq!(revocation_ids(&from_text.unwrap()), revocation_ids(&token));
    assert_eq!(revocation_ids(&from_bytes.unwrap()), revocation_ids(&token));
}

#[test]
fn a_token_of_another_ring_with_the_same_key_id_is_an_invalid_signature() {
    let (_dir, ring) = ring();
    let (_other_dir, other) = crate::support::ring();
    let token = mint(&other, &grant()).to_vec().unwrap();

    let error = parse(&token, &ring).err().unwrap();

    assert!(
        matches!(error, CapabilityError::InvalidSignature),
        "{error}"
    );
}

#[test]
fn a_token_naming_a_key_id_the_ring_lacks_is_an_unknown_root_key() {
    let (_dir, ring) = ring();
    let (_other_dir, mut other) = crate::support::ring();
    other.rotate().unwrap();
    let token = mint(&other, &grant()).to_vec().unwrap();

    let error = parse(&token, &ring).err().unwrap();

    assert!(matches!(error, CapabilityError::UnknownRootKey(ref kid) if kid == "k2"));
}

#[test]
fn a_token_without_a_root_key_id_is_refused() {
    let (_dir, ring) = ring();
    let token = RawBiscuit::builder()
        .build(&KeyPair::new())
        .unwrap()
        .to_vec()
        .unwrap();

    let error = parse(&token, &ring).err().unwrap();

    assert!(
        matches!(error, CapabilityError::MissingRootKeyId),
        "{error}"
    );
}

#[test]
fn text_that_is_not_base64_or_a_token_is_refused() {
    let (_dir, ring) = ring();

    let not_base64 = parse(b"abc=def", &ring).err().unwrap();
    let garbage = parse(b"{not a token}", &ring).err().unwrap();
    let empty = parse(b"", &ring).err().unwrap();

    assert!(
        matches!(not_base64, CapabilityError::NotBase64),
        "{not_base64}"
    );
    assert!(
        matches!(garbage, CapabilityError::Malformed(_)),
        "{garbage}"
    );
    assert!(matches!(empty, CapabilityError::Malformed(_)), "{empty}");
}

#[test]
fn a_token_with_one_flipped_byte_is_refused() {
    let (_dir, ring) = ring();
    let token = mint(&ring, &grant()).to_vec().unwrap();

    for index in (0..token.len()).step_by(7) {
        let mut forged = token.clone();
        forged[index] ^= 0x01;
        assert!(
            parse(&forged, &ring).is_err(),
            "flipped byte {index} was accepted"
        );
    }
}

proptest! {
    #[test]
    fn random_bytes_never_parse(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let (_dir, ring) = ring();
        prop_assert!(parse(&bytes, &ring).is_err());
    }

    #[test]
    fn every_truncation_of_a_valid_token_is_refused(cut in 0usize..10_000) {
        let (_dir, ring) = ring();
        let token = mint(&ring, &grant()).to_vec().unwrap();
        let cut = cut % token.len();

        prop_assert!(parse(&token[..cut], &ring).is_err());
    }
}
