//! Arguments of `warden audit`: the audit log, read offline.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the hash chain, every checkpoint and its signature; name the first bad record.
    #[command(after_help = "Examples:\n  \
        warden audit verify --config warden.toml\n  \
        warden audit verify --log export.jsonl --keys audit-keys.json\n\n\
        Exits 0 when the whole log verifies, 1 at the first damaged record.")]
    Verify(VerifyArgs),

    /// Print a readable timeline of the records that match.
    #[command(after_help = "Examples:\n  \
        warden audit show --task task-3f2a...\n  \
        warden audit show --identity spiffe://example.org/agent/ci --since 1h")]
    Show(QueryArgs),

    /// Write the records that match, one JSON object per line.
    #[command(after_help = "Example:\n  \
        warden audit export --format jsonl --since 2026-12-01T00:00:00Z > audit.jsonl")]
    Export(ExportArgs),

    /// Decide every recorded decision again, from its recorded facts; list what changes.
    #[command(after_help = "Examples:\n  \
        warden audit replay                       # under each decision's own policy version\n  \
        warden audit replay --policies ./candidate  # under a candidate policy set\n\n\
        Exits 0 when nothing changes, 1 when some decision would.")]
    Replay(ReplayArgs),

    /// Print the public keys that sign checkpoints, for offline verifiers.
    #[command(
        after_help = "Example:\n  warden audit public-keys --config warden.toml > audit-keys.json"
    )]
    PublicKeys(LogArgs),
}

/// Where the log is: the data directory of a configuration, or a file.
#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// Configuration whose `gateway.data_dir` holds the log; the embedded
    /// defaults' `./data` without it.
    #[arg(long, short, value_name = "FILE", env = "WARDEN_CONFIG")]
    pub(crate) config: Option<PathBuf>,

    /// Read this log file (an export, say) instead of the data directory's.
    #[arg(long, value_name = "FILE")]
    pub(crate) log: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) log: LogArgs,

    /// Public keys to check signatures with (from `warden audit public-keys`);
    /// the data directory's own keys without it.
    #[arg(long, value_name = "FILE")]
    pub(crate) keys: Option<PathBuf>,
}

/// Which records a query takes.
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    pub(crate) log: LogArgs,

    /// Only records of this task.
    #[arg(long, value_name = "TASK_ID")]
    pub(crate) task: Option<String>,

    /// Only records of this SPIFFE ID.
    #[arg(long, value_name = "SPIFFE_ID")]
    pub(crate) identity: Option<String>,

    /// Only records since this time: RFC 3339, or a duration ago such as 1h.
    #[arg(long, value_name = "WHEN")]
    pub(crate) since: Option<String>,

    /// Print JSON lines instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) query: QueryArgs,

    /// The export format; `jsonl` is the one there is.
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl"])]
    pub(crate) format: String,

    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    #[command(flatten)]
    pub(crate) log: LogArgs,

    /// Decide under the policy set in DIR instead of each record's own version.
    #[arg(long, value_name = "DIR")]
    pub(crate) policies: Option<PathBuf>,

    /// Print the differences as JSON lines.
    #[arg(long)]
    pub(crate) json: bool,
}
