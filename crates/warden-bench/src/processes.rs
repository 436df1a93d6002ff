//! The child processes of a run: the demo upstream, the bare hop and Warden.
//!
//! Each child is held by a [`Child`] guard that kills and reaps it when dropped, so a
//! run that ends early, fails or panics leaves nothing behind. Each announces its
//! address with one `listening on http://ADDR/mcp` line on stdout; the rest of its
//! stdout is drained and its stderr passes through to the benchmark's.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::cli::BenchArgs;
use crate::warden_config;

/// What a child prints once it accepts connections, before its URL.
const ANNOUNCEMENT: &str = "listening on ";

/// The two binaries the benchmark runs besides itself.
#[derive(Debug)]
pub(crate) struct Binaries {
    /// The `warden` gateway.
    pub(crate) warden: PathBuf,
    /// The `demo-upstream` MCP server.
    pub(crate) demo_upstream: PathBuf,
}

impl Binaries {
    /// Takes the paths given on the command line, or else the binaries beside this one.
    pub(crate) fn locate(args: &BenchArgs) -> anyhow::Result<Self> {
        Ok(Self {
            warden: locate(args.warden.as_deref(), "warden", "warden")?,
            demo_upstream: locate(
                args.demo_upstream.as_deref(),
                "demo-upstream",
                "warden-demo-upstream",
            )?,
        })
    }
}

/// Finds binary `name` of cargo package `package`, given by `--{name} PATH` or beside
/// the running executable.
fn locate(given: Option<&Path>, name: &str, package: &str) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        if !path.is_file() {
            bail!("`{}` given to --{name} is not a file", path.display());
        }
        return Ok(path.to_path_buf());
    }

    let own = std::env::current_exe().context("cannot find this benchmark's own executable")?;
    let beside = own.with_file_name(name);
    if !beside.is_file() {
        let profile = own
            .parent()
            .and_then(Path::file_name)
            .map_or_else(|| "release".into(), |dir| dir.to_string_lossy());
        let flag = if profile == "release" {
            " --release"
        } else {
            ""
        };
        bail!(
            "cannot find `{name}` at {}; build it with `cargo build{flag} -p {package}`, \
             or pass --{name} PATH",
            beside.display()
        );
    }
    Ok(beside)
}

/// A running child process, killed and reaped when this guard drops.
#[derive(Debug)]
pub(crate) struct Child {
    name: &'static str,
    process: std::process::Child,
    /// Kept open so that a child watching its stdin outlives the benchmark by no more
    /// than the time it takes to see the end of it.
    _stdin: Option<ChildStdin>,
}

impl Child {
    /// The child's process id, for reading its memory.
    pub(crate) fn pid(&self) -> u32 {
        self.process.id()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Err(error) = self.process.kill() {
            tracing::debug!(child.name = self.name, %error, "child had already exited");
        }
        if let Err(error) = self.process.wait() {
            tracing::warn!(child.name = self.name, %error, "cannot reap child");
        }
    }
}

/// A child that announced where it listens.
#[derive(Debug)]
pub(crate) struct Announced {
    /// The guard that ends the child.
    pub(crate) child: Child,
    /// The MCP endpoint it announced.
    pub(crate) url: String,
}

/// Starts `demo-upstream` on a free loopback port.
pub(crate) async fn start_demo_upstream(
    binary: &Path,
    timeout: Duration,
) -> anyhow::Result<Announced> {
    let mut command = Command::new(binary);
    command.args(["--http", "127.0.0.1:0"]);
    start("demo-upstream", command, timeout).await
}

/// Starts this executable's hidden hop mode in front of `upstream_url`.
pub(crate) async fn start_hop(
    upstream_url: &str,
    reuse_connections: bool,
    timeout: Duration,
) -> anyhow::Result<Announced> {
    let own = std::env::current_exe().context("cannot find this benchmark's own executable")?;
    let mut command = Command::new(own);
    command.args(["hop", "--upstream", upstream_url]);
    if reuse_connections {
        command.arg("--reuse-connections");
    }
    command.stdin(Stdio::piped());
    start("bare hop", command, timeout).await
}

/// A running Warden and the directory holding its configuration and data.
#[derive(Debug)]
pub(crate) struct Warden {
    /// The running gateway; dropped first, so the gateway is gone before its files.
    pub(crate) process: Announced,
    /// Removed when dropped.
    _dir: TempDir,
}

