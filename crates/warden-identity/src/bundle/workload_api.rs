//! Bundles from the SPIFFE Workload API, for every bundle kind without a file.
//!
//! At start the bundles are fetched once, within [`FETCH_TIMEOUT`], or the gateway
//! does not start. The watcher then follows the API's update streams; a broken
//! stream is re-opened with a growing back-off, and the last good bundles stay in
//! force meanwhile. Only bundles of accepted trust domains are kept: each trust
//! domain's keys and CAs vouch for that trust domain alone.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use spiffe::{JwtBundleSet, WorkloadApiClient, WorkloadApiError, X509BundleSet};
use tokio_util::sync::CancellationToken;

use super::{JwtKeySet, Source, TrustBundles, fingerprint, roots};
use crate::{IdentityError, TrustDomain};

/// How long the first fetch of bundles may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The first and the longest pause before re-opening a broken stream.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl TrustBundles {
    fn jwt_socket(&self) -> Option<&str> {
        match &self.jwt_source {
            Some(Source::WorkloadApi(socket)) => Some(socket),
            _ => None,
        }
    }

    fn x509_socket(&self) -> Option<&str> {
        match &self.x509_source {
            Some(Source::WorkloadApi(socket)) => Some(socket),
            _ => None,
        }
    }
}

/// Fetches the bundles that come from the Workload API, if any do.
pub(super) async fn load_initial(bundles: &TrustBundles) -> Result<(), IdentityError> {
    if let Some(socket) = bundles.jwt_socket() {
        let client = connect(socket).await?;
        let set = within_timeout(socket, client.fetch_jwt_bundles()).await?;
        install_jwt_set(bundles, &set, socket)?;
    }

    if let Some(socket) = bundles.x509_socket() {
        let client = connect(socket).await?;
        let set = within_timeout(socket, client.fetch_x509_bundles()).await?;
        install_x509_set(bundles, &set, socket)?;
    }

    Ok(())
}

/// Follows the Workload API's bundle updates until `shutdown`; returns at once if
/// no bundle comes from it.
pub(super) async fn follow(bundles: &TrustBundles, shutdown: &CancellationToken) {
    let jwt = async {
        if let Some(socket) = bundles.jwt_socket() {
            let open = |client: WorkloadApiClient| async move { client.stream_jwt_bundles().await };
            let apply = |set: JwtBundleSet| install_jwt_set(bundles, &set, socket);
            follow_stream(socket, "jwt", shutdown, open, apply).await;
        }
    };
    let x509 = async {
        if let Some(socket) = bundles.x509_socket() {
            let open =
                |client: WorkloadApiClient| async move { client.stream_x509_bundles().await };
            let apply = |set: X509BundleSet| install_x509_set(bundles, &set, socket);
            follow_stream(socket, "x.509", shutdown, open, apply).await;
        }
    };
    tokio::join!(jwt, x509);
}

