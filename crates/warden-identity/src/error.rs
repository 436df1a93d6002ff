//! The two kinds of failure: a [`Refusal`] of one request's credential, and an
//! [`IdentityError`] that stops the gateway from starting or a bundle from loading.
//!
//! Every message names the thing that failed and, where one exists, the fix. Values
//! that come from a caller are clipped, so that a refusal never carries more than a
//! few hundred bytes of someone else's input into a log line.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::{SpiffeId, TrustDomain};

/// The longest caller-supplied value, in characters, that a message repeats.
const MAX_ECHOED_CHARS: usize = 128;

/// Shortens a caller-supplied value to at most [`MAX_ECHOED_CHARS`] characters.
pub(crate) fn clip(value: &str) -> String {
    match value.char_indices().nth(MAX_ECHOED_CHARS) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

fn time(at: &SystemTime) -> humantime::Rfc3339Timestamp {
    humantime::format_rfc3339_seconds(*at)
}

fn span(duration: &Duration) -> humantime::FormattedDuration {
    humantime::format_duration(*duration)
}

// ---- Refusal ----

/// Why a request's credential was not accepted; one variant per reason, so that the
/// gateway can log, count and explain each refusal precisely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Neither a bearer token nor a client certificate was presented.
    #[error(
        "no workload credential: send a jwt-svid as `Authorization: Bearer <token>` or present \
         an x.509-svid client certificate"
    )]
    MissingCredential,

    /// The bearer token is not a well-formed JWT-SVID.
    #[error("malformed jwt-svid: {reason}; send the compact jws exactly as the issuer minted it")]
    MalformedToken {
        /// What is wrong with it.
        reason: String,
    },

    /// The token's `kid` names no key in the bundle of its trust domain.
    #[error(
        "jwt-svid key id `{kid}` is not in the jwt bundle of trust domain `{trust_domain}`; the \
         key may have been rotated out: fetch a fresh jwt-svid"
    )]
    UnknownKeyId {
        /// The key id from the token header.
        kid: String,
        /// The trust domain whose bundle was searched.
        trust_domain: TrustDomain,
    },

    /// The signature does not verify with the key the token names.
    #[error(
        "jwt-svid signature does not verify with key `{kid}`; the token was altered or signed by \
         another key"
    )]
    BadSignature {
        /// The key id from the token header.
        kid: String,
    },

    /// The token's `alg` is not one that JWT-SVIDs may use here.
    #[error(
        "jwt-svid algorithm `{alg}` is not allowed; sign with one of ES256, ES384, RS256, RS384, \
         RS512, PS256"
    )]
    AlgorithmNotAllowed {
        /// The algorithm from the token header.
        alg: String,
    },

    /// The token's `alg` does not fit the type of the key it names.
    #[error(
        "jwt-svid algorithm `{alg}` does not fit key `{kid}`, which is {key_type}; the issuer must \
         sign with the algorithm of its key"
    )]
    KeyAlgorithmMismatch {
        /// The algorithm from the token header.
        alg: String,
        /// The key id from the token header.
        kid: String,
        /// The key's type, such as `an ec p-256 key`.
        key_type: &'static str,
    },

    /// The token's `exp` has passed, clock skew included.
    #[error(
        "jwt-svid expired at {} (gateway clock {}, clock skew {}); fetch a fresh jwt-svid",
        time(.expired_at), time(.now), span(.skew)
    )]
    Expired {
        /// The token's `exp`.
        expired_at: SystemTime,
        /// The time the token was checked at.
        now: SystemTime,
        /// The clock skew allowed.
        skew: Duration,
    },

    /// The token's `nbf` or `iat` lies in the future, clock skew included.
    #[error(
        "jwt-svid is not valid before {} (`{claim}` claim; gateway clock {}, clock skew {}); check \
         the issuer's clock",
        time(.valid_from), time(.now), span(.skew)
    )]
    NotYetValid {
        /// The claim that lies in the future: `nbf` or `iat`.
        claim: &'static str,
        /// The claim's time.
        valid_from: SystemTime,
        /// The time the token was checked at.
        now: SystemTime,
        /// The clock skew allowed.
        skew: Duration,
    },

    /// The token was minted for another audience.
    #[error(
        "jwt-svid audience `{audience}` does not match gateway audience `{expected}`; request the \
         jwt-svid for audience `{expected}`"
    )]
    WrongAudience {
        /// The token's audiences, comma-separated.
        audience: String,
        /// The audience the gateway accepts.
        expected: String,
    },

    /// The SPIFFE ID belongs to a trust domain the gateway does not accept.
    #[error(
        "trust domain `{trust_domain}` of `{spiffe_id}` is not accepted (accepted: {accepted}); \
         add it to `identity.extra_trust_domains` to trust it"
    )]
    UntrustedTrustDomain {
        /// The caller's SPIFFE ID.
        spiffe_id: SpiffeId,
        /// Its trust domain.
        trust_domain: TrustDomain,
        /// The accepted trust domains, comma-separated.
        accepted: String,
    },

    /// The token's `sub`, or the certificate's URI SAN, is not a SPIFFE ID.
    #[error("{place} `{value}` is not a spiffe id: {reason}")]
    NotSpiffeId {
        /// Where the value came from, such as ``jwt-svid `sub` claim``.
        place: &'static str,
        /// The value, clipped.
        value: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The client certificate does not chain to the X.509 bundle of its trust domain.
    #[error(
        "client certificate does not chain to a ca of the x.509 bundle: {reason}; issue the \
         x.509-svid from a ca in the bundle of its trust domain"
    )]
    CertificateChainNotTrusted {
        /// What the chain verification reported.
        reason: String,
    },

    /// The client certificate has no URI SAN, or several: an X.509-SVID has exactly one.
    #[error(
        "x.509-svid must carry exactly one uri san, found {count}; present the workload's \
         x.509-svid"
    )]
    UriSanCount {
        /// How many URI SANs the certificate has.
        count: usize,
    },

    /// The client certificate is a CA certificate, which an X.509-SVID leaf must not be.
    #[error(
        "client certificate is a ca certificate (basic constraints ca=true); present the \
         workload's leaf x.509-svid, not its issuer"
    )]
    CertificateIsCa,

    /// The client certificate is not DER-encoded X.509.
    #[error("client certificate is not valid x.509: {reason}")]
    MalformedCertificate {
        /// What the parser reported.
        reason: String,
    },

    /// No bundle of the needed kind is loaded for the credential's trust domain.
    #[error(
        "no {kind} bundle for trust domain `{trust_domain}`; configure `identity.{setting}` or a \
         workload api that serves it"
    )]
    NoBundle {
        /// `jwt` or `x.509`.
        kind: &'static str,
        /// The configuration key of the bundle file.
        setting: &'static str,
        /// The credential's trust domain.
        trust_domain: TrustDomain,
    },

    /// JWT-SVIDs are not accepted, because no audience is configured.
    #[error(
        "this gateway accepts no jwt-svids (no `identity.audience` configured); present an \
         x.509-svid client certificate"
    )]
    JwtSvidsNotAccepted,
}

