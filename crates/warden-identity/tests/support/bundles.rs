//! Bundle files on disk and configurations that point at them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use warden_identity::{IdentityConfig, TrustBundles};

use super::keys::{AUDIENCE, TestKey};

/// Writes a JWKS bundle with the public keys of `keys`.
pub fn write_jwks(path: &Path, keys: &[&TestKey]) {
    let keys: Vec<Value> = keys.iter().map(|key| key.jwk()).collect();
    write_json(path, &json!({"keys": keys, "spiffe_sequence": 1}));
}

pub fn write_json(path: &Path, value: &Value) {
    replace_file(path, value.to_string().as_bytes());
}

/// Replaces a file atomically, as a bundle publisher should.
pub fn replace_file(path: &Path, bytes: &[u8]) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, bytes).expect("write temporary file");
    std::fs::rename(&temporary, path).expect("rename into place");
}

/// A configuration for `example.org` with the test audience.
pub fn config(jwt_bundle: Option<PathBuf>, x509_bundle: Option<PathBuf>) -> IdentityConfig {
    let mut config = IdentityConfig::new("example.org".parse().expect("trust domain"));
    config.audience = Some(AUDIENCE.to_owned());
    config.jwt_bundle = jwt_bundle;
    config.x509_bundle = x509_bundle;
    config
}

/// A temporary directory with a JWKS bundle of `keys`, loaded.
pub struct JwtFixture {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub config: IdentityConfig,
    pub bundles: Arc<TrustBundles>,
}

impl JwtFixture {
    pub async fn new(keys: &[&TestKey]) -> Self {
        Self::with_config(keys, |_| {}).await
    }

    pub async fn with_config(keys: &[&TestKey], adjust: impl FnOnce(&mut IdentityConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("bundle.jwks");
        write_jwks(&path, keys);

        let mut config = config(Some(path.clone()), None);
        adjust(&mut config);
        let bundles = TrustBundles::load(&config).await.expect("bundle loads");
        Self {
            dir,
            path,
            config,
            bundles,
        }
    }

    pub fn verifier(&self) -> warden_identity::JwtSvidVerifier {
        warden_identity::JwtSvidVerifier::new(Arc::clone(&self.bundles), &self.config)
    }
}

/// Waits, at most ten seconds, until the bundles change.
pub async fn next_change(changes: &mut tokio::sync::watch::Receiver<u64>) {
    tokio::time::timeout(std::time::Duration::from_secs(10), changes.changed())
        .await
        .expect("the bundles changed within 10 s")
        .expect("the bundles are still alive");
}

/// Log lines captured from the code under test.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Captures the logs of the current thread until the guard is dropped.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    pub fn text(&self) -> String {
        let bytes = self.0.lock().expect("log buffer").clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Waits, at most ten seconds, until a log line contains `needle`.
    pub async fn wait_for(&self, needle: &str) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while !self.text().contains(needle) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no log line with {needle:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