/// Keeps one update stream open, applying every update, until `shutdown`.
async fn follow_stream<T, S, F>(
    socket: &str,
    kind: &'static str,
    shutdown: &CancellationToken,
    open: impl Fn(WorkloadApiClient) -> F,
    apply: impl Fn(T) -> Result<bool, IdentityError>,
) where
    F: Future<Output = Result<S, WorkloadApiError>>,
    S: Stream<Item = Result<T, WorkloadApiError>> + Unpin,
{
    let mut backoff = FIRST_BACKOFF;
    loop {
        let opened = match connect(socket).await {
            Ok(client) => open(client).await.map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };

        let (reason, received) = match opened {
            Ok(stream) => match apply_updates(stream, kind, shutdown, &apply).await {
                StreamEnd::Shutdown => return,
                StreamEnd::Broken { reason, received } => (reason, received),
            },
            Err(reason) => (reason, false),
        };
        warn_broken(socket, kind, &reason);
        if received {
            backoff = FIRST_BACKOFF;
        }

        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// How an update stream ended.
enum StreamEnd {
    Shutdown,
    /// The stream broke, after delivering updates or not.
    Broken {
        reason: String,
        received: bool,
    },
}

/// Applies every update of an open stream until it ends or `shutdown`.
async fn apply_updates<T, S>(
    mut stream: S,
    kind: &'static str,
    shutdown: &CancellationToken,
    apply: &impl Fn(T) -> Result<bool, IdentityError>,
) -> StreamEnd
where
    S: Stream<Item = Result<T, WorkloadApiError>> + Unpin,
{
    let mut received = false;
    loop {
        let item = tokio::select! {
            () = shutdown.cancelled() => return StreamEnd::Shutdown,
            item = stream.next() => item,
        };

        let update = match item {
            Some(Ok(update)) => update,
            Some(Err(error)) => {
                let reason = error.to_string();
                return StreamEnd::Broken { reason, received };
            }
            None => {
                let reason = "the stream ended".to_owned();
                return StreamEnd::Broken { reason, received };
            }
        };
        received = true;
        if let Err(error) = apply(update) {
            tracing::error!(
                bundle.kind = kind,
                error = %error,
                "workload api sent an unusable bundle; keeping the last good one"
            );
        }
    }
}

fn warn_broken(socket: &str, kind: &'static str, error: &str) {
    tracing::warn!(
        workload_api.socket = socket,
        bundle.kind = kind,
        error = error,
        "workload api bundle stream is broken; keeping the last good bundle and reconnecting"
    );
}

async fn connect(socket: &str) -> Result<WorkloadApiClient, IdentityError> {
    within_timeout(socket, WorkloadApiClient::connect_to(socket)).await
}

async fn within_timeout<T>(
    socket: &str,
    work: impl Future<Output = Result<T, WorkloadApiError>>,
) -> Result<T, IdentityError> {
    let failed = |reason: String| IdentityError::WorkloadApi {
        socket: socket.to_owned(),
        reason,
    };

    match tokio::time::timeout(FETCH_TIMEOUT, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(failed(error.to_string())),
        Err(_) => Err(failed(format!(
            "no answer within {}",
            humantime::format_duration(FETCH_TIMEOUT)
        ))),
    }
}

// ---- converting bundle sets ----

/// Installs the JWT bundles of the accepted trust domains; returns whether they
/// differed from those in force.
fn install_jwt_set(
    bundles: &TrustBundles,
    set: &JwtBundleSet,
    socket: &str,
) -> Result<bool, IdentityError> {
    let mut parts: Vec<(String, &str, &[u8])> = Vec::new();
    for (domain, bundle) in set.iter() {
        for authority in bundle.jwt_authorities() {
            parts.push((domain.to_string(), authority.key_id(), authority.jwk_json()));
        }
    }
    parts.sort();
    let flat: Vec<&[u8]> = parts
        .iter()
        .flat_map(|(domain, kid, json)| [domain.as_bytes(), kid.as_bytes(), json])
        .collect();
    let fingerprint = fingerprint(&flat);
    if bundles.jwt_fingerprint() == Some(fingerprint) {
        return Ok(false);
    }

    let mut by_domain = HashMap::new();
    for (domain, bundle) in set.iter() {
        let domain = TrustDomain::from_spiffe(domain.clone());
        if !bundles.config.accepts(&domain) {
            continue;
        }
        let origin = origin(&domain, socket);
        let mut keys = JwtKeySet::default();
        for authority in bundle.jwt_authorities() {
            keys.add_jwk_json(authority.jwk_json(), &origin)?;
        }
        if keys.len() == 0 {
            return Err(IdentityError::NoUsableJwtKeys { origin });
        }
        by_domain.insert(domain, Arc::new(keys));
    }

    require_primary(bundles, &by_domain, "jwt", socket)?;
    bundles.install_jwt(fingerprint, by_domain);
    tracing::info!(
        workload_api.socket = socket,
        "jwt bundles loaded from the workload api"
    );
    Ok(true)
}

/// Installs the X.509 bundles of the accepted trust domains; returns whether they
/// differed from those in force.
fn install_x509_set(
    bundles: &TrustBundles,
    set: &X509BundleSet,
    socket: &str,
) -> Result<bool, IdentityError> {
    let mut parts: Vec<(String, &[u8])> = Vec::new();
    for (domain, bundle) in set.iter() {
        for authority in bundle.authorities() {
            parts.push((domain.to_string(), authority.as_bytes()));
        }
    }
    parts.sort();
    let flat: Vec<&[u8]> = parts
        .iter()
        .flat_map(|(domain, der)| [domain.as_bytes(), der])
        .collect();
    let fingerprint = fingerprint(&flat);
    if bundles.x509_fingerprint() == Some(fingerprint) {
        return Ok(false);
    }

    let mut by_domain = HashMap::new();
    for (domain, bundle) in set.iter() {
        let domain = TrustDomain::from_spiffe(domain.clone());
        if !bundles.config.accepts(&domain) {
            continue;
        }
        let certificates = bundle
            .authorities()
            .iter()
            .map(|authority| authority.as_bytes().to_vec().into())
            .collect();
        let verifier = roots::verifier_for(certificates, &origin(&domain, socket))?;
        by_domain.insert(domain, verifier);
    }

    require_primary(bundles, &by_domain, "x.509", socket)?;
    bundles.install_x509(fingerprint, by_domain);
    tracing::info!(
        workload_api.socket = socket,
        "x.509 bundles loaded from the workload api"
    );
    Ok(true)
}

/// Refuses a bundle set that lacks the primary trust domain.
fn require_primary<T>(
    bundles: &TrustBundles,
    by_domain: &HashMap<TrustDomain, T>,
    kind: &str,
    socket: &str,
) -> Result<(), IdentityError> {
    let primary = &bundles.config.trust_domain;
    if by_domain.contains_key(primary) {
        return Ok(());
    }

    Err(IdentityError::WorkloadApi {
        socket: socket.to_owned(),
        reason: format!(
            "it sent no {kind} bundle for trust domain `{primary}`; check that the agent \
             belongs to that trust domain"
        ),
    })
}

fn origin(domain: &TrustDomain, socket: &str) -> String {
    format!("for trust domain `{domain}` from the workload api at `{socket}`")
}
