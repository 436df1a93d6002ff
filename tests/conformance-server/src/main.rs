//! `conformance-server`: runs the conformance fixtures on a loopback address.
//!
//! ```text
//! conformance-server --listen 127.0.0.1:0
//! ```
//!
//! Once bound it prints exactly one line, `listening on http://ADDR/mcp`, to
//! stdout, so a harness can start it on port 0 and read the port back. Logs
//! go to stderr and follow `RUST_LOG`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// An MCP server with every fixture the MCP conformance suite expects.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Example: conformance-server --listen 127.0.0.1:8931"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    init_tracing();

    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Binds, announces the address, and serves until interrupted.
async fn run(args: Args) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    announce(addr)?;
    tracing::info!(listen.addr = %addr, "conformance server started");

    tokio::select! {
        served = warden_conformance_server::serve(listener) => served,
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("interrupted, stopping");
            Ok(())
        }
    }
}

/// Sends logs to stderr, at `info` for this crate unless `RUST_LOG` says
/// otherwise.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,warden_conformance_server=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Prints the line harnesses wait for, and flushes it at once.
fn announce(addr: SocketAddr) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "listening on http://{addr}{}",
        warden_conformance_server::MCP_PATH
    )?;
    stdout.flush()?;
    Ok(())
}
