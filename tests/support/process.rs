//! Starting and stopping the real `warden serve` process.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tempfile::TempDir;

/// How long the gateway may take to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The trust domain of every test gateway.
pub const TRUST_DOMAIN: &str = "example.org";
/// The audience every test gateway expects in JWT-SVIDs.
pub const AUDIENCE: &str = "spiffe://example.org/warden";

/// The SPIFFE ID of the test agent called `name`.
pub fn agent_id(name: &str) -> String {
    format!("spiffe://{TRUST_DOMAIN}/agent/{name}")
}

/// Work on the data directory before the gateway starts.
pub type PrepareData = Box<dyn FnOnce(&std::path::Path)>;

/// Options for one gateway process.
pub struct GatewayLaunch {
    /// Arguments of `warden` before the subcommand.
    pub global_args: Vec<String>,
    /// The `[gateway]` keys besides `listen` and `admin_listen`.
    pub gateway: String,
    /// The `[identity]` table; by default it trusts the development bundle in
    /// the gateway's data directory, so `Gateway::svid` can mint tokens.
    pub identity: Option<String>,
    /// The policy directory; by default `tests/policies`, which allows every
    /// workload of the test trust domain everything.
    pub policy_dir: PathBuf,
    /// `[[upstream]]` tables.
    pub upstreams: String,
    /// Tables after `[identity]`, such as `[tasks]`; `[roles]` is always the
    /// test roles of `support::tasks`.
    pub tables: String,
    /// Extra environment of the warden process.
    pub env: Vec<(String, String)>,
    /// Run on the data directory before the gateway starts.
    pub prepare: Option<PrepareData>,
}

impl GatewayLaunch {
    pub fn new(upstreams: impl Into<String>) -> Self {
        Self {
            global_args: Vec::new(),
            gateway: String::new(),
            identity: None,
            policy_dir: super::workspace_root().join("tests/policies"),
            upstreams: upstreams.into(),
            tables: String::new(),
            prepare: None,
            env: vec![("WARDEN_LOG".into(), "debug,rmcp=warn".into())],
        }
    }

    pub fn gateway(mut self, keys: &str) -> Self {
        self.gateway.push_str(keys);
        self.gateway.push('\n');
        self
    }

    /// Prepares the data directory before the gateway starts.
    pub fn prepare_data(mut self, prepare: impl FnOnce(&std::path::Path) + 'static) -> Self {
        self.prepare = Some(Box::new(prepare));
        self
    }

    /// Adds tables after `[identity]`, such as a `[tasks]` table.
    pub fn tables(mut self, text: &str) -> Self {
        self.tables.push_str(text);
        self.tables.push('\n');
        self
    }

    /// Runs the gateway on the policies in `dir`.
    pub fn policies(mut self, dir: impl Into<PathBuf>) -> Self {
        self.policy_dir = dir.into();
        self
    }

    /// Replaces the default `[identity]` table (without its header line).
    pub fn identity(mut self, table: &str) -> Self {
        self.identity = Some(table.to_owned());
        self
    }

    pub fn json_logs(mut self) -> Self {
        self.global_args
            .extend(["--log-format".to_owned(), "json".to_owned()]);
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Starts the gateway and waits until it listens.
    pub fn start(self) -> Gateway {
        match self.try_start() {
            Ok(gateway) => gateway,
            Err(failure) => panic!("gateway did not start: {failure}"),
        }
    }

    /// Starts the gateway; on failure returns its exit status and stderr.
    pub fn try_start(self) -> Result<Gateway, String> {
        let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
        let config = dir.path().join("warden.toml");
        let data = dir.path().join("data");
        let identity = self.identity.unwrap_or_else(|| {
            format!(
                "trust_domain = \"{TRUST_DOMAIN}\"\naudience = \"{AUDIENCE}\"\n\
                 jwt_bundle = \"{}\"\n",
                data.join("dev/jwt-bundle.json").display()
            )
        });
        let text = format!(
            "[gateway]\nlisten = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n\
             data_dir = \"{data}\"\npolicy_dir = \"{policies}\"\n{gateway}\n\
             [identity]\n{identity}\n{roles}\n{tables}\n{upstreams}",
            data = data.display(),
            policies = self.policy_dir.display(),
            gateway = self.gateway,
            upstreams = self.upstreams,
            roles = super::tasks::roles_table(),
            tables = self.tables,
        );
        std::fs::write(&config, text).map_err(|error| error.to_string())?;
        if let Some(prepare) = self.prepare {
            std::fs::create_dir_all(&data).map_err(|error| error.to_string())?;
            prepare(&data);
        }

        let stderr_path = dir.path().join("stderr.log");
        let launch = Relaunch {
            global_args: self.global_args,
            env: self.env,
        };
        let (child, url, admin_url) = launch.spawn(&config, &stderr_path)?;
        Ok(Gateway {
            child,
            url,
            admin_url,
            config,
            stderr_path,
            launch,
            _dir: dir,
        })
    }
}

/// What it takes to start the same gateway again.
struct Relaunch {
    global_args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Relaunch {
    /// Starts `warden serve` and reads the MCP and admin URLs it prints.
    fn spawn(
        &self,
        config: &std::path::Path,
        stderr_path: &std::path::Path,
    ) -> Result<(Child, String, String), String> {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(stderr_path)
            .map_err(|error| error.to_string())?;
        let mut child = Command::new(super::warden_exe())
            .args(&self.global_args)
            .args(["serve", "--config"])
            .arg(config)
            .envs(self.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|error| format!("cannot run warden: {error}"))?;

        let lines = read_lines(&mut child);
        let mcp = lines.recv_timeout(START_TIMEOUT);
        let Ok(Some(mcp)) = mcp.map(|line| parse_url(&line, "listening on ")) else {
            let _ = child.kill();
            let status = child
                .wait()
                .map(|status| status.to_string())
                .unwrap_or_default();
            let log = std::fs::read_to_string(stderr_path).unwrap_or_default();
            return Err(format!("{status}\n{log}"));
        };
        let admin = lines
            .recv_timeout(START_TIMEOUT)
            .ok()
            .and_then(|line| parse_url(&line, "admin on "))
            .unwrap_or_default();
        Ok((child, mcp, admin))
    }
}

fn read_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
    }
    receiver
}

