//! The outcome of a successful verification: who the caller is and how it proved it.

use std::time::SystemTime;

use crate::SpiffeId;

/// A verified workload identity, as the gateway binds it to sessions, tasks and
/// audit records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The SPIFFE ID the credential proved.
    pub spiffe_id: SpiffeId,
    /// The kind of credential that proved it.
    pub proof: Proof,
}

/// The credential that proved an [`Identity`], so that callers can log it and bound
/// the lifetime of what they derive from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A JWT-SVID bearer token, valid until its `exp` claim.
    JwtSvid {
        /// When the token's `exp` claim says it expires (clock skew not included).
        expires_at: SystemTime,
    },
    /// An X.509-SVID client certificate presented in the TLS handshake.
    X509Svid,
}
