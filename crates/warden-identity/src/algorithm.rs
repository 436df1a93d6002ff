//! The JWS algorithms a JWT-SVID may be signed with, and the key types that fit them.
//!
//! Only asymmetric algorithms are listed: `none` and the HMAC family cannot be
//! expressed, so no code path can accept them.

use jsonwebtoken::Algorithm;

/// An algorithm allowed for JWT-SVIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SvidAlgorithm {
    Es256,
    Es384,
    Rs256,
    Rs384,
    Rs512,
    Ps256,
}

impl SvidAlgorithm {
    /// Parses the `alg` header value; `None` for anything not allowed.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            "PS256" => Self::Ps256,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
        }
    }

    pub(crate) fn to_jsonwebtoken(self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::Es384 => Algorithm::ES384,
            Self::Rs256 => Algorithm::RS256,
            Self::Rs384 => Algorithm::RS384,
            Self::Rs512 => Algorithm::RS512,
            Self::Ps256 => Algorithm::PS256,
        }
    }
}

/// The type of a public key in a JWT bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyType {
    EcP256,
    EcP384,
    Rsa,
}

impl KeyType {
    /// Tells whether a key of this type may verify a signature made with `alg`.
    pub(crate) fn fits(self, alg: SvidAlgorithm) -> bool {
        use SvidAlgorithm::*;

        match self {
            Self::EcP256 => alg == Es256,
            Self::EcP384 => alg == Es384,
            Self::Rsa => matches!(alg, Rs256 | Rs384 | Rs512 | Ps256),
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::EcP256 => "an ec p-256 key",
            Self::EcP384 => "an ec p-384 key",
            Self::Rsa => "an rsa key",
        }
    }
}
