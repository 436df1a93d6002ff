//! Signing keys and JWT-SVIDs made with the RustCrypto crates (`p256`, `p384`,
//! `rsa`), an implementation independent of the aws-lc-rs verifier under test.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

/// The time every test token is judged at: 2027-01-15.
pub const NOW_SECS: u64 = 1_800_000_000;

/// The gateway audience in the test configuration.
pub const AUDIENCE: &str = "spiffe://example.org/warden";

/// The SPIFFE ID test tokens are minted for.
pub const AGENT: &str = "spiffe://example.org/agent/reviewer";

/// The RSA test key: generated once for these tests, never used elsewhere.
const RSA_TEST_KEY: &str = include_str!("../fixtures/rsa-2048-test-key.pem");

pub fn now() -> SystemTime {
    at(NOW_SECS)
}

pub fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// A test signing key with its key id.
pub struct TestKey {
    pub kid: String,
    material: Material,
}

enum Material {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Rsa(rsa::PrivateKey),
}

impl TestKey {
    /// An EC P-256 key derived from `seed`, so that tests are repeatable.
    pub fn p256(kid: &str, seed: u8) -> Self {
        let key = p256::ecdsa::SigningKey::from_slice(&[seed.max(1); 32]).expect("valid scalar");
        Self::new(kid, Material::P256(key))
    }

    pub fn p384(kid: &str, seed: u8) -> Self {
        let key = p384::ecdsa::SigningKey::from_slice(&[seed.max(1); 48]).expect("valid scalar");
        Self::new(kid, Material::P384(key))
    }

    pub fn rsa(kid: &str) -> Self {
        let key = rsa::PrivateKey::from_pkcs8_pem(RSA_TEST_KEY).expect("test rsa key parses");
        Self::new(kid, Material::Rsa(key))
    }

    fn new(kid: &str, material: Material) -> Self {
        Self {
            kid: kid.to_owned(),
            material,
        }
    }

    /// The public JWK, as a SPIFFE bundle lists it.
    pub fn jwk(&self) -> Value {
        match &self.material {
            Material::P256(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                ec_jwk(&self.kid, "P-256", &point.as_bytes()[1..])
            }
            Material::P384(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                ec_jwk(&self.kid, "P-384", &point.as_bytes()[1..])
            }
            Material::Rsa(key) => json!({
                "kty": "RSA",
                "kid": self.kid,
                "use": "jwt-svid",
                "n": b64(&key.n().to_be_bytes_trimmed_vartime()),
                "e": b64(&key.e().to_be_bytes_trimmed_vartime()),
            }),
        }
    }

    /// Signs `input` with `alg`; panics if the key cannot make that algorithm.
    pub fn sign(&self, alg: &str, input: &[u8]) -> Vec<u8> {
        use rsa::sha2::{Sha256, Sha384, Sha512};

        match (&self.material, alg) {
            (Material::P256(key), "ES256") => {
                let signature: p256::ecdsa::Signature = key.sign(input);
                signature.to_bytes().to_vec()
            }
            (Material::P384(key), "ES384") => {
                let signature: p384::ecdsa::Signature = key.sign(input);
                signature.to_bytes().to_vec()
            }
            (Material::Rsa(key), "RS256") => {
                let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
                signer.sign(input).to_vec()
            }
            (Material::Rsa(key), "RS384") => {
                let signer = rsa::pkcs1v15::SigningKey::<Sha384>::new(key.clone());
                signer.sign(input).to_vec()
            }
            (Material::Rsa(key), "RS512") => {
                let signer = rsa::pkcs1v15::SigningKey::<Sha512>::new(key.clone());
                signer.sign(input).to_vec()
            }
            (Material::Rsa(key), "PS256") => {
                let signer = rsa::pss::SigningKey::<Sha256>::new(key.clone());
                signer.sign(input).to_vec()
            }
            (_, other) => panic!("test key `{}` cannot sign {other}", self.kid),
        }
    }

    /// Mints a token with the default claims and header for this key.
    pub fn token(&self, alg: &str) -> String {
        Token::new().sign_with(self, alg)
    }
}

fn ec_jwk(kid: &str, crv: &str, coordinates: &[u8]) -> Value {
    let (x, y) = coordinates.split_at(coordinates.len() / 2);
    json!({"kty": "EC", "crv": crv, "kid": kid, "use": "jwt-svid", "x": b64(x), "y": b64(y)})
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT-SVID under construction: default header and claims, any of which a test
/// may replace or remove.
#[derive(Clone)]
pub struct Token {
    pub header: Value,
    pub claims: Value,
}

impl Token {
    pub fn new() -> Self {
        Self {
            header: json!({"typ": "JWT"}),
            claims: json!({
                "sub": AGENT,
                "aud": [AUDIENCE],
                "iat": NOW_SECS - 10,
                "exp": NOW_SECS + 300,
            }),
        }
    }

    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims[name] = value;
        self
    }

    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims
            .as_object_mut()
            .expect("claims object")
            .remove(name);
        self
    }

    pub fn header_field(mut self, name: &str, value: Value) -> Self {
        self.header[name] = value;
        self
    }

    /// The signing input for `alg` and `kid`, as signed.
    pub fn signing_input(&self, alg: &str, kid: &str) -> String {
        let mut header = self.header.clone();
        header["alg"] = json!(alg);
        if header.get("kid").is_none() {
            header["kid"] = json!(kid);
        }
        format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(self.claims.to_string().as_bytes())
        )
    }

    pub fn sign_with(&self, key: &TestKey, alg: &str) -> String {
        let input = self.signing_input(alg, &key.kid);
        let signature = key.sign(alg, input.as_bytes());
        format!("{input}.{}", b64(&signature))
    }

    /// A token whose header says `alg` but that carries `signature` as given.
    pub fn with_raw_signature(&self, alg: &str, kid: &str, signature: &[u8]) -> String {
        format!("{}.{}", self.signing_input(alg, kid), b64(signature))
    }
}
