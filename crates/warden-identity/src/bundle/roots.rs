//! Parses X.509 bundles (PEM CA certificates) into chain verifiers for client
//! certificates.
//!
//! Each bundle becomes one `webpki` client verifier, built once per load so that a
//! handshake only looks it up. Every certificate in the file must be usable as a
//! trust anchor, or the whole bundle is refused.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::IdentityError;

/// Parses PEM text holding one or more `CERTIFICATE` blocks.
pub(crate) fn parse_pem(
    bytes: &[u8],
    origin: &str,
) -> Result<Vec<CertificateDer<'static>>, IdentityError> {
    let certificates = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(origin, format!("not valid pem: {e}")))?;

    if certificates.is_empty() {
        return Err(invalid(origin, "holds no `CERTIFICATE` pem block"));
    }
    Ok(certificates)
}

/// Builds the chain verifier for a set of CA certificates.
pub(crate) fn verifier_for(
    certificates: Vec<CertificateDer<'static>>,
    origin: &str,
) -> Result<Arc<dyn ClientCertVerifier>, IdentityError> {
    let mut store = RootCertStore::empty();
    for (index, certificate) in certificates.into_iter().enumerate() {
        store.add(certificate).map_err(|e| {
            invalid(
                origin,
                format!("certificate #{} cannot be a trust anchor: {e}", index + 1),
            )
        })?;
    }

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider)
        .build()
        .map_err(|e| invalid(origin, e))
}

fn invalid(origin: &str, reason: impl ToString) -> IdentityError {
    IdentityError::InvalidX509Bundle {
        origin: origin.to_owned(),
        reason: reason.to_string(),
    }
}
