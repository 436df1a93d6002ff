//! The rustls client certificate verifiers: one that checks the chain inside the
//! handshake, and one that only requests the certificate and proof of its key,
//! leaving the chain to [`identity_from_chain`](crate::identity_from_chain).

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, OtherError};
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::{IdentityError, Refusal, TrustBundles};

/// Builds the rustls client certificate verifier for `bundles`, which checks each
/// client chain in the handshake. With `mandatory` false, a client without a
/// certificate completes the handshake and must then prove itself another way,
/// such as with a JWT-SVID.
pub fn client_cert_verifier(
    bundles: Arc<TrustBundles>,
    mandatory: bool,
) -> Result<Arc<dyn ClientCertVerifier>, IdentityError> {
    if !bundles.has_x509_bundle() {
        return Err(IdentityError::NoX509Bundle);
    }

    Ok(Arc::new(SpiffeClientVerifier {
        chain: ChainCheck::InHandshake(bundles),
        mandatory,
        algorithms: algorithms(),
    }))
}

/// Builds a rustls client certificate verifier that requests an optional client
/// certificate and checks only that the client holds its key. The chain is *not*
/// verified: every connection that presents one must pass
/// [`identity_from_chain`](crate::identity_from_chain) before it is trusted, which
/// lets the gateway answer a refused certificate with its reason.
pub fn deferred_client_verifier(
    bundles: &TrustBundles,
) -> Result<Arc<dyn ClientCertVerifier>, IdentityError> {
    if !bundles.has_x509_bundle() {
        return Err(IdentityError::NoX509Bundle);
    }

    Ok(Arc::new(SpiffeClientVerifier {
        chain: ChainCheck::AfterHandshake,
        mandatory: false,
        algorithms: algorithms(),
    }))
}

fn algorithms() -> WebPkiSupportedAlgorithms {
    rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms
}

/// Carries a refusal through rustls, which reports it as a bad certificate.
pub(super) fn tls_error(refusal: Refusal) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(refusal))))
}

// ---- the verifier ----

/// When a client chain is checked against the X.509 bundle.
#[derive(Debug)]
enum ChainCheck {
    /// In the handshake, against the trust domain's current bundle.
    InHandshake(Arc<TrustBundles>),
    /// By the caller, after the handshake, with `identity_from_chain`.
    AfterHandshake,
}

/// Requests a client certificate, checks the proof of its key, and checks its
/// chain when `chain` says so.
#[derive(Debug)]
struct SpiffeClientVerifier {
    chain: ChainCheck,
    mandatory: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for SpiffeClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    /// Sends no hints: the CAs change with every rotation, and a client with an
    /// SVID presents it when no hints are given.
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if let ChainCheck::InHandshake(bundles) = &self.chain {
            super::verify_chain(bundles, bundles.config(), end_entity, intermediates, now)?;
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
