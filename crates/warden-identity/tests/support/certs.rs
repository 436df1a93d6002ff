//! A test certificate authority made with `rcgen`, issuing X.509-SVID leaves.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA: self-signed, or subordinate to another.
pub struct TestCa {
    pub pem: String,
    pub der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    /// The certificates a client sends above its leaf: this CA, if subordinate,
    /// and those above it, short of the root.
    above: Vec<CertificateDer<'static>>,
}

/// A certificate with its private key.
pub struct Leaf {
    pub der: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
    /// The chain a client presents: this certificate, then its intermediates.
    pub chain: Vec<CertificateDer<'static>>,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let params = ca_params(name);
        let key = KeyPair::generate().expect("ca key");
        let certificate = params.self_signed(&key).expect("ca certificate");
        Self {
            pem: certificate.pem(),
            der: certificate.der().clone(),
            issuer: Issuer::new(params, key),
            above: Vec::new(),
        }
    }

    /// An intermediate CA issued by this one.
    pub fn subordinate(&self, name: &str) -> Self {
        let params = ca_params(name);
        let key = KeyPair::generate().expect("ca key");
        let certificate = params
            .signed_by(&key, &self.issuer)
            .expect("ca certificate");
        let der = certificate.der().clone();
        let mut above = vec![der.clone()];
        above.extend(self.above.iter().cloned());
        Self {
            pem: certificate.pem(),
            der,
            issuer: Issuer::new(params, key),
            above,
        }
    }

    /// Issues a client leaf with exactly the URI SANs given.
    pub fn leaf(&self, uris: &[&str]) -> Leaf {
        self.issue(uris, false)
    }

    /// Issues a CA certificate that claims a SPIFFE ID, which an SVID must not be.
    pub fn intermediate(&self, uri: &str) -> Leaf {
        self.issue(&[uri], true)
    }

    fn issue(&self, uris: &[&str], is_ca: bool) -> Leaf {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, "workload");
        params.subject_alt_names = uris
            .iter()
            .map(|uri| SanType::URI((*uri).try_into().expect("ia5 uri")))
            .collect();
        if is_ca {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        } else {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }

        let key = KeyPair::generate().expect("leaf key");
        let certificate = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        self.leaf_of(certificate.der().clone(), &key)
    }

    fn leaf_of(&self, der: CertificateDer<'static>, key: &KeyPair) -> Leaf {
        let mut chain = vec![der.clone()];
        chain.extend(self.above.iter().cloned());
        Leaf {
            der,
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            chain,
        }
    }

    /// A server certificate for `localhost`, for the TLS side under test.
    pub fn server(&self) -> Leaf {
        let params = CertificateParams::new(vec!["localhost".to_owned()]).expect("server params");
        let key = KeyPair::generate().expect("server key");
        let certificate = params
            .signed_by(&key, &self.issuer)
            .expect("server certificate");
        self.leaf_of(certificate.der().clone(), &key)
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}
