//! Workload identity for Warden: SPIFFE IDs proven by JWT-SVIDs or X.509-SVIDs.
//!
//! The crate knows nothing of MCP or HTTP. It turns a bearer token or a client
//! certificate into an [`Identity`], or into a [`Refusal`] that names what was wrong
//! and how to fix it. It guarantees that:
//!
//! - a JWT-SVID is accepted only with an allowed asymmetric algorithm, a key from
//!   the current bundle of the token's trust domain whose type fits the algorithm,
//!   the configured audience, and `exp`, `nbf` and `iat` inside the clock skew;
//! - a client certificate is accepted only when it chains to the current X.509
//!   bundle of the trust domain named by its single URI SAN;
//! - bundles rotate without a restart ([`TrustBundles::watch`]), and a key removed
//!   from a bundle stops verifying at once, cached tokens included;
//! - no input, however malformed, makes it panic.
//!
//! A gateway typically loads the configuration, then
//! [`TrustBundles::load`] and [`TrustBundles::watch`], builds one
//! [`JwtSvidVerifier`] and one [`client_cert_verifier`], and calls
//! [`JwtSvidVerifier::verify`] or [`identity_from_certificate`] per request.
//! The crate does not log refusals: the caller logs each one at info, with
//! [`Refusal::code`], since only it knows the request.
//!
//! # Limitations
//!
//! - A bundle *file* is trusted for every accepted trust domain. Federated trust
//!   domains are kept apart, each vouched for by its own bundle, only when the
//!   bundles come from the Workload API.
//! - JWT-SVIDs signed with ES512, PS384, PS512 or EdDSA are refused, and bundle
//!   keys of those kinds are skipped with a warning.
//! - The TLS verifier sends no CA hints to clients (they change on rotation), and
//!   checks no revocation lists.
//! - `workload_api = true` reads `SPIFFE_ENDPOINT_SOCKET` when the configuration
//!   is validated and the bundles load, not afterwards.
//! - The [`dev`] module and the file modes it keeps are for Unix.

mod algorithm;
mod bundle;
mod config;
pub mod dev;
mod error;
mod identity;
mod jwt;
mod spiffe_id;
mod x509;

pub use bundle::TrustBundles;
pub use config::IdentityConfig;
pub use error::{IdentityError, Refusal};
pub use identity::{Identity, Proof};
pub use jwt::JwtSvidVerifier;
pub use spiffe_id::{SpiffeId, TrustDomain};
pub use x509::{
    client_cert_verifier, deferred_client_verifier, identity_from_certificate, identity_from_chain,
    refusal_from_tls_error, spiffe_id_from_certificate,
};