fn parse_url(line: &str, prefix: &str) -> Option<String> {
    line.strip_prefix(prefix).map(str::to_owned)
}

/// A running `warden serve`, killed when dropped.
pub struct Gateway {
    child: Child,
    /// The MCP endpoint, `http://127.0.0.1:PORT/mcp`.
    pub url: String,
    /// The admin base URL, `http://127.0.0.1:PORT`.
    pub admin_url: String,
    /// The configuration file it runs.
    pub config: PathBuf,
    stderr_path: PathBuf,
    launch: Relaunch,
    _dir: TempDir,
}

impl Gateway {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A development JWT-SVID for `spiffe_id`, minted by `warden dev svid`
    /// from the key in the gateway's data directory.
    pub fn svid(&self, spiffe_id: &str) -> String {
        self.svid_with_ttl(spiffe_id, "10m")
    }

    /// A development JWT-SVID for `spiffe_id`, valid for `ttl` (`90s`, `1h`).
    pub fn svid_with_ttl(&self, spiffe_id: &str, ttl: &str) -> String {
        let output = Command::new(super::warden_exe())
            .args(["dev", "svid", "--config"])
            .arg(&self.config)
            .args(["--id", spiffe_id, "--ttl", ttl])
            .output()
            .expect("run warden dev svid");
        assert!(
            output.status.success(),
            "warden dev svid failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// A development JWT-SVID for the test agent called `name`.
    pub fn agent_svid(&self, name: &str) -> String {
        self.svid(&agent_id(name))
    }

    /// Everything the gateway has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Waits until the log contains `needle`, or fails with the log.
    pub async fn wait_for_log(&self, needle: &str, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.log().contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "gateway log never showed `{needle}` within {within:?}:\n{}",
            self.log()
        );
    }

    /// The `/healthz` document.
    pub async fn health(&self) -> serde_json::Value {
        let response = reqwest::get(format!("{}/healthz", self.admin_url))
            .await
            .expect("healthz reachable");
        response.json().await.expect("healthz is JSON")
    }

    /// Polls `/healthz` until upstream `name` reports `ready`.
    pub async fn wait_until_ready(&self, name: &str, ready: bool, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let health = self.health().await;
            let state = health["upstreams"]
                .as_array()
                .and_then(|all| all.iter().find(|upstream| upstream["name"] == name))
                .map(|upstream| upstream["ready"] == ready);
            if state == Some(true) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "upstream `{name}` never became ready={ready}: {health}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the gateway with SIGKILL, as a crash would, and starts it again
    /// on the same configuration and data directory.
    pub fn kill_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        match self.launch.spawn(&self.config, &self.stderr_path) {
            Ok((child, url, admin_url)) => {
                self.child = child;
                self.url = url;
                self.admin_url = admin_url;
            }
            Err(failure) => panic!("gateway did not restart: {failure}"),
        }
    }

    /// Sends SIGTERM and waits (bounded) for the gateway to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.pid().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|status| status.success()), "SIGTERM sent");

        let deadline = std::time::Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "gateway did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Process ids of the gateway's direct children (stdio upstreams).
    pub fn children(&self) -> Vec<u32> {
        let mut children = Vec::new();
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid()));
        for task in tasks.into_iter().flatten().flatten() {
            let file = task.path().join("children");
            let text = std::fs::read_to_string(file).unwrap_or_default();
            children.extend(
                text.split_whitespace()
                    .filter_map(|pid| pid.parse::<u32>().ok()),
            );
        }
        children.sort_unstable();
        children.dedup();
        children
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
