//! Trust bundles that rotate: the JWT keys and X.509 CAs the gateway currently
//! trusts, per trust domain.
//!
//! Each kind comes from its file when one is configured, otherwise from the
//! Workload API. A new bundle replaces the old one atomically; readers never see a
//! half-loaded bundle, and a bundle that fails to load never replaces a good one.
//! Every replacement carries a new generation number, which the token cache
//! compares so that a key removed from a bundle stops verifying at once.

mod jwks;
mod roots;
mod watch;
mod workload_api;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwapOption;
use rustls::server::danger::ClientCertVerifier;
use tokio_util::sync::CancellationToken;

pub(crate) use jwks::{JwtKey, JwtKeySet};

use crate::{IdentityConfig, IdentityError, TrustDomain};

/// The largest bundle file read, in bytes.
const MAX_BUNDLE_BYTES: u64 = 1024 * 1024;

/// A SHA-256 digest of a bundle's content, to tell a changed bundle from a re-read.
pub(crate) type Fingerprint = [u8; 32];

/// Where one kind of bundle comes from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    File(PathBuf),
    WorkloadApi(String),
}

/// The JWT keys in force, per trust domain.
pub(crate) struct JwtAuthorities {
    /// Changes whenever the keys are replaced.
    pub(crate) generation: u64,
    fingerprint: Fingerprint,
    by_domain: HashMap<TrustDomain, Arc<JwtKeySet>>,
}

impl JwtAuthorities {
    pub(crate) fn keys_for(&self, trust_domain: &TrustDomain) -> Option<&JwtKeySet> {
        self.by_domain.get(trust_domain).map(Arc::as_ref)
    }
}

/// The X.509 chain verifiers in force, per trust domain.
pub(crate) struct X509Authorities {
    fingerprint: Fingerprint,
    by_domain: HashMap<TrustDomain, Arc<dyn ClientCertVerifier>>,
}

impl X509Authorities {
    pub(crate) fn verifier_for(
        &self,
        trust_domain: &TrustDomain,
    ) -> Option<&dyn ClientCertVerifier> {
        self.by_domain.get(trust_domain).map(Arc::as_ref)
    }
}

