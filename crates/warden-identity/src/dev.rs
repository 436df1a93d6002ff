//! Development JWT-SVIDs, for trying Warden without a SPIFFE deployment
//! (`warden dev svid`).
//!
//! A [`DevIssuer`] keeps one ES256 signing key in a directory and publishes the
//! matching JWT bundle beside it, so that a gateway configured with
//! `jwt_bundle = "<dir>/jwt-bundle.json"` accepts the tokens it mints. The
//! directory is kept at mode 0700 and the key at 0600; an existing key readable by
//! others is refused rather than used. Never point a production gateway at it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::SpiffeId;

/// The signing key's file name: PKCS#8 DER.
const KEY_FILE: &str = "jwt-signing-key.p8";

/// The bundle's file name: a JWKS document.
const BUNDLE_FILE: &str = "jwt-bundle.json";

/// Why the development issuer could not open its key or mint a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevIssuerError {
    /// A file or directory could not be created, read or written.
    #[error("cannot {action} `{}`: {source}", .path.display())]
    Io {
        /// What was being done, such as `read the signing key`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// The key file does not hold an EC P-256 PKCS#8 key.
    #[error(
        "signing key `{}` is not an ec p-256 pkcs#8 key; delete it to have a new one created",
        .path.display()
    )]
    InvalidKey {
        /// The key file.
        path: PathBuf,
    },

    /// The key file is readable or writable by others than its owner.
    #[error("signing key `{}` has mode {mode:o}; run `chmod 600` on it", .path.display())]
    KeyFileTooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// The audience is empty.
    #[error("a jwt-svid needs an audience, such as spiffe://example.org/warden")]
    EmptyAudience,

    /// The signature could not be made.
    #[error("cannot sign the jwt-svid with the development key")]
    Signing,
}

/// Mints JWT-SVIDs with a development key kept in a directory.
pub struct DevIssuer {
    key_pair: EcdsaKeyPair,
    kid: String,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl DevIssuer {
    /// Opens the key in `dir`, creating the directory and the key on first use, and
    /// (re)writes the matching bundle at [`DevIssuer::bundle_path`].
    pub fn open_or_create(dir: &Path) -> Result<Self, DevIssuerError> {
        create_private_dir(dir)?;

        let key_path = dir.join(KEY_FILE);
        let key_pair = if key_path.exists() {
            read_key(&key_path)?
        } else {
            create_key(&key_path)?
        };

        let (x, y) = coordinates(&key_pair);
        let issuer = Self {
            kid: thumbprint(&x, &y),
            key_pair,
        };
        issuer.write_bundle(&Self::bundle_path(dir), &x, &y)?;
        Ok(issuer)
    }

    /// Returns where the bundle for the key in `dir` is written.
    pub fn bundle_path(dir: &Path) -> PathBuf {
        dir.join(BUNDLE_FILE)
    }

    /// Returns the key id: the RFC 7638 thumbprint of the public key, so that it
    /// stays the same across runs.
    pub fn key_id(&self) -> &str {
        &self.kid
    }

    /// Mints a JWT-SVID for `id`, valid for `audience` from now for `ttl`.
    pub fn issue(
        &self,
        id: &SpiffeId,
        audience: &str,
        ttl: Duration,
    ) -> Result<String, DevIssuerError> {
        if audience.is_empty() {
            return Err(DevIssuerError::EmptyAudience);
        }

        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let header = json!({"alg": "ES256", "kid": self.kid, "typ": "JWT"});
        let claims = json!({
            "sub": id.to_string(),
            "aud": audience,
            "iat": now,
            "exp": now.saturating_add(ttl.as_secs()),
        });

        let input = format!("{}.{}", encode_json(&header), encode_json(&claims));
        let signature = self
            .key_pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|_| DevIssuerError::Signing)?;
        Ok(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }

    /// Writes the bundle atomically, and only when its content changes.
    fn write_bundle(&self, path: &Path, x: &[u8], y: &[u8]) -> Result<(), DevIssuerError> {
        let bundle = json!({"keys": [{
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(x),
            "y": URL_SAFE_NO_PAD.encode(y),
            "kid": self.kid,
            "use": "jwt-svid",
            "alg": "ES256",
        }]});
        let text = format!("{bundle:#}\n");
        if fs::read_to_string(path).is_ok_and(|current| current == text) {
            return Ok(());
        }

        let temporary = path.with_extension("json.tmp");
        let io = |action| {
            move |source| DevIssuerError::Io {
                action,
                path: path.to_owned(),
                source,
            }
        };
        fs::write(&temporary, text).map_err(io("write the jwt bundle"))?;
        fs::rename(&temporary, path).map_err(io("replace the jwt bundle"))
    }
}

fn create_private_dir(dir: &Path) -> Result<(), DevIssuerError> {
    let io = |action| {
        move |source| DevIssuerError::Io {
            action,
            path: dir.to_owned(),
            source,
        }
    };

    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io("create the directory"))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(io("restrict the directory"))
}

fn read_key(path: &Path) -> Result<EcdsaKeyPair, DevIssuerError> {
    let io = |action| {
        move |source| DevIssuerError::Io {
            action,
            path: path.to_owned(),
            source,
        }
    };

    let mode = fs::metadata(path)
        .map_err(io("inspect the signing key"))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(DevIssuerError::KeyFileTooOpen {
            path: path.to_owned(),
            mode: mode & 0o777,
        });
    }

    let der = fs::read(path).map_err(io("read the signing key"))?;
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).map_err(|_| {
        DevIssuerError::InvalidKey {
            path: path.to_owned(),
        }
    })
}

fn create_key(path: &Path) -> Result<EcdsaKeyPair, DevIssuerError> {
    let io = |action| {
        move |source| DevIssuerError::Io {
            action,
            path: path.to_owned(),
            source,
        }
    };

    let der = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|_| DevIssuerError::Signing)?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io("create the signing key"))?;
    file.write_all(der.as_ref())
        .map_err(io("write the signing key"))?;
    file.sync_all().map_err(io("write the signing key"))?;

    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der.as_ref()).map_err(|_| {
        DevIssuerError::InvalidKey {
            path: path.to_owned(),
        }
    })
}

/// Splits the public key (an uncompressed point) into its coordinates.
fn coordinates(key_pair: &EcdsaKeyPair) -> (Vec<u8>, Vec<u8>) {
    let point = key_pair.public_key().as_ref();
    let coordinates = point.get(1..).unwrap_or_default();
    let (x, y) = coordinates.split_at(coordinates.len() / 2);
    (x.to_vec(), y.to_vec())
}

/// The RFC 7638 thumbprint of an EC P-256 public key, base64url.
fn thumbprint(x: &[u8], y: &[u8]) -> String {
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(x),
        URL_SAFE_NO_PAD.encode(y)
    );
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn encode_json(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}
