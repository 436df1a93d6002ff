//! Command-line syntax, with the help text each command shows.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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

    /// Development aids; never use them in production.
    #[command(subcommand)]
    Dev(DevCommand),
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
    /// Serve the demo ticket-desk MCP server over stdio.
    #[command(after_help = "Example (as an upstream in warden.toml):\n  \
        command = [\"warden\", \"dev\", \"demo-upstream\"]")]
    DemoUpstream(DemoArgs),
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
            Self::Serve(_) => "info,rmcp=warn",
            Self::Dev(DevCommand::DemoUpstream(_)) => "warn",
        }
    }
}