impl Refusal {
    /// Returns a stable snake_case slug for the reason, which the gateway puts in
    /// logs, metrics and `WWW-Authenticate` headers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingCredential => "missing_credential",
            Self::MalformedToken { .. } => "malformed_token",
            Self::UnknownKeyId { .. } => "unknown_key_id",
            Self::BadSignature { .. } => "bad_signature",
            Self::AlgorithmNotAllowed { .. } => "algorithm_not_allowed",
            Self::KeyAlgorithmMismatch { .. } => "key_algorithm_mismatch",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::WrongAudience { .. } => "wrong_audience",
            Self::UntrustedTrustDomain { .. } => "untrusted_trust_domain",
            Self::NotSpiffeId { .. } => "not_spiffe_id",
            Self::CertificateChainNotTrusted { .. } => "certificate_chain_not_trusted",
            Self::UriSanCount { .. } => "uri_san_count",
            Self::CertificateIsCa => "certificate_is_ca",
            Self::MalformedCertificate { .. } => "malformed_certificate",
            Self::NoBundle { .. } => "no_bundle",
            Self::JwtSvidsNotAccepted => "jwt_svids_not_accepted",
        }
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        Self::MalformedToken {
            reason: reason.into(),
        }
    }
}

// ---- IdentityError ----

