//! JWT-SVID verification against a bundle file: what is accepted, and the exact
//! refusal for everything else. Tokens are minted with RustCrypto keys, apart from
//! the verifier's aws-lc-rs.

mod support;

use std::time::Duration;

use serde_json::json;
use support::bundles::JwtFixture;
use support::keys::{AGENT, AUDIENCE, NOW_SECS, TestKey, Token, at, now};
use warden_identity::{Proof, Refusal};

fn es256_key() -> TestKey {
    TestKey::p256("key-1", 7)
}

async fn fixture() -> (TestKey, JwtFixture) {
    let key = es256_key();
    let fixture = JwtFixture::new(&[&key]).await;
    (key, fixture)
}

// ---- accepted ----

#[tokio::test]
async fn an_es256_token_signed_by_a_bundle_key_is_accepted() {
    let (key, fixture) = fixture().await;

    let identity = fixture
        .verifier()
        .verify(&key.token("ES256"), now())
        .expect("accepted");

    assert_eq!(identity.spiffe_id.to_string(), AGENT);
    assert_eq!(
        identity.proof,
        Proof::JwtSvid {
            expires_at: at(NOW_SECS + 300)
        }
    );
}

#[tokio::test]
async fn es384_rs256_rs384_rs512_and_ps256_tokens_are_accepted() {
    let p384 = TestKey::p384("key-384", 3);
    let rsa = TestKey::rsa("key-rsa");
    let fixture = JwtFixture::new(&[&p384, &rsa]).await;
    let verifier = fixture.verifier();

    verifier
        .verify(&p384.token("ES384"), now())
        .expect("ES384 accepted");
    for alg in ["RS256", "RS384", "RS512", "PS256"] {
        let result = verifier.verify(&rsa.token(alg), now());
        assert!(result.is_ok(), "{alg}: {result:?}");
    }
}

#[tokio::test]
async fn a_single_string_audience_is_accepted() {
    let (key, fixture) = fixture().await;
    let token = Token::new()
        .claim("aud", json!(AUDIENCE))
        .sign_with(&key, "ES256");

    fixture.verifier().verify(&token, now()).expect("accepted");
}

#[tokio::test]
async fn a_token_of_an_extra_trust_domain_is_accepted() {
    let key = es256_key();
    let fixture = JwtFixture::with_config(&[&key], |config| {
        config.extra_trust_domains = vec!["partner.org".parse().expect("trust domain")];
    })
    .await;
    let token = Token::new()
        .claim("sub", json!("spiffe://partner.org/agent"))
        .sign_with(&key, "ES256");

    let identity = fixture.verifier().verify(&token, now()).expect("accepted");
    assert_eq!(identity.spiffe_id.trust_domain().as_str(), "partner.org");
}

#[tokio::test]
async fn times_within_the_clock_skew_are_accepted() {
    let (key, fixture) = fixture().await;
    let token = Token::new()
        .claim("nbf", json!(NOW_SECS + 20))
        .claim("iat", json!(NOW_SECS + 20))
        .claim("exp", json!(NOW_SECS - 20))
        .sign_with(&key, "ES256");

    fixture
        .verifier()
        .verify(&token, now())
        .expect("accepted within 30 s of skew");
}

// ---- missing and malformed ----

#[tokio::test]
async fn an_empty_token_is_a_missing_credential() {
    let (_, fixture) = fixture().await;

    for empty in ["", "   ", "\n"] {
        let refusal = fixture.verifier().verify(empty, now());
        assert_eq!(refusal, Err(Refusal::MissingCredential), "{empty:?}");
    }
}

#[tokio::test]
async fn a_truncated_token_is_malformed() {
    let (key, fixture) = fixture().await;
    let token = key.token("ES256");
    let verifier = fixture.verifier();

    let without_signature = &token[..token.rfind('.').expect("has a dot")];
    let half = &token[..token.len() / 2];
    for truncated in [without_signature, half] {
        let refusal = verifier.verify(truncated, now());
        assert!(
            matches!(refusal, Err(Refusal::MalformedToken { .. })),
            "{refusal:?}"
        );
    }
}

#[tokio::test]
async fn garbage_is_malformed() {
    let (_, fixture) = fixture().await;
    let verifier = fixture.verifier();
    let huge = "a".repeat(20_000);

    for garbage in [
        "not a token",
        "a.b.c",
        "..",
        "....",
        "\u{0}.\u{1}.\u{2}",
        "é.é.é",
        &huge,
    ] {
        let refusal = verifier.verify(garbage, now());
        assert!(
            matches!(refusal, Err(Refusal::MalformedToken { .. })),
            "{garbage:?}: {refusal:?}"
        );
    }
}

