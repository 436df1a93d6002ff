//! Public audit keys, for verifiers that hold no secret.
//!
//! The exported form is `{"keys":[{"kid","public_key","created_at"}]}` with the
//! Ed25519 public key in hex. An auditor verifies a copied log offline against
//! it; a key missing from the set makes its checkpoints fail verification, so
//! a set must include every key that ever signed the log.

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use crate::AuditError;

/// One public key of the ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The key id, e.g. `a1`.
    pub kid: String,
    /// When the key was created, RFC 3339.
    pub created_at: String,
    /// The Ed25519 public key.
    pub key: VerifyingKey,
}

/// The public half of an audit key ring: every key that may have signed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicKeys {
    keys: Vec<PublicKey>,
}

/// The JSON shape of an exported key set.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportedSet {
    keys: Vec<ExportedKey>,
}

/// The JSON shape of one exported key.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportedKey {
    kid: String,
    public_key: String,
    created_at: String,
}

impl PublicKeys {
    /// Builds a set from keys; a later key with a repeated id is refused.
    pub fn new(keys: Vec<PublicKey>) -> Result<PublicKeys, AuditError> {
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid == key.kid) {
                let reason = format!("key id `{}` appears twice", key.kid);
                return Err(AuditError::PublicKeysFormat(reason));
            }
        }
        Ok(PublicKeys { keys })
    }

    /// Parses a set exported by [`PublicKeys::to_json`] or
    /// [`AuditKeys::export_public`](crate::AuditKeys::export_public).
    pub fn from_json(text: &str) -> Result<PublicKeys, AuditError> {
        let set: ExportedSet =
            serde_json::from_str(text).map_err(|e| AuditError::PublicKeysFormat(e.to_string()))?;

        let keys = set
            .keys
            .into_iter()
            .map(|k| {
                let key = parse_public_key(&k.public_key).map_err(|reason| {
                    AuditError::PublicKeysFormat(format!("{}: {reason}", k.kid))
                })?;
                Ok(PublicKey {
                    kid: k.kid,
                    created_at: k.created_at,
                    key,
                })
            })
            .collect::<Result<Vec<_>, AuditError>>()?;
        PublicKeys::new(keys)
    }

    /// Gives the set as JSON for offline verifiers.
    pub fn to_json(&self) -> String {
        let set = ExportedSet {
            keys: self
                .keys
                .iter()
                .map(|k| ExportedKey {
                    kid: k.kid.clone(),
                    public_key: hex::encode(k.key.as_bytes()),
                    created_at: k.created_at.clone(),
                })
                .collect(),
        };
        serde_json::to_string_pretty(&set).unwrap_or_default()
    }

    /// Lists the keys of the set, oldest first.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }

    /// Finds a key by id.
    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|k| k.kid == kid).map(|k| &k.key)
    }
}

/// Parses a hex Ed25519 public key.
pub(crate) fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes)
        .map_err(|e| format!("public key is not 32 bytes of hex: {e}"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| format!("public key is not on the curve: {e}"))
}
