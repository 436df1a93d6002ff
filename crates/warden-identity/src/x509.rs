//! X.509-SVID client certificates: checking a client chain against the current
//! X.509 bundle, and reading the SPIFFE ID it proves.
//!
//! A chain is judged in two steps: the leaf's single URI SAN must be a SPIFFE ID of
//! an accepted trust domain, then the chain must verify against that trust
//! domain's CAs only, as they stand at that moment, so that a rotated bundle
//! applies to the next handshake without rebuilding the TLS configuration. The
//! check runs either inside the handshake ([`client_cert_verifier`]) or after it
//! ([`deferred_client_verifier`] with [`identity_from_chain`]), where a refusal
//! can be answered with its reason instead of a bare TLS alert.

mod verifier;

use rustls::CertificateError;
use rustls_pki_types::{CertificateDer, UnixTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

pub use verifier::{client_cert_verifier, deferred_client_verifier};

use crate::{Identity, IdentityConfig, Proof, Refusal, SpiffeId, TrustBundles};

/// Returns the identity a client certificate proves. Call it only for a
/// certificate that [`client_cert_verifier`] accepted in the handshake: it checks
/// the certificate's form and trust domain, not its chain.
pub fn identity_from_certificate(der: &[u8], config: &IdentityConfig) -> Result<Identity, Refusal> {
    let spiffe_id = spiffe_id_from_certificate(der, config)?;
    Ok(Identity {
        spiffe_id,
        proof: Proof::X509Svid,
    })
}

/// Returns the identity a client chain (leaf first) proves, verifying the chain
/// against the current X.509 bundle of the leaf's trust domain; the check to run
/// after a handshake accepted by [`deferred_client_verifier`].
pub fn identity_from_chain(
    bundles: &TrustBundles,
    config: &IdentityConfig,
    chain: &[CertificateDer<'_>],
) -> Result<Identity, Refusal> {
    let (leaf, intermediates) = chain.split_first().ok_or(Refusal::MissingCredential)?;

    let spiffe_id = verify_chain(bundles, config, leaf, intermediates, UnixTime::now())
        .map_err(|error| refusal_from_rustls(&error))?;
    Ok(Identity {
        spiffe_id,
        proof: Proof::X509Svid,
    })
}

/// Reads the leaf's SPIFFE ID and verifies the chain against the bundle of its
/// trust domain; errors are rustls errors, refusals carried inside.
pub(crate) fn verify_chain(
    bundles: &TrustBundles,
    config: &IdentityConfig,
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    now: UnixTime,
) -> Result<SpiffeId, rustls::Error> {
    let spiffe_id = spiffe_id_from_certificate(leaf, config).map_err(verifier::tls_error)?;

    let trust_domain = spiffe_id.trust_domain();
    let authorities = bundles.x509();
    let Some(chain_verifier) = authorities
        .as_ref()
        .and_then(|now| now.verifier_for(&trust_domain))
    else {
        return Err(verifier::tls_error(Refusal::NoBundle {
            kind: "x.509",
            setting: "x509_bundle",
            trust_domain,
        }));
    };

    chain_verifier.verify_client_cert(leaf, intermediates, now)?;
    Ok(spiffe_id)
}

/// Reads the SPIFFE ID from a leaf certificate's single URI SAN and checks that its
/// trust domain is accepted; refuses CA certificates, which cannot be SVID leaves.
pub fn spiffe_id_from_certificate(
    der: &[u8],
    config: &IdentityConfig,
) -> Result<SpiffeId, Refusal> {
    let malformed = |reason: String| Refusal::MalformedCertificate { reason };
    let (rest, certificate) =
        x509_parser::parse_x509_certificate(der).map_err(|e| malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(malformed(format!(
            "{} bytes follow the certificate",
            rest.len()
        )));
    }

    let constraints = certificate
        .basic_constraints()
        .map_err(|e| malformed(e.to_string()))?;
    if constraints.is_some_and(|extension| extension.value.ca) {
        return Err(Refusal::CertificateIsCa);
    }

    let uri = single_uri_san(&certificate)?;
    config.accepted_spiffe_id(uri, "certificate uri san")
}

/// Returns the certificate's URI SAN, refusing none or several.
fn single_uri_san<'a>(certificate: &X509Certificate<'a>) -> Result<&'a str, Refusal> {
    let malformed = |e: x509_parser::error::X509Error| Refusal::MalformedCertificate {
        reason: e.to_string(),
    };
    let names = certificate.subject_alternative_name().map_err(malformed)?;
    let uris: Vec<&str> = names
        .iter()
        .flat_map(|extension| &extension.value.general_names)
        .filter_map(|name| match name {
            GeneralName::URI(uri) => Some(*uri),
            _ => None,
        })
        .collect();

    match uris[..] {
        [uri] => Ok(uri),
        _ => Err(Refusal::UriSanCount { count: uris.len() }),
    }
}

/// Recovers the [`Refusal`] behind a failed TLS handshake, from a `rustls::Error`
/// or an `std::io::Error` that wraps one, so that the gateway can log and count it;
/// `None` when the handshake failed for a reason other than the client's
/// certificate.
pub fn refusal_from_tls_error(error: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    let tls = error.downcast_ref::<rustls::Error>().or_else(|| {
        let io = error.downcast_ref::<std::io::Error>()?;
        io.get_ref()?.downcast_ref::<rustls::Error>()
    })?;

    let chain_failure = matches!(
        tls,
        rustls::Error::NoCertificatesPresented | rustls::Error::InvalidCertificate(_)
    );
    chain_failure.then(|| refusal_from_rustls(tls))
}

/// Turns any rustls error met while checking a chain into a refusal.
fn refusal_from_rustls(tls: &rustls::Error) -> Refusal {
    match tls {
        rustls::Error::NoCertificatesPresented => Refusal::MissingCredential,
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            let refusal = other.0.downcast_ref::<Refusal>().cloned();
            refusal.unwrap_or_else(|| not_trusted(other.to_string()))
        }
        rustls::Error::InvalidCertificate(certificate) => {
            not_trusted(describe_chain_error(certificate))
        }
        other => not_trusted(other.to_string()),
    }
}

fn not_trusted(reason: String) -> Refusal {
    Refusal::CertificateChainNotTrusted { reason }
}

/// Says in words what a chain verification error means.
fn describe_chain_error(error: &CertificateError) -> String {
    use CertificateError::*;

    let words = match error {
        UnknownIssuer => "it is issued by a ca that is not in the bundle",
        Expired | ExpiredContext { .. } => "it or a certificate in its chain has expired",
        NotValidYet | NotValidYetContext { .. } => "it is not valid yet",
        Revoked => "it is revoked",
        BadEncoding => "it is not valid der",
        BadSignature => "its signature does not verify",
        InvalidPurpose | InvalidPurposeContext { .. } => {
            "it is not valid for client authentication"
        }
        UnhandledCriticalExtension => "it has a critical extension that is not understood",
        other => return format!("{other:?}").to_lowercase(),
    };
    words.to_owned()
}