#[tokio::test]
async fn header_faults_are_malformed() {
    let (key, fixture) = fixture().await;
    let verifier = fixture.verifier();

    let bad_typ = Token::new().header_field("typ", json!("at+jwt"));
    let crit = Token::new().header_field("crit", json!(["exp"]));
    let empty_kid = Token::new().header_field("kid", json!(""));
    for token in [bad_typ, crit, empty_kid] {
        let refusal = verifier.verify(&token.sign_with(&key, "ES256"), now());
        assert!(
            matches!(refusal, Err(Refusal::MalformedToken { .. })),
            "{refusal:?}"
        );
    }
}

#[tokio::test]
async fn tokens_without_sub_aud_or_exp_are_malformed() {
    let (key, fixture) = fixture().await;
    let verifier = fixture.verifier();

    for claim in ["sub", "aud", "exp"] {
        let token = Token::new().without_claim(claim).sign_with(&key, "ES256");
        let refusal = verifier.verify(&token, now());
        assert!(
            matches!(refusal, Err(Refusal::MalformedToken { .. })),
            "{claim}: {refusal:?}"
        );
    }
}

#[tokio::test]
async fn claims_of_the_wrong_type_or_out_of_range_are_malformed() {
    let (key, fixture) = fixture().await;
    let verifier = fixture.verifier();

    for (claim, value) in [
        ("exp", json!("tomorrow")),
        ("exp", json!(-1)),
        ("exp", json!(1e300)),
        ("aud", json!(42)),
        ("sub", json!(["a", "b"])),
    ] {
        let token = Token::new().claim(claim, value).sign_with(&key, "ES256");
        let refusal = verifier.verify(&token, now());
        assert!(
            matches!(refusal, Err(Refusal::MalformedToken { .. })),
            "{claim}: {refusal:?}"
        );
    }
}

// ---- algorithms and keys ----

#[tokio::test]
async fn an_alg_none_token_is_refused_as_not_allowed() {
    let (key, fixture) = fixture().await;
    let unsigned = Token::new().with_raw_signature("none", &key.kid, b"");

    let refusal = fixture.verifier().verify(&unsigned, now());

    assert_eq!(
        refusal,
        Err(Refusal::AlgorithmNotAllowed { alg: "none".into() })
    );
}

#[tokio::test]
async fn an_hs256_token_is_refused_as_not_allowed() {
    let (key, fixture) = fixture().await;
    let secret_signed = Token::new().with_raw_signature("HS256", &key.kid, &[7; 32]);

    let refusal = fixture.verifier().verify(&secret_signed, now());

    assert_eq!(
        refusal,
        Err(Refusal::AlgorithmNotAllowed {
            alg: "HS256".into()
        })
    );
}

#[tokio::test]
async fn a_token_naming_an_unknown_key_id_is_refused() {
    let (_, fixture) = fixture().await;
    let stranger = TestKey::p256("key-unknown", 9);

    let refusal = fixture.verifier().verify(&stranger.token("ES256"), now());

    assert_eq!(
        refusal,
        Err(Refusal::UnknownKeyId {
            kid: "key-unknown".into(),
            trust_domain: "example.org".parse().expect("trust domain"),
        })
    );
}

#[tokio::test]
async fn a_token_signed_by_another_key_under_a_known_key_id_is_refused() {
    let (_, fixture) = fixture().await;
    let impostor = TestKey::p256("key-1", 9);

    let refusal = fixture.verifier().verify(&impostor.token("ES256"), now());

    assert_eq!(
        refusal,
        Err(Refusal::BadSignature {
            kid: "key-1".into()
        })
    );
}

#[tokio::test]
async fn a_token_with_altered_claims_is_refused() {
    let (key, fixture) = fixture().await;
    let genuine = key.token("ES256");
    let signature = &genuine[genuine.rfind('.').expect("has a dot")..];
    let forged_claims = Token::new().claim("sub", json!("spiffe://example.org/admin"));
    let forged = format!(
        "{}{signature}",
        forged_claims.signing_input("ES256", "key-1")
    );

    let refusal = fixture.verifier().verify(&forged, now());

    assert_eq!(
        refusal,
        Err(Refusal::BadSignature {
            kid: "key-1".into()
        })
    );
}

