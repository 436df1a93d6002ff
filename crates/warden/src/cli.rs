//! Command-line syntax, with the help text each command shows.

use std::path::PathBuf;

mod audit;
mod task;

pub(crate) use audit::{AuditCommand, ExportArgs, LogArgs, QueryArgs, ReplayArgs, VerifyArgs};
use clap::{Args, Parser, Subcommand, ValueEnum};
pub(crate) use task::{DecisionArgs, TaskArgs, TaskCommand};

/// Warden: an MCP gateway that gives AI agents just-in-time, task-scoped
/// access to tools.
#[derive(Debug, Parser)]
#[command(version, propagate_version = true)]
pub(crate) struct Cli {
    /// How log lines are written to stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub(crate) log_format: LogFormat,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per event, for log pipelines.
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the gateway.
    #[command(after_help = "Examples:\n  \
        warden serve                      # embedded defaults: demo upstream on 127.0.0.1:7420\n  \
        warden serve --config warden.toml\n\n\
        Log verbosity follows WARDEN_LOG (for example WARDEN_LOG=debug).")]
    Serve(ServeArgs),

    /// Speak MCP over stdio to a local client and Streamable HTTP to a gateway.
    #[command(after_help = "Examples:\n  \
        warden bridge --url http://127.0.0.1:7420/mcp --svid agent.jwt\n  \
        warden bridge --url https://warden.example.org/mcp --workload-api \\\n      \
        --audience spiffe://example.org/warden\n\n\
        As a desktop client's MCP server: command \"warden\", args [\"bridge\", \"--url\", ...].\n\
        The SVID file is re-read for every request, so a rotated SVID is used at once.")]
    Bridge(BridgeArgs),

    /// Tasks through the admin API: list, show, create, approve, deny, revoke.
    #[command(after_help = "Examples:\n  \
        warden task list --svid approver.jwt --state pending\n  \
        warden task approve task-3f2a... --svid approver.jwt\n\n\
        Every task command authenticates with a JWT-SVID (--svid FILE or --workload-api)\n\
        and acts with the roles [roles] gives that identity.")]
    Task(TaskArgs),

    /// Read the audit log offline: verify, show, export, replay.
    #[command(subcommand)]
    Audit(AuditCommand),

    /// Validate a policy directory, or run its test cases, offline.
    #[command(subcommand)]
    Policy(PolicyCommand),

    /// Manage the root keys that sign task capabilities.
    #[command(subcommand)]
    Keys(KeysCommand),

    /// Read Biscuit tokens.
    #[command(subcommand)]
    Token(TokenCommand),

    /// Development aids; never use them in production.
    #[command(subcommand)]
    Dev(DevCommand),
}

/// Where a command finds the data directory: the configuration's
/// `gateway.data_dir`, or the embedded defaults' `./data`.
#[derive(Debug, Args)]
pub(crate) struct DataDirArgs {
    /// Configuration whose data directory is used.
    #[arg(long, short, value_name = "FILE", env = "WARDEN_CONFIG")]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Create the key ring in DATA_DIR/keys with a first active key.
    #[command(after_help = "Example:\n  warden keys init --config warden.toml")]
    Init(DataDirArgs),

    /// Make a new key active; retired keys keep verifying their tokens.
    #[command(after_help = "Example:\n  warden keys rotate --config warden.toml")]
    Rotate(DataDirArgs),

