//! Polls bundle files for changes and reloads them.
//!
//! Every half second each bundle file is read and digested; a changed digest
//! reloads the bundle. Reading the whole file is cheap at bundle sizes and catches
//! every kind of replacement (in-place writes, renames, equal modification times).
//! A file that cannot be read or parsed keeps the last good bundle in force and is
//! logged at error once per distinct problem.

use std::path::Path;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Source, TrustBundles, fingerprint, read_bundle};
use crate::IdentityError;

/// How often bundle files are re-read.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// What the watcher last reported about one file, so that a broken file is logged
/// once rather than on every poll.
#[derive(Default)]
struct FileState {
    last_problem: Option<String>,
}

#[derive(Clone, Copy)]
enum Kind {
    Jwt,
    X509,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::X509 => "x.509",
        }
    }
}

/// Re-reads the bundle files until `shutdown`; returns at once without any.
pub(super) async fn poll_files(bundles: &TrustBundles, shutdown: &CancellationToken) {
    let files: Vec<(Kind, &Path)> = [
        (Kind::Jwt, bundles.jwt_source.as_ref()),
        (Kind::X509, bundles.x509_source.as_ref()),
    ]
    .into_iter()
    .filter_map(|(kind, source)| match source {
        Some(Source::File(path)) => Some((kind, path.as_path())),
        _ => None,
    })
    .collect();
    if files.is_empty() {
        return;
    }

    let mut states: Vec<FileState> = files.iter().map(|_| FileState::default()).collect();
    let mut interval = tokio::time::interval(POLL_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = interval.tick() => {}
        }

        for ((kind, path), state) in files.iter().zip(&mut states) {
            reload(bundles, *kind, path, state).await;
        }
    }
}

/// Reloads one file if it changed; a successful reload logs itself at info.
async fn reload(bundles: &TrustBundles, kind: Kind, path: &Path, state: &mut FileState) {
    let Err((problem, error)) = read_and_install(bundles, kind, path).await else {
        state.last_problem = None;
        return;
    };

    if state.last_problem.as_ref() != Some(&problem) {
        tracing::error!(
            bundle.kind = kind.label(),
            bundle.path = %path.display(),
            error = %error,
            "bundle file is broken; keeping the last good bundle"
        );
    }
    state.last_problem = Some(problem);
}

/// Reads and installs one file; on failure returns a key that identifies the
/// problem (the file's digest, or the read error) and the error.
async fn read_and_install(
    bundles: &TrustBundles,
    kind: Kind,
    path: &Path,
) -> Result<bool, (String, IdentityError)> {
    let bytes = read_bundle(path, kind.label())
        .await
        .map_err(|error| (error.to_string(), error))?;

    let installed = match kind {
        Kind::Jwt => bundles.install_jwt_file(path, &bytes),
        Kind::X509 => bundles.install_x509_file(path, &bytes),
    };
    installed.map_err(|error| (hex(&fingerprint(&[&bytes])), error))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