#[tokio::test]
async fn an_algorithm_that_does_not_fit_the_key_type_is_refused() {
    let p256 = es256_key();
    let rsa = TestKey::rsa("key-rsa");
    let fixture = JwtFixture::new(&[&p256, &rsa]).await;
    let verifier = fixture.verifier();

    let es256_on_rsa = Token::new().with_raw_signature("ES256", "key-rsa", &[1; 64]);
    let rs256_on_ec = Token::new().with_raw_signature("RS256", "key-1", &[1; 256]);
    let es384_on_p256 = Token::new().with_raw_signature("ES384", "key-1", &[1; 96]);

    for (token, alg, kid) in [
        (es256_on_rsa, "ES256", "key-rsa"),
        (rs256_on_ec, "RS256", "key-1"),
        (es384_on_p256, "ES384", "key-1"),
    ] {
        let refusal = verifier.verify(&token, now());
        assert!(
            matches!(&refusal, Err(Refusal::KeyAlgorithmMismatch { alg: a, kid: k, .. })
                if a == alg && k == kid),
            "{alg} on {kid}: {refusal:?}"
        );
    }
}

#[tokio::test]
async fn a_key_restricted_to_one_algorithm_refuses_another() {
    let rsa = TestKey::rsa("key-rsa");
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bundle.jwks");
    let mut jwk = rsa.jwk();
    jwk["alg"] = json!("RS256");
    support::bundles::write_json(&path, &json!({"keys": [jwk]}));
    let config = support::bundles::config(Some(path), None);
    let bundles = warden_identity::TrustBundles::load(&config)
        .await
        .expect("loads");
    let verifier = warden_identity::JwtSvidVerifier::new(bundles, &config);

    verifier
        .verify(&rsa.token("RS256"), now())
        .expect("RS256 accepted");
    let refusal = verifier.verify(&rsa.token("PS256"), now());
    assert!(
        matches!(refusal, Err(Refusal::KeyAlgorithmMismatch { .. })),
        "{refusal:?}"
    );
}

// ---- claims ----

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let (key, fixture) = fixture().await;
    let token = Token::new()
        .claim("aud", json!(["spiffe://example.org/other", "spiffe://a/b"]))
        .sign_with(&key, "ES256");

    let refusal = fixture.verifier().verify(&token, now());

    let expected = Refusal::WrongAudience {
        audience: "spiffe://example.org/other, spiffe://a/b".into(),
        expected: AUDIENCE.into(),
    };
    assert_eq!(refusal, Err(expected));
}

#[tokio::test]
async fn the_wrong_audience_message_names_both_audiences_and_the_fix() {
    let (key, fixture) = fixture().await;
    let token = Token::new()
        .claim("aud", json!("spiffe://a/b"))
        .sign_with(&key, "ES256");

    let refusal = fixture
        .verifier()
        .verify(&token, now())
        .expect_err("refused");

    assert_eq!(refusal.code(), "wrong_audience");
    assert_eq!(
        refusal.to_string(),
        "jwt-svid audience `spiffe://a/b` does not match gateway audience \
         `spiffe://example.org/warden`; request the jwt-svid for audience \
         `spiffe://example.org/warden`"
    );
}

#[tokio::test]
async fn a_token_of_another_trust_domain_is_refused() {
    let (key, fixture) = fixture().await;
    let token = Token::new()
        .claim("sub", json!("spiffe://evil.example/agent"))
        .sign_with(&key, "ES256");

    let refusal = fixture.verifier().verify(&token, now());

    assert_eq!(
        refusal,
        Err(Refusal::UntrustedTrustDomain {
            spiffe_id: "spiffe://evil.example/agent".parse().expect("spiffe id"),
            trust_domain: "evil.example".parse().expect("trust domain"),
            accepted: "example.org".into(),
        })
    );
}

#[tokio::test]
async fn a_sub_that_is_not_a_spiffe_id_is_refused() {
    let (key, fixture) = fixture().await;
    let verifier = fixture.verifier();

    for sub in [
        "reviewer",
        "https://example.org/agent",
        "spiffe://example.org/a/../b",
    ] {
        let token = Token::new()
            .claim("sub", json!(sub))
            .sign_with(&key, "ES256");
        let refusal = verifier.verify(&token, now());
        assert!(
            matches!(&refusal, Err(Refusal::NotSpiffeId { value, .. }) if value == sub),
            "{sub}: {refusal:?}"
        );
    }
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let (key, fixture) = fixture().await;
    let token = Token::new()
        .claim("exp", json!(NOW_SECS - 31))
        .sign_with(&key, "ES256");

    let refusal = fixture.verifier().verify(&token, now());

    assert_eq!(
        refusal,
        Err(Refusal::Expired {
            expired_at: at(NOW_SECS - 31),
            now: now(),
            skew: Duration::from_secs(30),
        })
    );
}

#[tokio::test]
async fn a_token_not_valid_yet_is_refused_naming_the_claim() {
    let (key, fixture) = fixture().await;
    let verifier = fixture.verifier();

    for claim in ["nbf", "iat"] {
        let token = Token::new()
            .claim(claim, json!(NOW_SECS + 31))
            .sign_with(&key, "ES256");
        let refusal = verifier.verify(&token, now());
        assert_eq!(
            refusal,
            Err(Refusal::NotYetValid {
                claim,
                valid_from: at(NOW_SECS + 31),
                now: now(),
                skew: Duration::from_secs(30),
            })
        );
    }
}

