//! Arguments of `warden task`: tasks through the admin API.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// How `warden task` reaches the admin API, and what it does there.
#[derive(Debug, Args)]
pub(crate) struct TaskArgs {
    /// The gateway's admin address (`gateway.admin_listen`).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "WARDEN_ADMIN_URL",
        default_value = "http://127.0.0.1:7421"
    )]
    pub(crate) admin_url: String,

    /// File holding the JWT-SVID that proves who you are (or give --workload-api).
    #[arg(long, global = true, value_name = "FILE", env = "WARDEN_SVID")]
    pub(crate) svid: Option<PathBuf>,

    /// Fetch the JWT-SVID from the SPIFFE Workload API at SPIFFE_ENDPOINT_SOCKET.
    #[arg(long, global = true, requires = "audience")]
    pub(crate) workload_api: bool,

    /// The gateway's audience, for SVIDs from the Workload API.
    #[arg(long, global = true, value_name = "SPIFFE_ID")]
    pub(crate) audience: Option<String>,

    /// Print the API's JSON instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,

    #[command(subcommand)]
    pub(crate) command: TaskCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TaskCommand {
    /// List tasks, oldest first.
    #[command(after_help = "Examples:\n  \
        warden task list --svid approver.jwt --state pending\n  \
        warden task list --svid auditor.jwt --identity spiffe://example.org/agent/ci --json")]
    List {
        /// Only tasks in this state: pending, active, completed, expired, revoked, denied.
        #[arg(long)]
        state: Option<String>,
        /// Only tasks of this SPIFFE ID.
        #[arg(long, value_name = "SPIFFE_ID")]
        identity: Option<String>,
    },

    /// Show one task.
    #[command(after_help = "Example:\n  warden task show task-3f2a... --svid approver.jwt")]
    Show {
        /// The task id.
        id: String,
    },

    /// Create a task for an agent's identity, decided by policy (platform role).
    #[command(after_help = "Examples:\n  \
        warden task create --svid platform.jwt --identity spiffe://example.org/agent/ci \\\n      \
        --goal \"nightly triage\" --tool demo.search_tickets --tool demo.get_ticket --ttl 1h\n  \
        warden task create --svid platform.jwt --identity spiffe://example.org/agent/ci \\\n      \
        --goal \"read one share\" --tool 'fs.*' \\\n      \
        --constraint '{\"kind\":\"prefix\",\"arg\":\"path\",\"prefix\":\"/srv/data/\"}'\n\n\
        The task serves every MCP session of that identity until it ends.")]
    Create {
        /// The SPIFFE ID of the agent the task is for.
        #[arg(long, value_name = "SPIFFE_ID")]
        identity: String,
        /// What the task is for.
        #[arg(long)]
        goal: String,
        /// A tool the task needs: an exact name or `upstream.*`; repeat for more.
        #[arg(long = "tool", value_name = "TOOL", required = true)]
        tools: Vec<String>,
        /// An argument constraint as JSON; repeat for more.
        #[arg(long = "constraint", value_name = "JSON")]
        constraints: Vec<String>,
        /// How long the task lasts, such as 15m; the gateway's default otherwise.
        #[arg(long)]
        ttl: Option<String>,
        /// The most tool calls the task may make.
        #[arg(long)]
        budget: Option<u64>,
    },

    /// Grant a pending task (the role its policy named, usually approver).
    #[command(after_help = "Example:\n  \
        warden task approve task-3f2a... --svid alice.jwt --reason \"ticket OPS-12\"")]
    Approve(DecisionArgs),

    /// Refuse a pending task.
    #[command(after_help = "Example:\n  \
        warden task deny task-3f2a... --svid alice.jwt --reason \"use the staging copy\"")]
    Deny(DecisionArgs),

    /// End a pending or active task at once (approver or platform role).
    #[command(after_help = "Example:\n  \
        warden task revoke task-3f2a... --svid alice.jwt --reason \"incident 42\"")]
    Revoke(DecisionArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DecisionArgs {
    /// The task id.
    pub(crate) id: String,
    /// Why, for the record.
    #[arg(long)]
    pub(crate) reason: Option<String>,
}