/// Writes Warden's configuration for `upstream_url` (with `extra` merged in) and starts
/// `warden serve` with it.
pub(crate) async fn start_warden(
    binary: &Path,
    upstream_url: &str,
    extra: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<Warden> {
    let dir = tempfile::Builder::new()
        .prefix("warden-bench-")
        .tempdir()
        .context("cannot create a temporary directory for Warden's configuration")?;
    let config = warden_config::generate(upstream_url, &dir.path().join("data"), extra)?;
    let config_path = dir.path().join("warden.toml");
    std::fs::write(&config_path, &config)
        .with_context(|| format!("cannot write {}", config_path.display()))?;
    tracing::debug!(config = %config, "warden configuration");

    let mut command = Command::new(binary);
    command.arg("serve").arg("--config").arg(&config_path);
    let process = start("warden", command, timeout).await.context(
        "warden did not start with the generated configuration \
         (WARDEN_BENCH_LOG=debug prints it)",
    )?;
    Ok(Warden { process, _dir: dir })
}

/// Spawns `command` and waits up to `timeout` for it to announce its URL.
async fn start(
    name: &'static str,
    mut command: Command,
    timeout: Duration,
) -> anyhow::Result<Announced> {
    let program = command.get_program().to_string_lossy().into_owned();
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut process = command
        .spawn()
        .with_context(|| format!("cannot start {name} from `{program}`"))?;
    let stdout = process.stdout.take();
    let stdin = process.stdin.take();
    let mut child = Child {
        name,
        process,
        _stdin: stdin,
    };

    let stdout = stdout.ok_or_else(|| anyhow!("the stdout of {name} was not captured"))?;
    let announced = watch_stdout(stdout);
    let url = match tokio::time::timeout(timeout, announced).await {
        Ok(Ok(url)) => url,
        Ok(Err(_)) => {
            tokio::time::sleep(Duration::from_millis(50)).await;
            bail!(
                "{name} ended without announcing its address{}",
                exit_status(&mut child)
            )
        }
        Err(_) => bail!(
            "{name} did not print `{ANNOUNCEMENT}http://ADDR/mcp` within {}; see its log above",
            humantime::format_duration(timeout)
        ),
    };

    tracing::info!(child.name = name, child.url = %url, child.pid = child.pid(), "started");
    Ok(Announced { child, url })
}

/// Reads `stdout` on a thread of its own until it ends; the first announced URL is sent
/// to the receiver, and everything else is read and dropped so the child never blocks.
fn watch_stdout(stdout: ChildStdout) -> oneshot::Receiver<String> {
    let (sender, receiver) = oneshot::channel();

    std::thread::spawn(move || {
        let mut sender = Some(sender);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = announced_url(&line)
                && let Some(sender) = sender.take()
            {
                let _ = sender.send(url.to_owned());
            }
        }
    });
    receiver
}

/// The URL in an announcement line, `listening on http://ADDR/mcp`.
fn announced_url(line: &str) -> Option<&str> {
    line.trim_end()
        .strip_prefix(ANNOUNCEMENT)
        .filter(|url| url.starts_with("http://"))
}

/// The child's exit status when it has exited, and where to look for why.
fn exit_status(child: &mut Child) -> String {
    match child.process.try_wait() {
        Ok(Some(status)) => format!(" ({status}); see its log above"),
        _ => "; see its log above".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_line_gives_its_url() {
        let url = announced_url("listening on http://127.0.0.1:4312/mcp\n");

        assert_eq!(url, Some("http://127.0.0.1:4312/mcp"));
    }

    #[test]
    fn other_lines_announce_nothing() {
        assert_eq!(announced_url("admin on http://127.0.0.1:4313"), None);
        assert_eq!(announced_url("listening on stdin"), None);
        assert_eq!(announced_url(""), None);
    }

    #[test]
    fn a_binary_given_on_the_command_line_must_exist() {
        let error = locate(Some(Path::new("/nonexistent/warden")), "warden", "warden")
            .err()
            .map(|error| error.to_string());

        assert_eq!(
            error.as_deref(),
            Some("`/nonexistent/warden` given to --warden is not a file")
        );
    }
}