// ---- the cache ----

#[tokio::test]
async fn a_cached_token_is_refused_once_it_expires() {
    let (key, fixture) = fixture().await;
    let verifier = fixture.verifier();
    let token = key.token("ES256");

    verifier.verify(&token, now()).expect("accepted and cached");
    verifier
        .verify(&token, now())
        .expect("accepted from the cache");
    let later = verifier.verify(&token, at(NOW_SECS + 330));

    assert!(matches!(later, Err(Refusal::Expired { .. })), "{later:?}");
}

#[tokio::test]
async fn a_cached_token_still_checks_not_before() {
    let (key, fixture) = fixture().await;
    let verifier = fixture.verifier();
    let token = Token::new()
        .claim("nbf", json!(NOW_SECS))
        .sign_with(&key, "ES256");

    verifier.verify(&token, now()).expect("accepted and cached");
    let earlier = verifier.verify(&token, at(NOW_SECS - 60));

    assert!(
        matches!(earlier, Err(Refusal::NotYetValid { claim: "nbf", .. })),
        "{earlier:?}"
    );
}

#[tokio::test]
async fn a_verifier_without_a_cache_verifies_every_time() {
    let key = es256_key();
    let fixture = JwtFixture::with_config(&[&key], |config| config.cache_size = 0).await;
    let verifier = fixture.verifier();
    let token = key.token("ES256");

    verifier.verify(&token, now()).expect("accepted");
    verifier.verify(&token, now()).expect("accepted again");
}

// ---- configuration ----

#[tokio::test]
async fn without_a_jwt_bundle_tokens_are_refused_for_want_of_a_bundle() {
    let ca = support::certs::TestCa::new("test ca");
    let dir = tempfile::tempdir().expect("temporary directory");
    let roots = dir.path().join("roots.pem");
    std::fs::write(&roots, &ca.pem).expect("write roots");
    let config = support::bundles::config(None, Some(roots));
    let bundles = warden_identity::TrustBundles::load(&config)
        .await
        .expect("loads");
    let verifier = warden_identity::JwtSvidVerifier::new(bundles, &config);

    let refusal = verifier.verify(&es256_key().token("ES256"), now());

    assert!(
        matches!(refusal, Err(Refusal::NoBundle { kind: "jwt", .. })),
        "{refusal:?}"
    );
}

#[tokio::test]
async fn without_an_audience_no_jwt_svid_is_accepted() {
    let key = es256_key();
    let fixture = JwtFixture::new(&[&key]).await;
    let mut config = fixture.config.clone();
    config.audience = None;
    let verifier = warden_identity::JwtSvidVerifier::new(fixture.bundles.clone(), &config);

    let refusal = verifier.verify(&key.token("ES256"), now());

    assert_eq!(refusal, Err(Refusal::JwtSvidsNotAccepted));
}

// ---- robustness ----

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn on_arbitrary_strings(input in any::<String>()) {
            let (_, fixture) = runtime().block_on(fixture());
            prop_assert!(fixture.verifier().verify(&input, now()).is_err());
        }

        #[test]
        fn on_arbitrary_segments(
            header in proptest::collection::vec(any::<u8>(), 0..64),
            claims in proptest::collection::vec(any::<u8>(), 0..128),
            signature in proptest::collection::vec(any::<u8>(), 0..96),
        ) {
            let (_, fixture) = runtime().block_on(fixture());
            let b64 = support::keys::b64;
            let token = format!("{}.{}.{}", b64(&header), b64(&claims), b64(&signature));
            prop_assert!(fixture.verifier().verify(&token, now()).is_err());
        }

        #[test]
        fn on_arbitrary_json_headers_and_claims(
            alg in prop_oneof![
                Just("ES256".to_owned()),
                Just("none".to_owned()),
                Just("HS256".to_owned()),
                "[A-Z]{2}[0-9]{3}",
            ],
            kid in prop_oneof![Just("key-1".to_owned()), ".{0,8}"],
            sub in ".{0,40}",
            exp in any::<i64>(),
        ) {
            let (key, fixture) = runtime().block_on(fixture());
            let token = Token::new()
                .header_field("kid", json!(kid))
                .claim("sub", json!(sub))
                .claim("exp", json!(exp))
                .with_raw_signature(&alg, &key.kid, &[0; 64]);
            prop_assert!(fixture.verifier().verify(&token, now()).is_err());
        }
    }
}
