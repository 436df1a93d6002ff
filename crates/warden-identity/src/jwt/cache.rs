//! Remembers verified JWT-SVIDs so that a token presented again costs a digest and
//! a lookup instead of a signature check.
//!
//! Entries are keyed by the SHA-256 digest of the token, never the token itself,
//! and hold the generation of the JWT bundles they were verified against: after any
//! bundle change every entry misses and its token is verified afresh, so a key
//! removed from a bundle stops verifying at once. Times are checked on every hit.
//! The cache is bounded; the least useful entries are evicted first.

use std::sync::Arc;

use quick_cache::sync::Cache;

use crate::Identity;
use crate::jwt::token::TimeClaims;

/// The SHA-256 digest of a token.
pub(crate) type TokenDigest = [u8; 32];

/// A verified token, as remembered.
pub(crate) struct CachedToken {
    pub(crate) generation: u64,
    pub(crate) identity: Identity,
    pub(crate) times: TimeClaims,
}

/// A bounded map of verified tokens; disabled with a capacity of 0.
pub(crate) struct TokenCache {
    entries: Option<Cache<TokenDigest, Arc<CachedToken>>>,
}

impl TokenCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: (capacity > 0).then(|| Cache::new(capacity)),
        }
    }

    pub(crate) fn digest(token: &str) -> TokenDigest {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        let mut out = [0; 32];
        out.copy_from_slice(digest.as_ref());
        out
    }

    /// Returns the entry for `digest` if it was verified against bundle
    /// `generation`; an entry of another generation is dropped.
    pub(crate) fn get(&self, digest: &TokenDigest, generation: u64) -> Option<Arc<CachedToken>> {
        let entries = self.entries.as_ref()?;
        let entry = entries.get(digest)?;
        if entry.generation == generation {
            return Some(entry);
        }

        entries.remove(digest);
        None
    }

    pub(crate) fn insert(&self, digest: TokenDigest, entry: CachedToken) {
        if let Some(entries) = &self.entries {
            entries.insert(digest, Arc::new(entry));
        }
    }

    pub(crate) fn remove(&self, digest: &TokenDigest) {
        if let Some(entries) = &self.entries {
            entries.remove(digest);
        }
    }
}
