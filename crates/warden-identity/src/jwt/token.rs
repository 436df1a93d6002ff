//! Splits and decodes a compact JWS JWT-SVID before its signature is checked.
//!
//! Nothing decoded here is trusted until the signature verifies; the parser only
//! makes sure that every later step works on well-formed values. It refuses, as the
//! JWT-SVID specification asks: other than three segments, a header without `kid`,
//! a `typ` other than `JWT` or `JOSE`, critical header extensions, duplicate claims,
//! and any `alg` outside the allowed list.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::Refusal;
use crate::algorithm::SvidAlgorithm;
use crate::error::clip;

/// The longest token accepted, in bytes: JWT-SVIDs are well under 2 KiB.
pub(crate) const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The latest NumericDate accepted: the last second of the year 9999. Later values
/// are malformed, which keeps every time computation far from overflow.
const MAX_NUMERIC_DATE: f64 = 253_402_300_799.0;

/// A JWT-SVID split into its parts, its signature not yet verified.
pub(crate) struct ParsedToken<'a> {
    pub(crate) alg: SvidAlgorithm,
    pub(crate) kid: String,
    pub(crate) claims: Claims,
    /// The signed bytes: the header and payload segments with their dot.
    pub(crate) signing_input: &'a [u8],
    pub(crate) signature: Vec<u8>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    crit: Option<serde::de::IgnoredAny>,
}

/// The registered claims a JWT-SVID is judged by; others are ignored.
#[derive(Deserialize)]
pub(crate) struct Claims {
    pub(crate) sub: Option<String>,
    pub(crate) aud: Option<Audience>,
    exp: Option<f64>,
    nbf: Option<f64>,
    iat: Option<f64>,
}

/// The `aud` claim: one audience or several.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub(crate) fn contains(&self, expected: &str) -> bool {
        match self {
            Self::One(audience) => audience == expected,
            Self::Many(audiences) => audiences.iter().any(|audience| audience == expected),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Self::One(audience) => clip(audience),
            Self::Many(audiences) => clip(&audiences.join(", ")),
        }
    }
}

/// Splits, decodes and checks the form of a token.
pub(crate) fn parse(token: &str) -> Result<ParsedToken<'_>, Refusal> {
    let segments: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = segments[..] else {
        return Err(Refusal::malformed(format!(
            "it has {} dot-separated segments, a jws has 3",
            segments.len()
        )));
    };

    let header: Header = decode_json(header, "header")?;
    let alg =
        SvidAlgorithm::from_name(&header.alg).ok_or_else(|| Refusal::AlgorithmNotAllowed {
            alg: clip(&header.alg),
        })?;
    let kid = check_header(header)?;

    let claims: Claims = decode_json(payload, "claims")?;
    let signature = decode_segment(signature, "signature")?;
    let signing_input = &token.as_bytes()[..header_and_payload_len(token)];

    Ok(ParsedToken {
        alg,
        kid,
        claims,
        signing_input,
        signature,
    })
}

/// Checks the header fields besides `alg`, and returns the key id.
fn check_header(header: Header) -> Result<String, Refusal> {
    if header.crit.is_some() {
        return Err(Refusal::malformed(
            "its header has critical extensions (`crit`)",
        ));
    }
    if let Some(typ) = header.typ.as_deref()
        && typ != "JWT"
        && typ != "JOSE"
    {
        return Err(Refusal::malformed(format!(
            "header `typ` is `{}`, not JWT or JOSE",
            clip(typ)
        )));
    }

    match header.kid {
        Some(kid) if !kid.is_empty() => Ok(kid),
        _ => Err(Refusal::malformed("its header has no `kid`")),
    }
}

/// The length of `header.payload`, the part of the token that is signed.
fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_segment(segment: &str, name: &str) -> Result<Vec<u8>, Refusal> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|e| Refusal::malformed(format!("its {name} is not base64url: {e}")))
}

fn decode_json<T: serde::de::DeserializeOwned>(segment: &str, name: &str) -> Result<T, Refusal> {
    let bytes = decode_segment(segment, name)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Refusal::malformed(format!("its {name} segment is not valid json: {e}")))
}

// ---- times ----

/// A token's validity period, checked on first sight and on every cache hit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeClaims {
    pub(crate) expires_at: SystemTime,
    not_before: Option<SystemTime>,
    issued_at: Option<SystemTime>,
}

impl TimeClaims {
    /// Reads `exp` (required), `nbf` and `iat` from the claims.
    pub(crate) fn from_claims(claims: &Claims) -> Result<Self, Refusal> {
        let exp = claims
            .exp
            .ok_or_else(|| Refusal::malformed("it has no `exp` claim; a jwt-svid must expire"))?;

        Ok(Self {
            expires_at: numeric_date(exp, "exp")?,
            not_before: claims.nbf.map(|nbf| numeric_date(nbf, "nbf")).transpose()?,
            issued_at: claims.iat.map(|iat| numeric_date(iat, "iat")).transpose()?,
        })
    }

    /// Refuses a token that has expired or is not valid yet at `now`, allowing
    /// `skew` either way.
    pub(crate) fn check(&self, now: SystemTime, skew: Duration) -> Result<(), Refusal> {
        let latest_now = now.checked_add(skew).unwrap_or(now);
        let deadline = self.expires_at.checked_add(skew).unwrap_or(self.expires_at);
        if now >= deadline {
            return Err(Refusal::Expired {
                expired_at: self.expires_at,
                now,
                skew,
            });
        }

        let starts = [("nbf", self.not_before), ("iat", self.issued_at)];
        for (claim, valid_from) in starts {
            if let Some(valid_from) = valid_from
                && valid_from > latest_now
            {
                return Err(Refusal::NotYetValid {
                    claim,
                    valid_from,
                    now,
                    skew,
                });
            }
        }

        Ok(())
    }
}

/// Converts a JWT NumericDate (seconds since the epoch) to a time.
fn numeric_date(seconds: f64, claim: &str) -> Result<SystemTime, Refusal> {
    let out_of_range =
        || Refusal::malformed(format!("its `{claim}` claim {seconds} is out of range"));
    if !(0.0..=MAX_NUMERIC_DATE).contains(&seconds) {
        return Err(out_of_range());
    }

    Duration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|since_epoch| SystemTime::UNIX_EPOCH.checked_add(since_epoch))
        .ok_or_else(out_of_range)
}
