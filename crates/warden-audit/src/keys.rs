//! The audit signing key ring in `DIR/keys/`.
//!
//! Each key lives in `signing-aN.json` (`0600`, in a `0700` directory) with its
//! id `aN`, creation time, public key and, for the active key only, its secret.
//! The active key is the highest-numbered one. [`AuditKeys::rotate`] creates
//! the next key, then strips the secret from the previous one, so that a key
//! stolen later cannot forge checkpoints signed before the rotation; the old
//! public keys stay, so old checkpoints keep verifying.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::private::{check_private, ensure_private_dir, read_private, write_private};
use crate::public_keys::parse_public_key;
use crate::{AuditError, Checkpoint, PublicKey, PublicKeys, chain};

/// The signing keys of one audit log: the active secret and every public key.
pub struct AuditKeys {
    dir: PathBuf,
    public: Vec<PublicKey>,
    active_number: u32,
    active: SigningKey,
}

/// The JSON shape of a key file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    kid: String,
    created_at: String,
    public_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_key: Option<String>,
}

impl AuditKeys {
    /// Creates a new ring with key `a1` in `dir`; refuses if one exists.
    pub fn init(dir: &Path) -> Result<AuditKeys, AuditError> {
        ensure_private_dir(dir)?;
        if !key_numbers(dir)?.is_empty() {
            return Err(AuditError::KeysExist(dir.to_path_buf()));
        }

        let active = generate()?;
        write_key(dir, 1, &active, true)?;
        tracing::info!(audit.keys_dir = %dir.display(), audit.key_id = "a1", "created audit key");
        AuditKeys::open(dir)
    }

    /// Opens the ring in `dir`, checking its permissions first.
    pub fn open(dir: &Path) -> Result<AuditKeys, AuditError> {
        if !dir.exists() {
            return Err(AuditError::KeysMissing(dir.to_path_buf()));
        }
        check_private(dir, "700")?;

        let numbers = key_numbers(dir)?;
        let Some(&active_number) = numbers.last() else {
            return Err(AuditError::KeysMissing(dir.to_path_buf()));
        };

        let mut public = Vec::with_capacity(numbers.len());
        let mut active = None;
        for number in numbers {
            let (key, secret) = read_key(dir, number)?;
            public.push(key);
            if number == active_number {
                active = secret;
            }
        }

        let active = active.ok_or_else(|| AuditError::KeyFormat {
            path: key_path(dir, active_number),
            reason: "the newest key has no secret key".into(),
        })?;
        Ok(AuditKeys {
            dir: dir.to_path_buf(),
            public,
            active_number,
            active,
        })
    }

    /// Opens the ring in `dir`, creating it first if it holds no key.
    pub fn open_or_init(dir: &Path) -> Result<AuditKeys, AuditError> {
        ensure_private_dir(dir)?;
        if key_numbers(dir)?.is_empty() {
            AuditKeys::init(dir)
        } else {
            AuditKeys::open(dir)
        }
    }

    /// Makes a new key active and retires the current one to public-only.
    /// Returns the new key id.
    pub fn rotate(&mut self) -> Result<String, AuditError> {
        let next = self.active_number + 1;
        let key = generate()?;
        write_key(&self.dir, next, &key, true)?;
        write_key(&self.dir, self.active_number, &self.active, false)?;

        let (public, _) = read_key(&self.dir, next)?;
        self.public.push(public);
        self.active_number = next;
        self.active = key;

        let kid = self.active_kid();
        tracing::info!(
            audit.keys_dir = %self.dir.display(),
            audit.key_id = %kid,
            "rotated audit key"
        );
        Ok(kid)
    }

    /// Gives the id of the key that signs new checkpoints.
    pub fn active_kid(&self) -> String {
        kid(self.active_number)
    }

    /// Gives every public key of the ring, for verification.
    pub fn public_keys(&self) -> PublicKeys {
        PublicKeys::new(self.public.clone()).unwrap_or_default()
    }

    /// Gives the public keys as JSON, for offline verifiers.
    pub fn export_public(&self) -> String {
        self.public_keys().to_json()
    }

    /// Signs a checkpoint over record `covers`, whose hash is `covered_hash`.
    pub(crate) fn sign_checkpoint(&self, covers: u64, covered_hash: &[u8]) -> Checkpoint {
        let message = chain::checkpoint_message(covers, covered_hash);
        Checkpoint {
            covers,
            key_id: self.active_kid(),
            signature: hex::encode(self.active.sign(&message).to_bytes()),
        }
    }
}

/// The id of key number `n`.
fn kid(n: u32) -> String {
    format!("a{n}")
}

/// The file of key number `n`.
fn key_path(dir: &Path, n: u32) -> PathBuf {
    dir.join(format!("signing-a{n}.json"))
}

/// Lists the numbers of the key files in `dir`, ascending.
fn key_numbers(dir: &Path) -> Result<Vec<u32>, AuditError> {
    let entries = fs::read_dir(dir).map_err(|e| AuditError::io("list", dir, e))?;

    let mut numbers = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| AuditError::io("list", dir, e))?;
        let name = entry.file_name();
        let number = name
            .to_str()
            .and_then(|n| n.strip_prefix("signing-a"))
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.parse::<u32>().ok());
        numbers.extend(number);
    }
    numbers.sort_unstable();
    Ok(numbers)
}

/// Creates a key from the operating system's random number generator.
fn generate() -> Result<SigningKey, AuditError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| AuditError::Randomness(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    Ok(key)
}

/// Writes key number `n`, with its secret when `with_secret`.
fn write_key(dir: &Path, n: u32, key: &SigningKey, with_secret: bool) -> Result<(), AuditError> {
    let path = key_path(dir, n);
    let created_at = match read_key(dir, n) {
        Ok((existing, _)) => existing.created_at,
        Err(_) => humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
    };

    let file = KeyFile {
        kid: kid(n),
        created_at,
        public_key: hex::encode(key.verifying_key().as_bytes()),
        secret_key: with_secret.then(|| hex::encode(key.to_bytes())),
    };
    let text = serde_json::to_vec_pretty(&file).map_err(AuditError::Serialize)?;
    write_private(&path, &text)
}

/// Reads key number `n`: its public half, and its secret where present.
fn read_key(dir: &Path, n: u32) -> Result<(PublicKey, Option<SigningKey>), AuditError> {
    let path = key_path(dir, n);
    let bad = |reason: String| AuditError::KeyFormat {
        path: path.clone(),
        reason,
    };

    let text = read_private(&path)?;
    let file: KeyFile = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    if file.kid != kid(n) {
        return Err(bad(format!(
            "it holds key `{}`, not `{}`",
            file.kid,
            kid(n)
        )));
    }

    let public = parse_public_key(&file.public_key).map_err(bad)?;
    let secret = file
        .secret_key
        .as_deref()
        .map(parse_secret)
        .transpose()
        .map_err(bad)?;
    if secret.as_ref().is_some_and(|s| s.verifying_key() != public) {
        return Err(bad("its secret key does not match its public key".into()));
    }

    let key = PublicKey {
        kid: file.kid,
        created_at: file.created_at,
        key: public,
    };
    Ok((key, secret))
}

/// Parses a hex Ed25519 secret key.
fn parse_secret(text: &str) -> Result<SigningKey, String> {
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text, &mut seed)
        .map_err(|e| format!("secret key is not 32 bytes of hex: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    Ok(key)
}
