//! Redaction of secret values in requests before they are logged.
//!
//! A value under a configured key name (matched without regard to ASCII case,
//! at any depth of objects and arrays) is replaced by `hmac-sha256:<hex>`: the
//! HMAC-SHA256 of the value's canonical JSON (object keys sorted, no
//! whitespace), keyed with a secret in `DIR/keys/redaction.key`. Equal values
//! give equal digests, so an auditor can see that two calls used the same
//! password, but the digest reveals nothing without the key, and the key never
//! leaves the data directory.

use std::fmt;
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::AuditError;
use crate::private::{ensure_private_dir, read_private, write_private};

/// The prefix of every redacted value.
pub const REDACTED_PREFIX: &str = "hmac-sha256:";

/// The name of the redaction key file in the key directory.
const KEY_FILE: &str = "redaction.key";

/// Replaces the values of secret keys by keyed digests.
#[derive(Clone)]
pub struct Redactor {
    key: [u8; 32],
    names: Vec<String>,
}

impl Redactor {
    /// Opens the redaction key in `keys_dir`, creating it on first use, and
    /// redacts the keys in `names`.
    pub fn open_or_init(keys_dir: &Path, names: &[String]) -> Result<Redactor, AuditError> {
        ensure_private_dir(keys_dir)?;

        let path = keys_dir.join(KEY_FILE);
        if !path.exists() {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| AuditError::Randomness(e.to_string()))?;
            write_private(&path, format!("{}\n", hex::encode(key)).as_bytes())?;
        }

        let text = read_private(&path)?;
        let mut key = [0u8; 32];
        hex::decode_to_slice(text.trim_ascii(), &mut key).map_err(|e| AuditError::KeyFormat {
            path: path.clone(),
            reason: format!("redaction key is not 32 bytes of hex: {e}"),
        })?;

        let names = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        Ok(Redactor { key, names })
    }

    /// Redacts, in place, every value whose key is a configured name.
    pub fn redact(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map.iter_mut() {
                    if self.is_secret(key) {
                        *inner = Value::String(self.digest(inner));
                    } else {
                        self.redact(inner);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact(item)),
            _ => {}
        }
    }

    /// Gives the keyed digest of a value, `hmac-sha256:<hex>`, for callers
    /// that redact values outside requests (e.g. in decision facts).
    pub fn digest(&self, value: &Value) -> String {
        let mut text = Vec::new();
        write_canonical(value, &mut text);

        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("hmac accepts keys of any length"));
        mac.update(&text);
        format!(
            "{REDACTED_PREFIX}{}",
            hex::encode(mac.finalize().into_bytes())
        )
    }

    /// Lists the key names that are redacted, in lowercase.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Tells whether a key names a secret.
    fn is_secret(&self, key: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(key))
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// Writes a value as canonical JSON: object keys sorted, no whitespace.
pub(crate) fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));

            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String(key.clone()), out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
        scalar => write_scalar(scalar, out),
    }
}

/// Writes a scalar with serde_json's escaping and number formatting.
fn write_scalar(value: &Value, out: &mut Vec<u8>) {
    // Writing a JSON scalar into memory cannot fail.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = serde_json::json!({"b": 1, "a": {"d": [true, null], "c": "x"}});
        let mut out = Vec::new();
        write_canonical(&value, &mut out);
        assert_eq!(out, br#"{"a":{"c":"x","d":[true,null]},"b":1}"#);
    }
}
