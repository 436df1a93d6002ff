//! Parsing and verifying tokens, revocation ids and argument digests.
//!
//! Parsing never panics: garbage, truncated, forged and foreign tokens each
//! give their own error. The root key is chosen by the id the token carries.

use biscuit_auth::error::{Format, Token};
use biscuit_auth::{Biscuit, UnverifiedBiscuit};
use sha2::{Digest, Sha256};

use crate::{CapabilityError, KeyRing, keyring};

/// Parses a token given as raw bytes or as url-safe base64 text and verifies
/// its signatures against the ring, picking the key by the token's key id.
pub fn parse(input: &[u8], ring: &KeyRing) -> Result<Biscuit, CapabilityError> {
    let unverified = parse_unverified(input)?;

    let root_key_id = unverified
        .root_key_id()
        .ok_or(CapabilityError::MissingRootKeyId)?;
    let key = ring
        .public_key(root_key_id)
        .ok_or_else(|| CapabilityError::UnknownRootKey(keyring::kid(root_key_id)))?;

    unverified.verify(|_| Ok(key)).map_err(|e| format_error(&e))
}

/// Returns the hex revocation id of every block, authority first.
pub fn revocation_ids(token: &Biscuit) -> Vec<String> {
    token
        .revocation_identifiers()
        .iter()
        .map(hex::encode)
        .collect()
}

/// Serializes a token as url-safe base64, the form agents and logs carry.
pub fn to_base64(token: &Biscuit) -> Result<String, CapabilityError> {
    token
        .to_base64()
        .map_err(|e| CapabilityError::Build(e.to_string()))
}

/// Digests call arguments canonically (object keys sorted, no whitespace),
/// so that the same arguments always give the same hex SHA-256.
pub fn args_digest(args: &serde_json::Value) -> String {
    let mut canonical = String::new();
    write_canonical(args, &mut canonical);
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Parses without checking signatures, for inspection and as the first step
/// of [`parse`].
pub(crate) fn parse_unverified(input: &[u8]) -> Result<UnverifiedBiscuit, CapabilityError> {
    let trimmed = input.trim_ascii();
    let is_text = !trimmed.is_empty() && trimmed.iter().all(|b| is_base64url(*b));

    let parsed = if is_text {
        UnverifiedBiscuit::from_base64(trimmed)
    } else {
        UnverifiedBiscuit::from(input)
    };
    parsed.map_err(|e| token_error(&e))
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'=')
}

fn token_error(error: &Token) -> CapabilityError {
    match error {
        Token::Base64(_) => CapabilityError::NotBase64,
        Token::Format(format) => format_error(format),
        other => CapabilityError::Malformed(other.to_string()),
    }
}

fn format_error(error: &Format) -> CapabilityError {
    match error {
        Format::Signature(_) | Format::SealedSignature | Format::InvalidSignatureSize(_) => {
            CapabilityError::InvalidSignature
        }
        Format::UnknownPublicKey => CapabilityError::MissingRootKeyId,
        other => CapabilityError::Malformed(other.to_string()),
    }
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));

            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
