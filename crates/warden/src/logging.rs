//! Log output: human-readable lines or JSON objects on stderr, filtered by
//! `WARDEN_LOG` (same syntax as `RUST_LOG`).

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Installs the global subscriber.
pub(crate) fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_env("WARDEN_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);

    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
