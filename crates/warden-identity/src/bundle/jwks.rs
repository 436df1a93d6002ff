//! Parses JWT bundles: a JWKS document (`{"keys": [...]}`), as a SPIFFE bundle file
//! or the Workload API delivers it, into keys ready to verify JWT-SVIDs.
//!
//! A key meant for JWT-SVIDs (`use` absent, `jwt-svid` or `sig`) that is malformed
//! makes the whole bundle invalid, so that a broken rotation keeps the last good
//! bundle instead of silently dropping a key. Keys for other uses (`x509-svid`) are
//! skipped, and so are well-formed keys of types Warden does not verify, with a
//! warning. Private key material in a bundle is an error.

use std::collections::HashMap;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ParsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use crate::IdentityError;
use crate::algorithm::{KeyType, SvidAlgorithm};
use crate::error::clip;

/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// The largest RSA modulus the verifier supports, in bits.
const MAX_RSA_BITS: usize = 8192;

/// A public key that may verify JWT-SVIDs.
pub(crate) struct JwtKey {
    pub(crate) key_type: KeyType,
    /// The one algorithm the key is restricted to, when its JWK names one.
    pub(crate) alg: Option<SvidAlgorithm>,
    pub(crate) decoding: DecodingKey,
}

/// The JWT-SVID keys of one bundle, by key id.
#[derive(Default)]
pub(crate) struct JwtKeySet {
    keys: HashMap<String, JwtKey>,
}

impl JwtKeySet {
    pub(crate) fn get(&self, kid: &str) -> Option<&JwtKey> {
        self.keys.get(kid)
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Adds one JWK given as JSON bytes, as the Workload API delivers them.
    pub(crate) fn add_jwk_json(&mut self, json: &[u8], origin: &str) -> Result<(), IdentityError> {
        let raw: RawJwk = serde_json::from_slice(json).map_err(|e| invalid(origin, e))?;
        self.add(raw, origin)
    }

    fn add(&mut self, raw: RawJwk, origin: &str) -> Result<(), IdentityError> {
        let Some((kid, key)) = parse_key(raw).map_err(|reason| invalid(origin, reason))? else {
            return Ok(());
        };

        if self.keys.contains_key(&kid) {
            return Err(invalid(origin, format!("key id `{kid}` appears twice")));
        }
        self.keys.insert(kid, key);
        Ok(())
    }
}

/// Parses a JWKS document; `origin` names it in errors, such as a quoted path.
pub(crate) fn parse_jwks(bytes: &[u8], origin: &str) -> Result<JwtKeySet, IdentityError> {
    let document: RawJwks = serde_json::from_slice(bytes).map_err(|e| {
        invalid(
            origin,
            format!("not a jwks json document with a `keys` array: {e}"),
        )
    })?;

    let mut set = JwtKeySet::default();
    for raw in document.keys {
        set.add(raw, origin)?;
    }

    if set.len() == 0 {
        return Err(IdentityError::NoUsableJwtKeys {
            origin: origin.to_owned(),
        });
    }
    Ok(set)
}

fn invalid(origin: &str, reason: impl ToString) -> IdentityError {
    IdentityError::InvalidJwtBundle {
        origin: origin.to_owned(),
        reason: reason.to_string(),
    }
}

// ---- one key ----

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<RawJwk>,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
    alg: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<serde::de::IgnoredAny>,
}

