//! Warden's resident memory, idle and with many agent sessions open.
//!
//! Memory is read as `VmRSS` from `/proc/PID/status`: what the process holds in RAM
//! right now, shared libraries included.

use std::time::Duration;

use anyhow::{Context as _, anyhow};

use crate::load::{self, ClientSettings};

/// How long to let the gateway settle before each reading.
const SETTLE: Duration = Duration::from_millis(500);

/// Warden's resident memory around a batch of open sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryFigures {
    /// Sessions held open for the second reading.
    pub(crate) sessions: usize,
    /// Bytes before the sessions were opened.
    pub(crate) before: u64,
    /// Bytes while they were all open.
    pub(crate) with_sessions: u64,
    /// Bytes after they were all closed again.
    pub(crate) after: u64,
}

/// Opens `sessions` sessions to the Warden at `url` (process `pid`), `parallel` at a
/// time, reads its memory before, with and after them, and closes them.
pub(crate) async fn measure(
    pid: u32,
    url: &str,
    sessions: usize,
    parallel: usize,
    settings: &ClientSettings,
) -> anyhow::Result<MemoryFigures> {
    tokio::time::sleep(SETTLE).await;
    let before = resident_bytes(pid)?;

    tracing::info!(sessions, "opening sessions to warden");
    let open = load::open_sessions(url, sessions, parallel, settings)
        .await
        .with_context(|| format!("cannot open {sessions} sessions to warden"))?;
    tokio::time::sleep(SETTLE).await;
    let with_sessions = resident_bytes(pid)?;

    load::close_sessions(open, parallel, settings.call_timeout).await;
    tokio::time::sleep(SETTLE).await;
    let after = resident_bytes(pid)?;

    Ok(MemoryFigures {
        sessions,
        before,
        with_sessions,
        after,
    })
}

/// The resident memory of process `pid`, in bytes.
pub(crate) fn resident_bytes(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path}; has warden exited?"))?;
    vm_rss_bytes(&status).ok_or_else(|| anyhow!("{path} has no readable VmRSS line"))
}

/// The `VmRSS` line of a `/proc/PID/status` text (`VmRSS:    12345 kB`), in bytes.
pub(crate) fn vm_rss_bytes(status: &str) -> Option<u64> {
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?;
    let mut fields = line.split_whitespace();
    let amount: u64 = fields.next()?.parse().ok()?;
    match fields.next()? {
        "kB" => amount.checked_mul(1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\twarden\nVmPeak:\t  900000 kB\nVmRSS:\t   23456 kB\nThreads:\t3\n";

    #[test]
    fn the_resident_set_is_read_from_its_line_in_kibibytes() {
        assert_eq!(vm_rss_bytes(STATUS), Some(23_456 * 1024));
    }

    #[test]
    fn a_status_without_a_resident_set_line_reads_as_nothing() {
        assert_eq!(vm_rss_bytes("Name:\twarden\nVmPeak:\t1 kB\n"), None);
        assert_eq!(vm_rss_bytes("VmRSS:\tmany kB\n"), None);
        assert_eq!(vm_rss_bytes("VmRSS:\t12 MB\n"), None);
    }

    #[test]
    fn the_benchmarks_own_resident_set_is_readable() {
        let bytes = resident_bytes(std::process::id()).unwrap_or_else(|error| panic!("{error:#}"));

        assert!(bytes > 0);
    }
}
