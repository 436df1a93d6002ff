//! Command-line arguments: the benchmark's knobs, and the hidden mode in which the
//! binary serves the bare hop.
//!
//! Defaults run the whole benchmark in about a minute on two cores.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  cargo build --release -p warden -p warden-demo-upstream -p warden-bench
  target/release/warden-bench                          the full benchmark
  target/release/warden-bench --calls 500 --concurrency 1,8,64 --sessions 200
  target/release/warden-bench --bearer-file svid.jwt --warden-config-extra identity.toml";

/// Times MCP tool calls direct to an upstream, through a bare HTTP hop and through
/// Warden, and measures Warden's memory with many open sessions.
#[derive(Debug, Parser)]
#[command(
    name = "warden-bench",
    version,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub(crate) struct Cli {
    /// An internal mode; without one, the benchmark runs.
    #[command(subcommand)]
    pub(crate) mode: Option<Mode>,

    /// The benchmark's settings.
    #[command(flatten)]
    pub(crate) bench: BenchArgs,
}

/// The modes the benchmark starts itself in a child process.
#[derive(Debug, Subcommand)]
pub(crate) enum Mode {
    /// Serve only the bare pass-through hop in front of UPSTREAM, on a free loopback port.
    #[command(hide = true)]
    Hop {
        /// The upstream's MCP endpoint, such as http://127.0.0.1:9000/mcp.
        #[arg(long, value_name = "URL")]
        upstream: String,

        /// Keep idle upstream connections for the next request.
        #[arg(long)]
        reuse_connections: bool,
    },
}

/// What to measure, how much, and where the binaries and credentials are.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Timed calls each client makes on each path, spread evenly over the rounds.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u32).range(1..),
    )]
    pub(crate) calls: u32,

    /// Untimed calls each client makes on each path before timing starts.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) warmup: u32,

    /// Concurrency levels: clients calling at once, each on its own MCP session.
    #[arg(
        long,
        value_name = "LEVELS",
        value_delimiter = ',',
        default_values_t = [1, 32],
        value_parser = clap::value_parser!(u32).range(1..=1024)
    )]
    pub(crate) concurrency: Vec<u32>,

    /// Rounds per level; each round times every path once, starting with a different one.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 3,
        value_parser = clap::value_parser!(u32).range(1..),
    )]
    pub(crate) rounds: u32,

    /// MCP sessions held open on Warden for the memory figure.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u32).range(1..=20000),
    )]
    pub(crate) sessions: u32,

    /// Sessions being opened (or closed) at the same time in the memory step.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 16,
        value_parser = clap::value_parser!(u32).range(1..=256),
    )]
    pub(crate) open_concurrency: u32,

    /// Longest wait for one call or one session handshake, such as 10s or 500ms.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10s",
        value_parser = humantime::parse_duration,
    )]
    pub(crate) call_timeout: Duration,

    /// Longest wait for a child process to announce its address and answer a call.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        value_parser = humantime::parse_duration,
    )]
    pub(crate) startup_timeout: Duration,

    /// Reuse TCP connections between calls: each client session keeps its own pool, and
    /// the bare hop keeps one to the upstream (Warden's upstream client is its own
    /// business). Off by default, as in rmcp's client: servers that do not set
    /// `TCP_NODELAY` make every SSE response on a reused connection wait for a delayed
    /// ACK, about 40 ms on Linux.
    #[arg(long)]
    pub(crate) reuse_connections: bool,

    /// The `warden` binary [default: `warden` beside this executable].
    #[arg(long, value_name = "PATH")]
    pub(crate) warden: Option<PathBuf>,

    /// The `demo-upstream` binary [default: `demo-upstream` beside this executable].
    #[arg(long, value_name = "PATH")]
    pub(crate) demo_upstream: Option<PathBuf>,

    /// A file holding a token, sent as `Authorization: Bearer TOKEN` on every request of
    /// every path (surrounding whitespace is trimmed).
    #[arg(long, value_name = "FILE")]
    pub(crate) bearer_file: Option<PathBuf>,

    /// A TOML file merged into the generated Warden configuration: tables merge, arrays
    /// (such as `[[upstream]]`) are appended to, other values replace the generated ones.
    #[arg(long, value_name = "FILE")]
    pub(crate) warden_config_extra: Option<PathBuf>,
}
