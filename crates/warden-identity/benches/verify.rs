//! JWT-SVID verification cost: a token seen for the first time (signature check)
//! and a token seen again (cache hit).
//!
//! Run with `cargo bench -p warden-identity --bench verify`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use warden_identity::dev::DevIssuer;
use warden_identity::{IdentityConfig, JwtSvidVerifier, SpiffeId, TrustBundles};

const AUDIENCE: &str = "spiffe://example.org/warden";

struct Setup {
    _dir: tempfile::TempDir,
    issuer: DevIssuer,
    bundles: Arc<TrustBundles>,
    config: IdentityConfig,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temporary directory");
    let issuer = DevIssuer::open_or_create(dir.path()).expect("development issuer");

    let mut config = IdentityConfig::new("example.org".parse().expect("trust domain"));
    config.audience = Some(AUDIENCE.to_owned());
    config.jwt_bundle = Some(DevIssuer::bundle_path(dir.path()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let bundles = runtime
        .block_on(TrustBundles::load(&config))
        .expect("bundle loads");

    Setup {
        _dir: dir,
        issuer,
        bundles,
        config,
    }
}

fn verify(c: &mut Criterion) {
    let setup = setup();
    let agent: SpiffeId = "spiffe://example.org/agent/bench"
        .parse()
        .expect("spiffe id");
    let token = setup
        .issuer
        .issue(&agent, AUDIENCE, Duration::from_secs(300))
        .expect("token");
    let now = SystemTime::now();

    let mut uncached_config = setup.config.clone();
    uncached_config.cache_size = 0;
    let uncached = JwtSvidVerifier::new(Arc::clone(&setup.bundles), &uncached_config);
    c.bench_function("jwt-svid es256 first sight", |b| {
        b.iter(|| uncached.verify(black_box(&token), now).expect("accepted"));
    });

    let cached = JwtSvidVerifier::new(Arc::clone(&setup.bundles), &setup.config);
    cached.verify(&token, now).expect("accepted");
    c.bench_function("jwt-svid es256 cached", |b| {
        b.iter(|| cached.verify(black_box(&token), now).expect("accepted"));
    });
}

criterion_group!(benches, verify);
criterion_main!(benches);