    /// Print every public key as JSON, for offline verifiers.
    #[command(
        after_help = "Example:\n  warden keys export --config warden.toml > warden-keys.json"
    )]
    Export(DataDirArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Print a token's blocks, facts, rules, checks and revocation ids.
    #[command(after_help = "Examples:\n  \
        warden token inspect capability.b64\n  \
        pbpaste | warden token inspect - --json\n\n\
        The signature is checked when the data directory holds the key ring.")]
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// File holding the token (base64 or raw bytes); `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,

    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,

    #[command(flatten)]
    pub(crate) data: DataDirArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Validate every `*.policy` file of DIR as one set; print a summary.
    #[command(after_help = "Examples:\n  \
        warden policy check policies/\n  \
        warden policy check policies/ --max-time 20ms   # the limits of [policy] in warden.toml\n\n\
        Exits 1 with file:line:column and the fix when the set is refused.")]
    Check(PolicyArgs),

    /// Run the cases in DIR/tests/*.toml against the set in DIR.
    #[command(after_help = "Examples:\n  \
        warden policy test policies/\n\n\
        Prints one line per case and exits 1 if any case fails. The case format is in\n\
        policies/README.md.")]
    Test(PolicyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// The policy directory.
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,

    /// The most facts one evaluation may hold (`max_facts` under [policy]).
    #[arg(long, value_name = "N")]
    pub(crate) max_facts: Option<u64>,

    /// The most rounds of rules one evaluation may run (`max_iterations`).
    #[arg(long, value_name = "N")]
    pub(crate) max_iterations: Option<u64>,

    /// The longest one evaluation may take (`max_time`), such as 10ms.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) max_time: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("credential").required(true).args(["svid", "workload_api"]))]
pub(crate) struct BridgeArgs {
    /// The gateway's MCP endpoint.
    #[arg(long, value_name = "URL")]
    pub(crate) url: String,

    /// File holding the JWT-SVID to present; re-read for every request.
    #[arg(long, value_name = "FILE")]
    pub(crate) svid: Option<PathBuf>,

    /// Fetch JWT-SVIDs from the SPIFFE Workload API at SPIFFE_ENDPOINT_SOCKET.
    #[arg(long, requires = "audience")]
    pub(crate) workload_api: bool,

    /// The gateway's audience, for SVIDs from the Workload API.
    #[arg(long, value_name = "SPIFFE_ID")]
    pub(crate) audience: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Configuration file; without it the embedded defaults run.
    #[arg(long, short, value_name = "FILE", env = "WARDEN_CONFIG")]
    pub(crate) config: Option<PathBuf>,

    /// Check the configuration, print it as understood, and exit.
    #[arg(long)]
    pub(crate) check: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DevCommand {
    /// Issue a development JWT-SVID from the key in the data directory.
    #[command(after_help = "Examples:\n  \
        warden dev svid --id spiffe://example.org/agent/demo > agent.jwt\n  \
        warden dev svid --id spiffe://example.org/agent/ci --ttl 1h --config warden.toml\n\n\
        The key and its bundle live in DATA_DIR/dev; a gateway trusts these SVIDs only when\n\
        its [identity] jwt_bundle names DATA_DIR/dev/jwt-bundle.json.")]
    Svid(SvidArgs),

    /// Serve the demo ticket-desk MCP server over stdio.
    #[command(after_help = "Example (as an upstream in warden.toml):\n  \
        command = [\"warden\", \"dev\", \"demo-upstream\"]")]
    DemoUpstream(DemoArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SvidArgs {
    /// The SPIFFE ID the SVID names.
    #[arg(long, value_name = "SPIFFE_ID")]
    pub(crate) id: String,

    /// How long the SVID is valid.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    pub(crate) ttl: std::time::Duration,

    /// Configuration whose data directory and audience are used; without it
    /// the embedded defaults' (`./data`, `spiffe://example.org/warden`).
    #[arg(long, short, value_name = "FILE", env = "WARDEN_CONFIG")]
    pub(crate) config: Option<PathBuf>,

    /// The audience, instead of the configuration's.
    #[arg(long, value_name = "AUDIENCE")]
    pub(crate) audience: Option<String>,

    /// Write the SVID to FILE (owner-only permissions) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Add the fault-injection tools `crash`, `hang` and `toggle_admin_tools`.
    #[arg(long)]
    pub(crate) faults: bool,

    /// Page listings this many items at a time (0: one page).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) page_size: usize,
}

impl Command {
    /// The log filter used when `WARDEN_LOG` is not set. The demo upstream's
    /// stderr is relayed into the gateway's log, so it stays quiet by default.
    pub(crate) fn default_log_filter(&self) -> &'static str {
        match self {
            Self::Serve(_) | Self::Bridge(_) => "info,rmcp=warn",
            Self::Dev(DevCommand::DemoUpstream(_)) => "warn",
            Self::Dev(DevCommand::Svid(_)) | Self::Keys(_) | Self::Token(_) => "warn",
            Self::Policy(_) | Self::Task(_) | Self::Audit(_) => "warn",
        }
    }
}