/// The trust bundles the gateway verifies credentials against, shared by every
/// verifier and kept current by [`TrustBundles::watch`].
pub struct TrustBundles {
    config: IdentityConfig,
    jwt_source: Option<Source>,
    x509_source: Option<Source>,
    jwt: ArcSwapOption<JwtAuthorities>,
    x509: ArcSwapOption<X509Authorities>,
    last_generation: AtomicU64,
    changes: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for TrustBundles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustBundles")
            .field("jwt_source", &self.jwt_source)
            .field("x509_source", &self.x509_source)
            .field("generation", &self.last_generation.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl TrustBundles {
    /// Validates `config` and loads every configured bundle, so that the gateway
    /// starts only with bundles it can use.
    pub async fn load(config: &IdentityConfig) -> Result<Arc<Self>, IdentityError> {
        config.validate()?;

        let workload_api = config.workload_api_endpoint()?.map(Source::WorkloadApi);
        let jwt_source = match &config.jwt_bundle {
            Some(path) => Some(Source::File(path.clone())),
            None if config.audience.is_some() => workload_api.clone(),
            None => None,
        };
        let x509_source = match &config.x509_bundle {
            Some(path) => Some(Source::File(path.clone())),
            None => workload_api,
        };

        let bundles = Self {
            config: config.clone(),
            jwt_source,
            x509_source,
            jwt: ArcSwapOption::empty(),
            x509: ArcSwapOption::empty(),
            last_generation: AtomicU64::new(0),
            changes: tokio::sync::watch::Sender::new(0),
        };
        bundles.load_initial().await?;
        Ok(Arc::new(bundles))
    }

    /// Spawns the task that keeps the bundles current until `shutdown`: it re-reads
    /// bundle files every half second and follows the Workload API's updates.
    pub fn watch(self: &Arc<Self>, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let bundles = Arc::clone(self);
        tokio::spawn(async move {
            tokio::join!(
                watch::poll_files(&bundles, &shutdown),
                workload_api::follow(&bundles, &shutdown),
            );
        })
    }

    /// Returns a receiver that sees the new generation number each time a bundle is
    /// replaced, for callers that react to rotation.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Returns the configuration the bundles were loaded for.
    pub fn config(&self) -> &IdentityConfig {
        &self.config
    }

    /// Tells whether JWT-SVID keys are loaded.
    pub fn has_jwt_bundle(&self) -> bool {
        self.jwt.load().is_some()
    }

    /// Tells whether X.509 CAs are loaded.
    pub fn has_x509_bundle(&self) -> bool {
        self.x509.load().is_some()
    }

    pub(crate) fn jwt(&self) -> arc_swap::Guard<Option<Arc<JwtAuthorities>>> {
        self.jwt.load()
    }

    pub(crate) fn x509(&self) -> arc_swap::Guard<Option<Arc<X509Authorities>>> {
        self.x509.load()
    }

    async fn load_initial(&self) -> Result<(), IdentityError> {
        if let Some(Source::File(path)) = &self.jwt_source {
            let bytes = read_bundle(path, "jwt").await?;
            self.install_jwt_file(path, &bytes)?;
        }

        if let Some(Source::File(path)) = &self.x509_source {
            let bytes = read_bundle(path, "x.509").await?;
            self.install_x509_file(path, &bytes)?;
        }

        workload_api::load_initial(self).await
    }

    // ---- replacing bundles ----

    /// Parses a JWT bundle file and installs it for every accepted trust domain;
    /// returns whether it differed from the bundle in force.
    fn install_jwt_file(&self, path: &Path, bytes: &[u8]) -> Result<bool, IdentityError> {
        let fingerprint = fingerprint(&[bytes]);
        if self
            .jwt
            .load()
            .as_ref()
            .is_some_and(|now| now.fingerprint == fingerprint)
        {
            return Ok(false);
        }

        let keys = Arc::new(jwks::parse_jwks(bytes, &quoted(path))?);
        let count = keys.len();
        let by_domain = self.for_every_domain(&keys);
        self.install_jwt(fingerprint, by_domain);

        tracing::info!(bundle.path = %path.display(), bundle.keys = count, "jwt bundle loaded");
        Ok(true)
    }

    /// Parses an X.509 bundle file and installs it for every accepted trust domain;
    /// returns whether it differed from the bundle in force.
    fn install_x509_file(&self, path: &Path, bytes: &[u8]) -> Result<bool, IdentityError> {
        let fingerprint = fingerprint(&[bytes]);
        if self
            .x509
            .load()
            .as_ref()
            .is_some_and(|now| now.fingerprint == fingerprint)
        {
            return Ok(false);
        }

        let origin = quoted(path);
        let certificates = roots::parse_pem(bytes, &origin)?;
        let count = certificates.len();
        let verifier = roots::verifier_for(certificates, &origin)?;
        let by_domain = self.for_every_domain(&verifier);
        self.install_x509(fingerprint, by_domain);

        tracing::info!(bundle.path = %path.display(), bundle.cas = count, "x.509 bundle loaded");
        Ok(true)
    }

    fn for_every_domain<T: ?Sized>(&self, value: &Arc<T>) -> HashMap<TrustDomain, Arc<T>> {
        self.config
            .accepted_trust_domains()
            .map(|domain| (domain.clone(), Arc::clone(value)))
            .collect()
    }

    pub(crate) fn install_jwt(
        &self,
        fingerprint: Fingerprint,
        by_domain: HashMap<TrustDomain, Arc<JwtKeySet>>,
    ) {
        let generation = self.next_generation();
        self.jwt.store(Some(Arc::new(JwtAuthorities {
            generation,
            fingerprint,
            by_domain,
        })));
        self.changes.send_replace(generation);
    }

    pub(crate) fn install_x509(
        &self,
        fingerprint: Fingerprint,
        by_domain: HashMap<TrustDomain, Arc<dyn ClientCertVerifier>>,
    ) {
        let generation = self.next_generation();
        self.x509.store(Some(Arc::new(X509Authorities {
            fingerprint,
            by_domain,
        })));
        self.changes.send_replace(generation);
    }

    fn next_generation(&self) -> u64 {
        self.last_generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    pub(crate) fn jwt_fingerprint(&self) -> Option<Fingerprint> {
        self.jwt.load().as_ref().map(|now| now.fingerprint)
    }

    pub(crate) fn x509_fingerprint(&self) -> Option<Fingerprint> {
        self.x509.load().as_ref().map(|now| now.fingerprint)
    }
}

/// Reads a bundle file, refusing one too large to be a bundle.
async fn read_bundle(path: &Path, kind: &'static str) -> Result<Vec<u8>, IdentityError> {
    let unreadable = |source| IdentityError::ReadBundle {
        kind,
        path: path.to_owned(),
        source,
    };

    let size = tokio::fs::metadata(path).await.map_err(unreadable)?.len();
    if size > MAX_BUNDLE_BYTES {
        let too_large = std::io::Error::other(format!(
            "{size} bytes is more than a bundle's limit of {MAX_BUNDLE_BYTES}"
        ));
        return Err(unreadable(too_large));
    }

    tokio::fs::read(path).await.map_err(unreadable)
}

/// Digests the parts of a bundle, each length-prefixed so that parts cannot run
/// into each other.
pub(crate) fn fingerprint(parts: &[&[u8]]) -> Fingerprint {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for part in parts {
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part);
    }

    let mut out = [0; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

fn quoted(path: &Path) -> String {
    format!("`{}`", path.display())
}
