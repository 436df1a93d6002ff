//! `demo-upstream`: the Warden demo ticket desk as a command.
//!
//! Run `demo-upstream` for MCP over stdio, or `demo-upstream --http 127.0.0.1:0` for
//! Streamable HTTP. Logs go to stderr (filter with `RUST_LOG`); in HTTP mode stdout
//! carries exactly one line, `listening on http://ADDR/mcp`, once the port is bound.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use tracing_subscriber::EnvFilter;
use warden_demo_upstream::{DemoOptions, serve_http, serve_stdio};

/// Log filter used when `RUST_LOG` is unset: the demo's lifecycle, rmcp's warnings.
const DEFAULT_LOG_FILTER: &str = "info,rmcp=warn";

const EXAMPLES: &str = "\
Examples:
  demo-upstream                                  MCP over stdin/stdout
  demo-upstream --http 127.0.0.1:0 --page-size 2 Streamable HTTP on a free port
  demo-upstream --faults                         add crash, hang and toggle_admin_tools";

/// A small help-desk MCP server for trying out and testing the Warden gateway.
#[derive(Debug, Parser)]
#[command(name = "demo-upstream", version, after_help = EXAMPLES)]
struct Cli {
    /// Serve Streamable HTTP at http://ADDR/mcp instead of stdio; port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,

    /// Add the fault-injection tools crash, hang and toggle_admin_tools.
    #[arg(long)]
    faults: bool,

    /// Page tools/list, prompts/list and resources/list N items at a time; 0 means no paging.
    #[arg(long, value_name = "N", default_value_t = 0)]
    page_size: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();

    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo-upstream: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Serves the transport the flags chose until it ends or the user presses Ctrl-C.
async fn run(cli: Cli) -> anyhow::Result<()> {
    let options = DemoOptions::default()
        .with_faults(cli.faults)
        .with_page_size(cli.page_size);

    let serve = async {
        match cli.http {
            Some(address) => serve_http_on(address, options).await,
            None => serve_stdio(options).await,
        }
    };
    tokio::select! {
        result = serve => result,
        signal = tokio::signal::ctrl_c() => {
            signal.context("cannot listen for Ctrl-C")?;
            tracing::info!("interrupted; shutting down");
            Ok(())
        }
    }
}

/// Binds `address`, announces the real URL on stdout, then serves HTTP.
async fn serve_http_on(address: SocketAddr, options: DemoOptions) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!("cannot listen on {address}; pick a free port, or port 0 for any free port")
        })?;
    let bound = listener
        .local_addr()
        .context("cannot read the bound address")?;

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{bound}/mcp").context("cannot write to stdout")?;
    stdout.flush().context("cannot flush stdout")?;
    drop(stdout);

    serve_http(listener, options).await
}

/// Sends logs to stderr, never stdout, which is the protocol channel in stdio mode.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_LOG_FILTER.into());

    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}
