//! `warden-bench`: what Warden costs on the path of a tool call.
//!
//! One run starts the demo upstream, a bare pass-through HTTP hop and the real `warden`
//! binary on loopback, then times the same MCP `tools/call` from the same client over
//! the same transport three ways: direct, through the hop, through Warden. It prints
//! latency percentiles, throughput, Warden's overhead against the hop's, and Warden's
//! resident memory with many open sessions. Every child process it starts is killed when
//! it ends, however it ends, and all of its traffic stays on 127.0.0.1.
//!
//! The same binary also serves the hop itself (`warden-bench hop`, hidden), so that the
//! hop runs in its own process, as Warden does.

mod cli;
mod load;
mod memory;
mod processes;
mod proxy;
mod report;
mod routes;
mod run;
mod stats;
mod warden_config;

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Mode};

/// Log filter of the benchmark when `WARDEN_BENCH_LOG` is unset: its own progress, and
/// only errors from rmcp, whose client warns about streams cut when a session closes.
const BENCH_LOG_FILTER: &str = "warden_bench=info,rmcp=error,warn";

/// Log filter of the hop process when `WARDEN_BENCH_LOG` is unset: problems only.
const HOP_LOG_FILTER: &str = "warn";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_filter = match cli.mode {
        Some(Mode::Hop { .. }) => HOP_LOG_FILTER,
        None => BENCH_LOG_FILTER,
    };
    init_logging(default_filter);

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&anyhow::anyhow!("cannot start the async runtime: {error}")),
    };
    let outcome = match cli.mode {
        Some(Mode::Hop {
            upstream,
            reuse_connections,
        }) => runtime.block_on(proxy::serve(&upstream, reuse_connections)),
        None => runtime
            .block_on(until_interrupted(run::run(cli.bench)))
            .and_then(|text| print(&text)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

/// Runs `work` unless SIGINT or SIGTERM comes first; then `work` is dropped, and with
/// it the guards that end the child processes.
async fn until_interrupted<T>(work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    use tokio::signal::unix::{SignalKind, signal};

    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    tokio::select! {
        outcome = work => outcome,
        _ = tokio::signal::ctrl_c() => {
            anyhow::bail!("interrupted; the benchmark stopped its processes")
        }
        _ = terminate.recv() => {
            anyhow::bail!("terminated; the benchmark stopped its processes")
        }
    }
}

/// Writes the report to stdout, which carries nothing else.
fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write the report to stdout")
}

/// Sends logs to stderr, filtered by `WARDEN_BENCH_LOG` (`RUST_LOG` syntax).
fn init_logging(default_filter: &str) {
    let filter = EnvFilter::try_from_env("WARDEN_BENCH_LOG")
        .unwrap_or_else(|_| EnvFilter::new(default_filter));

    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// Reports an error as one line on stderr, with its causes, and fails.
fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}