/// Turns one JWK into a key; `Ok(None)` for a key that is not for JWT-SVIDs or of
/// a type that is not verified here.
fn parse_key(raw: RawJwk) -> Result<Option<(String, JwtKey)>, String> {
    match raw.key_use.as_deref() {
        None | Some("jwt-svid" | "sig") => {}
        Some("x509-svid") => return Ok(None),
        Some(other) => {
            tracing::warn!(bundle.key_use = %clip(other), "skipping a bundle key of unknown use");
            return Ok(None);
        }
    }

    let kid = match raw.kid.as_deref() {
        Some(kid) if !kid.is_empty() => kid.to_owned(),
        _ => return Err(format!("a `{}` key has no `kid`", clip(&raw.kty))),
    };
    let named = |reason: String| format!("key `{}`: {reason}", clip(&kid));

    if raw.d.is_some() {
        return Err(named(
            "holds private key material (`d`); publish public keys only".into(),
        ));
    }

    let Some((key_type, decoding)) = parse_material(&raw).map_err(named)? else {
        tracing::warn!(bundle.key_id = %clip(&kid), "skipping a bundle key of an unsupported type");
        return Ok(None);
    };

    let alg = match raw.alg.as_deref() {
        None => None,
        Some(name) => match SvidAlgorithm::from_name(name) {
            Some(alg) if key_type.fits(alg) => Some(alg),
            Some(_) => return Err(named(format!("`alg` {name} does not fit its key type"))),
            None => {
                tracing::warn!(bundle.key_id = %clip(&kid), "skipping a bundle key of another alg");
                return Ok(None);
            }
        },
    };

    let key = JwtKey {
        key_type,
        alg,
        decoding,
    };
    Ok(Some((kid, key)))
}

/// Decodes and checks the public key material; `Ok(None)` for unsupported types.
fn parse_material(raw: &RawJwk) -> Result<Option<(KeyType, DecodingKey)>, String> {
    match raw.kty.as_str() {
        "EC" => parse_ec(raw),
        "RSA" => parse_rsa(raw).map(Some),
        "oct" => Err("is a symmetric key, which can never verify a jwt-svid".into()),
        _ => Ok(None),
    }
}

fn parse_ec(raw: &RawJwk) -> Result<Option<(KeyType, DecodingKey)>, String> {
    let (key_type, algorithm, size) = match raw.crv.as_deref() {
        Some("P-256") => (KeyType::EcP256, &ECDSA_P256_SHA256_FIXED, 32),
        Some("P-384") => (KeyType::EcP384, &ECDSA_P384_SHA384_FIXED, 48),
        Some(_) => return Ok(None),
        None => return Err("ec key has no `crv`".into()),
    };

    let x = coordinate(raw.x.as_deref(), "x", size)?;
    let y = coordinate(raw.y.as_deref(), "y", size)?;
    let mut point = Vec::with_capacity(1 + 2 * size);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);

    ParsedPublicKey::new(algorithm, &point).map_err(|_| "ec point is not on its curve")?;

    // The verifier takes the uncompressed point itself, whatever the name says.
    Ok(Some((key_type, DecodingKey::from_ec_der(&point))))
}

fn coordinate(value: Option<&str>, name: &str, size: usize) -> Result<Vec<u8>, String> {
    let bytes = decode_b64(value, name)?;
    if bytes.len() != size {
        return Err(format!(
            "`{name}` is {} bytes, expected {size}",
            bytes.len()
        ));
    }
    Ok(bytes)
}

fn parse_rsa(raw: &RawJwk) -> Result<(KeyType, DecodingKey), String> {
    let n = decode_b64(raw.n.as_deref(), "n")?;
    let e = decode_b64(raw.e.as_deref(), "e")?;

    let modulus = n
        .iter()
        .position(|&b| b != 0)
        .map_or(&n[..0], |start| &n[start..]);
    let bits = modulus
        .first()
        .map_or(0, |&top| modulus.len() * 8 - top.leading_zeros() as usize);
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(format!(
            "rsa modulus of {bits} bits is outside {MIN_RSA_BITS} to {MAX_RSA_BITS} bits"
        ));
    }
    if e.iter().all(|&b| b == 0) {
        return Err("rsa exponent is zero".into());
    }

    Ok((
        KeyType::Rsa,
        DecodingKey::from_rsa_raw_components(modulus, &e),
    ))
}

fn decode_b64(value: Option<&str>, name: &str) -> Result<Vec<u8>, String> {
    let value = value.ok_or_else(|| format!("missing `{name}`"))?;
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|e| format!("`{name}` is not base64url: {e}"))
}
