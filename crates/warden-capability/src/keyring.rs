//! Warden's Ed25519 root keys, persisted in an owner-only directory.
//!
//! A ring has one active key, which signs new capabilities, and the public
//! halves of retired keys, which keep verifying the tokens they signed until
//! those expire. Each key has a numeric id, written `k<n>`, that the token
//! carries as its root key id; verification picks the key by that id.
//! Retiring a key deletes its private half.

mod files;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use biscuit_auth::{Algorithm, KeyPair, PrivateKey, PublicKey, RootKeyProvider};
use serde::{Deserialize, Serialize};

use crate::CapabilityError;

const RING_FILE: &str = "ring.json";
const RING_FORMAT: u32 = 1;

/// The root keys of one gateway: the active signing key and retired ones.
pub struct KeyRing {
    dir: PathBuf,
    keys: Vec<RootKeyInfo>,
    active: KeyPair,
    active_info: RootKeyInfo,
}

/// The public facts about one root key, as exported to offline verifiers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootKeyInfo {
    /// Key id as written for people, `k<n>`.
    pub kid: String,
    /// Key id as carried in tokens.
    pub root_key_id: u32,
    /// Always `ed25519`.
    pub algorithm: String,
    /// The public key, hex-encoded.
    pub public_key: String,
    /// When the key was created.
    #[serde(with = "humantime_serde")]
    pub created_at: SystemTime,
    /// When the key stopped signing, if it has.
    #[serde(with = "humantime_serde", default)]
    pub retired_at: Option<SystemTime>,
}

#[derive(Serialize, Deserialize)]
struct RingFile {
    format: u32,
    active: u32,
    keys: Vec<RootKeyInfo>,
}

impl KeyRing {
    /// Creates a new ring with one active key in `dir`; refuses to replace one.
    pub fn init(dir: &Path) -> Result<Self, CapabilityError> {
        files::create_private_dir(dir)?;

        if dir.join(RING_FILE).exists() {
            return Err(CapabilityError::KeyRingExists(dir.to_owned()));
        }

        let (active, active_info) = new_key(dir, 1)?;
        let keys = vec![active_info.clone()];
        let ring = Self {
            dir: dir.to_owned(),
            keys,
            active,
            active_info,
        };
        ring.save()?;
        tracing::info!(key.id = "k1", key.dir = %dir.display(), "root key ring created");
        Ok(ring)
    }

    /// Opens the ring in `dir`, checking that only its owner can read it.
    pub fn open(dir: &Path) -> Result<Self, CapabilityError> {
        let ring_path = dir.join(RING_FILE);
        if !ring_path.exists() {
            return Err(CapabilityError::KeyRingMissing(dir.to_owned()));
        }
        files::require_owner_only(dir)?;

        let text = files::read_private(&ring_path)?;
        let ring: RingFile = serde_json::from_str(&text).map_err(|e| corrupt(&ring_path, &e))?;
        if ring.format != RING_FORMAT {
            let reason = format!("format {} is not the supported {RING_FORMAT}", ring.format);
            return Err(corrupt(&ring_path, &reason));
        }

        let (active, active_info) = load_private(dir, ring.active, &ring.keys)?;
        Ok(Self {
            dir: dir.to_owned(),
            keys: ring.keys,
            active,
            active_info,
        })
    }

    /// Makes a new key active and retires the current one, keeping its
    /// public half so the tokens it signed verify until they expire.
    pub fn rotate(&mut self) -> Result<&RootKeyInfo, CapabilityError> {
        let old_id = self.active_info.root_key_id;
        let new_id = self.keys.iter().map(|k| k.root_key_id).max().unwrap_or(0) + 1;
        let (active, active_info) = new_key(&self.dir, new_id)?;

        for key in self.keys.iter_mut().filter(|k| k.root_key_id == old_id) {
            key.retired_at = Some(SystemTime::now());
        }
        self.keys.push(active_info.clone());
        self.active = active;
        self.active_info = active_info;
        self.save()?;
        files::remove_private(&private_path(&self.dir, old_id))?;

        tracing::info!(key.id = %kid(new_id), key.retired = %kid(old_id), "root key rotated");
        Ok(&self.active_info)
    }

    /// Returns the public facts of the key that signs new capabilities.
    pub fn active(&self) -> &RootKeyInfo {
        &self.active_info
    }

    /// Returns every key of the ring, active and retired, oldest first.
    pub fn keys(&self) -> &[RootKeyInfo] {
        &self.keys
    }

    /// Renders the public keys as JSON for offline verifiers; no secret
    /// material is included.
    pub fn export_public(&self) -> String {
        let export = serde_json::json!({ "keys": self.keys });
        serde_json::to_string_pretty(&export).unwrap_or_default()
    }

    /// Finds the public key with this token root key id.
    pub fn public_key(&self, root_key_id: u32) -> Option<PublicKey> {
        let info = self.keys.iter().find(|k| k.root_key_id == root_key_id)?;
        PublicKey::from_bytes_hex(&info.public_key, Algorithm::Ed25519).ok()
    }

    pub(crate) fn signing_key(&self) -> (&KeyPair, u32) {
        (&self.active, self.active_info.root_key_id)
    }

    fn save(&self) -> Result<(), CapabilityError> {
        let active = self.active_info.root_key_id;
        let ring = RingFile {
            format: RING_FORMAT,
            active,
            keys: self.keys.clone(),
        };
        let text = serde_json::to_string_pretty(&ring)
            .map_err(|e| CapabilityError::Build(format!("cannot encode key ring: {e}")))?;
        files::write_private(&self.dir.join(RING_FILE), &text)
    }
}

impl RootKeyProvider for &KeyRing {
    fn choose(&self, key_id: Option<u32>) -> Result<PublicKey, biscuit_auth::error::Format> {
        key_id
            .and_then(|id| self.public_key(id))
            .ok_or(biscuit_auth::error::Format::UnknownPublicKey)
    }
}

/// Writes a token root key id as people see it, `k<n>`.
pub fn kid(root_key_id: u32) -> String {
    format!("k{root_key_id}")
}

fn private_path(dir: &Path, id: u32) -> PathBuf {
    dir.join(format!("{}.key", kid(id)))
}

fn new_key(dir: &Path, id: u32) -> Result<(KeyPair, RootKeyInfo), CapabilityError> {
    let pair = KeyPair::new();
    files::write_private(&private_path(dir, id), &pair.private().to_bytes_hex())?;

    let info = RootKeyInfo {
        kid: kid(id),
        root_key_id: id,
        algorithm: "ed25519".into(),
        public_key: pair.public().to_bytes_hex(),
        created_at: SystemTime::now(),
        retired_at: None,
    };
    Ok((pair, info))
}

fn load_private(
    dir: &Path,
    id: u32,
    keys: &[RootKeyInfo],
) -> Result<(KeyPair, RootKeyInfo), CapabilityError> {
    let path = private_path(dir, id);
    let hex = files::read_private(&path)?;

    let private = PrivateKey::from_bytes_hex(hex.trim(), Algorithm::Ed25519)
        .map_err(|e| corrupt(&path, &e))?;
    let pair = KeyPair::from(&private);

    let listed = keys
        .iter()
        .find(|k| k.root_key_id == id && k.retired_at.is_none());
    match listed {
        Some(info) if info.public_key == pair.public().to_bytes_hex() => Ok((pair, info.clone())),
        _ => Err(corrupt(
            &path,
            &"private key does not match the active public key",
        )),
    }
}

fn corrupt(path: &Path, reason: &dyn std::fmt::Display) -> CapabilityError {
    CapabilityError::KeyRingCorrupt {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}
