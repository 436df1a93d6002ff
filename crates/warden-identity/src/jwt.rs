//! Verification of JWT-SVID bearer tokens against the current JWT bundles.
//!
//! A token is accepted only if, in this order: it is a well-formed compact JWS
//! with an allowed algorithm; its `sub` is a SPIFFE ID of an accepted trust
//! domain; that trust domain's bundle holds its `kid`, with a key whose type fits
//! the algorithm; the signature verifies; `aud` names the gateway's audience; and
//! `exp`, `nbf` and `iat` hold at the given time, give or take the clock skew.
//! Verified tokens are cached until they expire or the bundles change.

mod cache;
mod token;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::bundle::{JwtAuthorities, JwtKey};
use crate::error::clip;
use crate::{Identity, IdentityConfig, Proof, Refusal, SpiffeId, TrustBundles};
use cache::{CachedToken, TokenCache, TokenDigest};
use token::{ParsedToken, TimeClaims};

/// Verifies JWT-SVIDs for one gateway audience; cheap to share between requests.
pub struct JwtSvidVerifier {
    bundles: Arc<TrustBundles>,
    config: IdentityConfig,
    cache: TokenCache,
}

impl std::fmt::Debug for JwtSvidVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSvidVerifier")
            .field("audience", &self.config.audience)
            .finish_non_exhaustive()
    }
}

impl JwtSvidVerifier {
    /// Builds a verifier that checks tokens against `bundles` with the audience,
    /// trust domains, clock skew and cache size of `config`.
    pub fn new(bundles: Arc<TrustBundles>, config: &IdentityConfig) -> Self {
        Self {
            bundles,
            config: config.clone(),
            cache: TokenCache::new(config.cache_size),
        }
    }

    /// Verifies `token` as of `now`, returning the identity it proves or the
    /// specific reason it does not.
    pub fn verify(&self, token: &str, now: SystemTime) -> Result<Identity, Refusal> {
        let Some(audience) = self.config.audience.as_deref() else {
            return Err(Refusal::JwtSvidsNotAccepted);
        };

        let token = token.trim_matches(|c: char| c.is_ascii_whitespace());
        if token.is_empty() {
            return Err(Refusal::MissingCredential);
        }
        if token.len() > token::MAX_TOKEN_BYTES {
            return Err(Refusal::malformed(format!(
                "it is {} bytes long, more than the limit of {}",
                token.len(),
                token::MAX_TOKEN_BYTES
            )));
        }

        let authorities = self.bundles.jwt();
        let digest = TokenCache::digest(token);
        if let Some(authorities) = authorities.as_ref()
            && let Some(hit) = self.cache.get(&digest, authorities.generation)
        {
            return self.recheck(&digest, &hit, now);
        }

        let verified = self.verify_afresh(token, authorities.as_deref(), audience, now)?;
        tracing::debug!(
            agent.spiffe_id = %verified.identity.spiffe_id,
            token.digest = %short_hex(&digest),
            "jwt-svid verified"
        );

        let identity = verified.identity.clone();
        self.cache.insert(digest, verified);
        Ok(identity)
    }

    /// Re-checks the times of a cached token, dropping it once it has expired.
    fn recheck(
        &self,
        digest: &TokenDigest,
        hit: &CachedToken,
        now: SystemTime,
    ) -> Result<Identity, Refusal> {
        if let Err(refusal) = hit.times.check(now, self.skew()) {
            if matches!(refusal, Refusal::Expired { .. }) {
                self.cache.remove(digest);
            }
            return Err(refusal);
        }
        Ok(hit.identity.clone())
    }

    fn verify_afresh(
        &self,
        token: &str,
        authorities: Option<&JwtAuthorities>,
        audience: &str,
        now: SystemTime,
    ) -> Result<CachedToken, Refusal> {
        let parsed = token::parse(token)?;
        let spiffe_id = self.subject(&parsed)?;
        let generation = self.check_signature(&parsed, &spiffe_id, authorities)?;

        match &parsed.claims.aud {
            Some(aud) if aud.contains(audience) => {}
            Some(aud) => {
                return Err(Refusal::WrongAudience {
                    audience: aud.describe(),
                    expected: audience.to_owned(),
                });
            }
            None => return Err(Refusal::malformed("it has no `aud` claim")),
        }

        let times = TimeClaims::from_claims(&parsed.claims)?;
        times.check(now, self.skew())?;

        let identity = Identity {
            spiffe_id,
            proof: Proof::JwtSvid {
                expires_at: times.expires_at,
            },
        };
        Ok(CachedToken {
            generation,
            identity,
            times,
        })
    }

    /// Reads `sub` as a SPIFFE ID of an accepted trust domain.
    fn subject(&self, parsed: &ParsedToken<'_>) -> Result<SpiffeId, Refusal> {
        let sub = parsed
            .claims
            .sub
            .as_deref()
            .ok_or_else(|| Refusal::malformed("it has no `sub` claim"))?;
        self.config.accepted_spiffe_id(sub, "jwt-svid `sub` claim")
    }

    /// Finds the token's key in its trust domain's bundle and verifies the
    /// signature; returns the bundle generation it verified against.
    fn check_signature(
        &self,
        parsed: &ParsedToken<'_>,
        spiffe_id: &SpiffeId,
        authorities: Option<&JwtAuthorities>,
    ) -> Result<u64, Refusal> {
        let trust_domain = spiffe_id.trust_domain();
        let no_bundle = || Refusal::NoBundle {
            kind: "jwt",
            setting: "jwt_bundle",
            trust_domain: trust_domain.clone(),
        };
        let authorities = authorities.ok_or_else(no_bundle)?;
        let keys = authorities.keys_for(&trust_domain).ok_or_else(no_bundle)?;

        let kid = clip(&parsed.kid);
        let key = keys.get(&parsed.kid).ok_or_else(|| Refusal::UnknownKeyId {
            kid: kid.clone(),
            trust_domain: trust_domain.clone(),
        })?;

        let fits = key.key_type.fits(parsed.alg) && key.alg.is_none_or(|alg| alg == parsed.alg);
        if !fits {
            return Err(Refusal::KeyAlgorithmMismatch {
                alg: parsed.alg.name().to_owned(),
                kid,
                key_type: key.key_type.describe(),
            });
        }

        if !signature_verifies(key, parsed) {
            return Err(Refusal::BadSignature { kid });
        }
        Ok(authorities.generation)
    }

    fn skew(&self) -> Duration {
        self.config.clock_skew
    }
}

/// Checks the signature with the aws-lc-rs backend of `jsonwebtoken`, named
/// explicitly so that no process-wide provider choice can change it.
fn signature_verifies(key: &JwtKey, parsed: &ParsedToken<'_>) -> bool {
    let provider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    let Ok(verifier) = (provider.verifier_factory)(&parsed.alg.to_jsonwebtoken(), &key.decoding)
    else {
        return false;
    };
    verifier
        .verify(parsed.signing_input, &parsed.signature)
        .is_ok()
}

/// The first 8 bytes of a digest in hex: enough to correlate log lines, useless to
/// replay a token.
fn short_hex(digest: &TokenDigest) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}