/// Why the identity configuration or a trust bundle could not be used; the gateway
/// refuses to start on any of these, and a watcher keeps the last good bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The configuration names no source of bundles.
    #[error(
        "[identity] configures no trust bundle: set `jwt_bundle`, `x509_bundle`, \
         `workload_api_socket` or `workload_api = true`"
    )]
    NoBundleSource,

    /// A JWT bundle is configured but no audience to check tokens against.
    #[error(
        "[identity] sets `jwt_bundle` but no `audience`; set `audience` to the gateway's spiffe id \
         or uri, such as \"spiffe://{trust_domain}/warden\""
    )]
    MissingAudience {
        /// The configured trust domain, for the example.
        trust_domain: TrustDomain,
    },

    /// The audience is neither a SPIFFE ID nor a URI.
    #[error(
        "[identity] audience `{audience}` is not a spiffe id or uri: {reason}; use the gateway's \
         spiffe id, such as \"spiffe://example.org/warden\""
    )]
    InvalidAudience {
        /// The configured audience.
        audience: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The clock skew is too generous to be safe.
    #[error("[identity] clock_skew of {} exceeds the maximum of {}", span(.skew), span(.max))]
    ClockSkewTooLarge {
        /// The configured skew.
        skew: Duration,
        /// The largest skew allowed.
        max: Duration,
    },

    /// `workload_api = true` but the environment names no socket.
    #[error(
        "[identity] sets `workload_api = true` but SPIFFE_ENDPOINT_SOCKET is not set; export it \
         (such as unix:///run/spire/agent.sock) or set `workload_api_socket`"
    )]
    WorkloadApiSocketUnset,

    /// The Workload API socket address is not a valid SPIFFE endpoint.
    #[error(
        "workload api socket `{socket}` is invalid: {reason}; use unix:///path/to/agent.sock or \
         tcp://127.0.0.1:8081"
    )]
    InvalidWorkloadApiSocket {
        /// The configured address.
        socket: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The Workload API could not be reached or did not deliver bundles.
    #[error("workload api at `{socket}`: {reason}")]
    WorkloadApi {
        /// The socket address.
        socket: String,
        /// What went wrong.
        reason: String,
    },

    /// A bundle file cannot be read.
    #[error("cannot read {kind} bundle `{}`: {source}", .path.display())]
    ReadBundle {
        /// `jwt` or `x.509`.
        kind: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A JWT bundle is not a JWKS document, or one of its keys is malformed.
    #[error("jwt bundle {origin} is invalid: {reason}")]
    InvalidJwtBundle {
        /// The file path or Workload API trust domain, quoted.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A JWT bundle holds no key that can verify JWT-SVIDs.
    #[error(
        "jwt bundle {origin} has no usable jwt-svid keys; it needs at least one ec p-256, ec p-384 \
         or rsa key with a `kid`"
    )]
    NoUsableJwtKeys {
        /// The file path or Workload API trust domain, quoted.
        origin: String,
    },

    /// An X.509 bundle is not PEM, or holds no usable CA certificate.
    #[error("x.509 bundle {origin} is invalid: {reason}")]
    InvalidX509Bundle {
        /// The file path or Workload API trust domain, quoted.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A client certificate verifier was asked for, but no X.509 bundle is configured.
    #[error(
        "mutual tls needs an x.509 bundle: set `identity.x509_bundle` or a workload api socket"
    )]
    NoX509Bundle,
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn every_refusal() -> Vec<Refusal> {
        let domain: TrustDomain = "example.org".parse().expect("trust domain");
        let id: SpiffeId = "spiffe://example.org/a".parse().expect("spiffe id");
        let at = SystemTime::UNIX_EPOCH;
        let skew = Duration::from_secs(30);
        let text = String::new;
        vec![
            Refusal::MissingCredential,
            Refusal::MalformedToken { reason: text() },
            Refusal::UnknownKeyId {
                kid: text(),
                trust_domain: domain.clone(),
            },
            Refusal::BadSignature { kid: text() },
            Refusal::AlgorithmNotAllowed { alg: text() },
            Refusal::KeyAlgorithmMismatch {
                alg: text(),
                kid: text(),
                key_type: "",
            },
            Refusal::Expired {
                expired_at: at,
                now: at,
                skew,
            },
            Refusal::NotYetValid {
                claim: "nbf",
                valid_from: at,
                now: at,
                skew,
            },
            Refusal::WrongAudience {
                audience: text(),
                expected: text(),
            },
            Refusal::UntrustedTrustDomain {
                spiffe_id: id,
                trust_domain: domain.clone(),
                accepted: text(),
            },
            Refusal::NotSpiffeId {
                place: "",
                value: text(),
                reason: text(),
            },
            Refusal::CertificateChainNotTrusted { reason: text() },
            Refusal::UriSanCount { count: 0 },
            Refusal::CertificateIsCa,
            Refusal::MalformedCertificate { reason: text() },
            Refusal::NoBundle {
                kind: "jwt",
                setting: "jwt_bundle",
                trust_domain: domain,
            },
            Refusal::JwtSvidsNotAccepted,
        ]
    }

    #[test]
    fn every_refusal_has_its_own_snake_case_code() {
        let refusals = every_refusal();
        let codes: HashSet<&str> = refusals.iter().map(Refusal::code).collect();

        assert_eq!(codes.len(), refusals.len());
        for code in codes {
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
        }
    }

    #[test]
    fn refusal_messages_are_lowercase_sentences_without_a_trailing_period() {
        for refusal in every_refusal() {
            let message = refusal.to_string();
            assert!(!message.ends_with('.'), "{message}");
            assert!(!message.starts_with(char::is_uppercase), "{message}");
        }
    }

    #[test]
    fn clip_shortens_long_values_on_a_character_boundary() {
        let long = "é".repeat(200);

        let clipped = clip(&long);

        assert_eq!(clipped.chars().count(), MAX_ECHOED_CHARS + 1);
        assert!(clipped.ends_with('…'));
        assert_eq!(clip("short"), "short");
    }
}
