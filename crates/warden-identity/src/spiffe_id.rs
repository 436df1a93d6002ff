//! SPIFFE IDs and trust domains, validated per the SPIFFE ID specification.
//!
//! Both types wrap the `spiffe` crate's validated types, so a value of either type
//! is always well formed: a trust domain of lowercase letters, digits, dots, dashes
//! and underscores, and a path without empty, `.` or `..` segments or a trailing
//! slash. Both serialize as their string form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a SPIFFE ID or trust domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct InvalidSpiffeId {
    reason: String,
}

impl InvalidSpiffeId {
    fn new(reason: impl fmt::Display) -> Self {
        Self {
            reason: reason.to_string().to_lowercase(),
        }
    }
}

// ---- SpiffeId ----

/// A workload's SPIFFE ID, such as `spiffe://example.org/agent/reviewer`: the name
/// every policy, task and audit record refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpiffeId(spiffe::SpiffeId);

impl SpiffeId {
    /// Returns the trust domain the ID belongs to, which decides the bundle that
    /// may vouch for it.
    pub fn trust_domain(&self) -> TrustDomain {
        TrustDomain(self.0.trust_domain().clone())
    }

    /// Returns the path, such as `/agent/reviewer`, or an empty string for the ID
    /// of the trust domain itself.
    pub fn path(&self) -> &str {
        self.0.path()
    }

    /// Tells whether the ID belongs to `trust_domain`, without allocating.
    pub fn is_member_of(&self, trust_domain: &TrustDomain) -> bool {
        self.0.is_member_of(&trust_domain.0)
    }
}

impl FromStr for SpiffeId {
    type Err = InvalidSpiffeId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        spiffe::SpiffeId::new(text)
            .map(Self)
            .map_err(InvalidSpiffeId::new)
    }
}

impl fmt::Display for SpiffeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for SpiffeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SpiffeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|e| serde::de::Error::custom(format!("`{text}` is not a spiffe id: {e}")))
    }
}

// ---- TrustDomain ----

/// A SPIFFE trust domain, such as `example.org`: the unit of trust that a bundle of
/// keys and CA certificates speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrustDomain(spiffe::TrustDomain);

impl TrustDomain {
    /// Returns the name, such as `example.org`.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub(crate) fn from_spiffe(inner: spiffe::TrustDomain) -> Self {
        Self(inner)
    }
}

impl FromStr for TrustDomain {
    type Err = InvalidSpiffeId;

    /// Parses a bare trust domain name; a `spiffe://` URI is refused so that a path
    /// is never silently dropped.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.contains(':') || text.contains('/') {
            return Err(InvalidSpiffeId::new(
                "a trust domain is a bare name such as `example.org`, without `spiffe://` or a \
                 path",
            ));
        }

        spiffe::TrustDomain::new(text)
            .map(Self)
            .map_err(InvalidSpiffeId::new)
    }
}

impl fmt::Display for TrustDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for TrustDomain {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TrustDomain {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(|e| {
            serde::de::Error::custom(format!("`{text}` is not a valid trust domain: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spiffe_id_round_trips_through_its_string_form() {
        let id: SpiffeId = "spiffe://example.org/agent/reviewer"
            .parse()
            .expect("valid id");

        assert_eq!(id.to_string(), "spiffe://example.org/agent/reviewer");
        assert_eq!(id.trust_domain().as_str(), "example.org");
        assert_eq!(id.path(), "/agent/reviewer");
        assert_eq!(
            serde_json::to_string(&id).expect("serializes"),
            "\"spiffe://example.org/agent/reviewer\""
        );
    }

    #[test]
    fn spiffe_id_refuses_what_the_specification_forbids() {
        for bad in [
            "",
            "https://example.org/agent",
            "spiffe://",
            "spiffe:///agent",
            "spiffe://example.org/agent/",
            "spiffe://example.org//agent",
            "spiffe://example.org/agent/../admin",
            "spiffe://exa mple.org/agent",
            "spiffe://user@example.org/agent",
            "spiffe://example.org:8443/agent",
            "spiffe://example.org/agent?x=1",
        ] {
            assert!(bad.parse::<SpiffeId>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn trust_domain_refuses_uris_and_bad_characters() {
        assert!("spiffe://example.org".parse::<TrustDomain>().is_err());
        assert!("example.org/agent".parse::<TrustDomain>().is_err());
        assert!("exa$mple.org".parse::<TrustDomain>().is_err());
        assert!("".parse::<TrustDomain>().is_err());
        let domain: TrustDomain = "example.org".parse().expect("valid trust domain");
        assert_eq!(domain.as_str(), "example.org");
    }
}
