//! Where the bridge gets the JWT-SVID it attaches: a file that something
//! else keeps fresh, or the SPIFFE Workload API.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use spiffe::WorkloadApiClient;
use tokio::sync::Mutex;

/// A JWT-SVID from the Workload API is renewed once less than this is left.
const RENEW_BEFORE: Duration = Duration::from_secs(30);

/// Why no SVID can be had.
#[derive(Debug, thiserror::Error)]
pub enum SvidError {
    /// The SVID file cannot be read.
    #[error("cannot read svid file `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The SVID file holds no token.
    #[error("svid file `{0}` is empty: write a JWT-SVID into it (`warden dev svid --out FILE`)")]
    Empty(PathBuf),
    /// The Workload API did not hand out a JWT-SVID.
    #[error(
        "spiffe workload api: {0}; check SPIFFE_ENDPOINT_SOCKET and the workload's registration"
    )]
    WorkloadApi(String),
}

/// The source of the bridge's credential.
pub enum SvidSource {
    /// A file holding one JWT-SVID, re-read for every request.
    File(PathBuf),
    /// The Workload API at `SPIFFE_ENDPOINT_SOCKET`, asked for SVIDs for
    /// `audience`.
    WorkloadApi {
        /// The gateway's audience.
        audience: String,
        /// The last SVID fetched, with its expiry.
        cached: Mutex<Option<(String, SystemTime)>>,
    },
}

impl SvidSource {
    /// A source that asks the Workload API for SVIDs addressed to `audience`.
    pub fn workload_api(audience: impl Into<String>) -> Self {
        Self::WorkloadApi {
            audience: audience.into(),
            cached: Mutex::new(None),
        }
    }

    /// The SVID to attach to the next request.
    pub async fn current(&self) -> Result<String, SvidError> {
        match self {
            Self::File(path) => read_file(path).await,
            Self::WorkloadApi { audience, cached } => {
                let mut cached = cached.lock().await;
                if let Some((token, expires)) = cached.as_ref()
                    && SystemTime::now() + RENEW_BEFORE < *expires
                {
                    return Ok(token.clone());
                }
                let token = fetch(audience).await?;
                let expires = expiry_of(&token).unwrap_or_else(SystemTime::now);
                *cached = Some((token.clone(), expires));
                Ok(token)
            }
        }
    }
}

async fn read_file(path: &PathBuf) -> Result<String, SvidError> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|source| SvidError::Read {
            path: path.clone(),
            source,
        })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(SvidError::Empty(path.clone()));
    }
    Ok(token.to_owned())
}

async fn fetch(audience: &str) -> Result<String, SvidError> {
    let failed = |error: spiffe::workload_api::error::WorkloadApiError| {
        SvidError::WorkloadApi(error.to_string())
    };
    let client = WorkloadApiClient::connect_env().await.map_err(failed)?;
    client
        .fetch_jwt_token([audience], None)
        .await
        .map_err(failed)
}

/// The `exp` claim of a token, read without verifying it: the bridge only
/// needs to know when to ask for a new one; the gateway does the verifying.
fn expiry_of(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let seconds = claims.get("exp")?.as_u64()?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_is_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"spiffe://example.org/a","exp":2000}"#);
        let token = format!("e30.{payload}.c2ln");

        assert_eq!(
            expiry_of(&token),
            Some(UNIX_EPOCH + Duration::from_secs(2000))
        );
        assert_eq!(expiry_of("not-a-jwt"), None);
    }

    #[tokio::test]
    async fn an_empty_svid_file_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("empty.jwt");
        std::fs::write(&path, "\n").expect("write");

        let error = SvidSource::File(path.clone()).current().await;

        assert!(matches!(error, Err(SvidError::Empty(found)) if found == path));
    }
}
