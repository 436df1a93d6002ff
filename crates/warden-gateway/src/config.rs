//! The `warden.toml` configuration: parsed strictly, validated as a whole, and
//! explained in errors that name the offending key and the fix.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod access;

pub use access::{Roles, TasksConfig};
use serde::Deserialize;
pub use warden_identity::IdentityConfig;
pub use warden_policy::EvalLimits;

/// The configuration that `warden serve` runs when no file is given: the demo
/// upstream, started from this very binary, on the default loopback port.
pub const EMBEDDED_DEFAULT: &str = include_str!("default.toml");

/// Everything `warden serve` needs to run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listener and limits of the agent-facing side.
    #[serde(default)]
    pub gateway: GatewayConfig,
    /// How agents prove their workload identity. Required: nothing is served
    /// to a caller the gateway cannot name.
    pub identity: IdentityConfig,
    /// Bounds on every policy evaluation.
    #[serde(default)]
    pub policy: EvalLimits,
    /// Lifetimes of tasks and their tokens.
    #[serde(default)]
    pub tasks: TasksConfig,
    /// Who may use the admin API, and for what.
    #[serde(default)]
    pub roles: Roles,
    /// Checkpoints and redaction of the audit log.
    #[serde(default)]
    pub audit: warden_audit::AuditConfig,
    /// The MCP servers whose tools, prompts and resources are re-exported.
    #[serde(default, rename = "upstream")]
    pub upstreams: Vec<UpstreamConfig>,
}

/// The `[gateway]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Address of the MCP Streamable HTTP endpoint, served at `/mcp`.
    pub listen: SocketAddr,
    /// Address of the operator endpoints (`/healthz`); off when absent.
    pub admin_listen: Option<SocketAddr>,
    /// Where state is kept.
    pub data_dir: PathBuf,
    /// Where policy files are read from.
    pub policy_dir: PathBuf,
    /// `Host` header values accepted on `/mcp`, against DNS rebinding.
    /// Empty means the loopback names plus the listen address.
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted on `/mcp`; a request with any other `Origin`
    /// is refused. Empty refuses every request that carries an `Origin`.
    pub allowed_origins: Vec<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Time allowed for one forwarded request unless an upstream sets its own.
    #[serde(with = "humantime_serde")]
    pub call_timeout: Duration,
    /// Time an upstream is given to start and answer `initialize`.
    #[serde(with = "humantime_serde")]
    pub startup_timeout: Duration,
    /// Interval between liveness pings to each upstream.
    #[serde(with = "humantime_serde")]
    pub health_interval: Duration,
    /// Serve `/mcp` over TLS, where agents may also present X.509-SVIDs.
    pub tls: Option<TlsConfig>,
    /// Where agents reach `/mcp` when it differs from the listen address (a
    /// proxy or a DNS name); used in the protected-resource metadata.
    pub public_url: Option<String>,
    /// OAuth authorization servers named in the protected-resource metadata,
    /// for MCP clients that obtain their tokens through one.
    pub authorization_servers: Vec<String>,
}

/// The `[gateway.tls]` table: the listener's own certificate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the server certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the server's private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7420)),
            admin_listen: None,
            data_dir: PathBuf::from("./data"),
            policy_dir: PathBuf::from("./policies"),
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            max_body_bytes: 4 * 1024 * 1024,
            call_timeout: Duration::from_secs(60),
            startup_timeout: Duration::from_secs(30),
            health_interval: Duration::from_secs(10),
            tls: None,
            public_url: None,
            authorization_servers: Vec::new(),
        }
    }
}

/// One `[[upstream]]` entry: a stdio command or a Streamable HTTP URL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Unique name, used in logs and as the default prefix.
    pub name: String,
    /// Program and arguments of a stdio server.
    pub command: Option<Vec<String>>,
    /// Extra arguments appended to `command`.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment variables set for the child, with literal values.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Variables of Warden's own environment passed on to the child. Nothing
    /// else is inherited beyond a minimal base, so that one upstream's secrets
    /// never reach another.
    #[serde(default)]
    pub env_passthrough: Vec<String>,
    /// Working directory of the child.
    pub cwd: Option<PathBuf>,
    /// Streamable HTTP endpoint of a remote server.
    pub url: Option<String>,
    /// HTTP headers whose values are read from Warden's environment:
    /// header name to variable name.
    #[serde(default)]
    pub headers_env: BTreeMap<String, String>,
    /// Credentials injected into every HTTP request; never shown to agents.
    pub auth: Option<UpstreamAuth>,
    /// Prefix of re-exported names; defaults to `name`. Empty keeps names.
    pub prefix: Option<String>,
    /// Time allowed for one forwarded request to this upstream.
    #[serde(default, with = "humantime_serde")]
    pub call_timeout: Option<Duration>,
    /// Root URIs Warden gives this upstream when it asks for roots. When set,
    /// agents' roots are never relayed: an upstream that confines itself to
    /// its client's roots (as filesystem servers do) then stays confined to
    /// what the platform team chose, whichever agent is calling.
    pub roots: Option<Vec<String>>,
}

/// How Warden authenticates to an HTTP upstream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamAuth {
    /// Name of the environment variable that holds a bearer token.
    pub bearer_env: String,
}

/// Where one upstream is reached, as validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A child process speaking MCP over stdin and stdout.
    Stdio {
        /// Program to run.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// A Streamable HTTP endpoint.
    Http {
        /// The endpoint URL.
        url: String,
    },
}

/// A configuration that cannot be run, with the key at fault and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("invalid config `{origin}`: {message}")]
    Parse {
        /// The file, or `embedded default`.
        origin: String,
        /// Line, column and the parser's explanation.
        message: String,
    },
    /// The file parses but says something that cannot run.
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;

        Self::parse(&text, &path.display().to_string())
    }

    /// The embedded default configuration.
    pub fn embedded_default() -> Result<Self, ConfigError> {
        Self::parse(EMBEDDED_DEFAULT, "embedded default")
    }

    /// Parses and validates configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|error| ConfigError::Parse {
            origin: origin.to_owned(),
            message: explain(text, &error),
        })?;

        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let gateway = &self.gateway;
        self.policy
            .validate()
            .map_err(|error| invalid(format!("[policy] {error}")))?;
        self.tasks.validate()?;
        self.roles.validate()?;
        if gateway.max_body_bytes < 1024 {
            return Err(invalid("gateway.max_body_bytes must be at least 1024"));
        }
        for (key, value) in [
            ("gateway.call_timeout", gateway.call_timeout),
            ("gateway.startup_timeout", gateway.startup_timeout),
            ("gateway.health_interval", gateway.health_interval),
        ] {
            if value.is_zero() {
                return Err(invalid(format!("{key} must be longer than zero")));
            }
        }

        if let Some(url) = &gateway.public_url {
            let parsed = reqwest::Url::parse(url)
                .map_err(|error| invalid(format!("gateway.public_url `{url}`: {error}")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                return Err(invalid(format!(
                    "gateway.public_url `{url}` must be an http or https URL with a host"
                )));
            }
        }

        let mut names = HashSet::new();
        for upstream in &self.upstreams {
            upstream.validate()?;
            if !names.insert(upstream.name.as_str()) {
                return Err(invalid(format!(
                    "two upstreams are named `{}`: give each a unique name",
                    upstream.name
                )));
            }
        }
        Ok(())
    }
}

impl UpstreamConfig {
    /// The prefix of re-exported names: `prefix`, else the upstream's name.
    pub fn prefix(&self) -> &str {
        self.prefix.as_deref().unwrap_or(&self.name)
    }

    /// The validated endpoint.
    pub fn endpoint(&self) -> Endpoint {
        match (&self.command, &self.url) {
            (Some(command), _) => Endpoint::Stdio {
                program: command.first().cloned().unwrap_or_default(),
                args: command.iter().skip(1).chain(&self.args).cloned().collect(),
            },
            (None, url) => Endpoint::Http {
                url: url.clone().unwrap_or_default(),
            },
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let name = &self.name;
        if !is_identifier(name) {
            return Err(invalid(format!(
                "upstream name `{name}` must be non-empty ASCII letters, digits, `_` or `-`"
            )));
        }
        if let Some(prefix) = &self.prefix
            && !prefix.is_empty()
            && !is_identifier(prefix)
        {
            return Err(invalid(format!(
                "upstream `{name}`: prefix `{prefix}` must be ASCII letters, digits, `_` or `-`"
            )));
        }

        match (&self.command, &self.url) {
            (Some(_), Some(_)) => Err(invalid(format!(
                "upstream `{name}` has both `command` and `url`: keep exactly one"
            ))),
            (None, None) => Err(invalid(format!(
                "upstream `{name}` needs `command` (stdio) or `url` (Streamable HTTP)"
            ))),
            (Some(command), None) => self.validate_stdio(command),
            (None, Some(url)) => self.validate_http(url),
        }
    }

    fn validate_stdio(&self, command: &[String]) -> Result<(), ConfigError> {
        let name = &self.name;
        if command
            .first()
            .is_none_or(|program| program.trim().is_empty())
        {
            return Err(invalid(format!(
                "upstream `{name}`: `command` must start with a program to run"
            )));
        }
        if !self.headers_env.is_empty() || self.auth.is_some() {
            return Err(invalid(format!(
                "upstream `{name}`: `headers_env` and `auth` apply to `url` upstreams only"
            )));
        }
        Ok(())
    }

    fn validate_http(&self, url: &str) -> Result<(), ConfigError> {
        let name = &self.name;
        let parsed = reqwest::Url::parse(url)
            .map_err(|error| invalid(format!("upstream `{name}`: url `{url}`: {error}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "upstream `{name}`: url `{url}` must use http or https"
            )));
        }
        if !self.args.is_empty()
            || !self.env.is_empty()
            || !self.env_passthrough.is_empty()
            || self.cwd.is_some()
        {
            return Err(invalid(format!(
                "upstream `{name}`: `args`, `env`, `env_passthrough` and `cwd` apply to \
                 `command` upstreams only"
            )));
        }
        for header in self.headers_env.keys() {
            if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(invalid(format!(
                    "upstream `{name}`: `{header}` is not a valid HTTP header name"
                )));
            }
        }
        Ok(())
    }
}

/// The parser's message on one line, with a hint for the table every
/// configuration needs.
fn explain(text: &str, error: &toml::de::Error) -> String {
    if error.message().starts_with("missing field `identity`") {
        return "missing table `[identity]`: name the accepted `trust_domain`, the gateway's \
                `audience` and a `jwt_bundle` or `x509_bundle` (see examples/warden.toml)"
            .to_owned();
    }
    one_line(text, error)
}

/// The parser's message on one line, prefixed with the line and column.
fn one_line(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', " ");
    let Some(span) = error.span() else {
        return message;
    };

    let before = text.get(..span.start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |newline| newline + 1) + 1;
    format!("line {line}, column {column}: {message}")
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

fn invalid(message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDENTITY: &str = "[identity]\ntrust_domain = \"example.org\"\n\
                            audience = \"spiffe://example.org/warden\"\njwt_bundle = \"b.jwks\"\n";

    fn error_of(text: &str) -> String {
        let text = format!("{text}\n{IDENTITY}");
        match Config::parse(&text, "warden.toml") {
            Ok(_) => panic!("accepted: {text}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn embedded_default_runs_the_demo_upstream() {
        let config = Config::embedded_default().expect("embedded default parses");

        assert_eq!(config.upstreams.len(), 1);
        assert_eq!(config.upstreams[0].prefix(), "demo");
    }

    #[test]
    fn unknown_key_is_named_with_its_position() {
        let error = error_of("[gateway]\nlisten = \"127.0.0.1:1\"\nlisen = 3\n");

        assert!(
            error.starts_with("invalid config `warden.toml`: line 3, column 1:"),
            "{error}"
        );
        assert!(error.contains("unknown field `lisen`"), "{error}");
        assert!(!error.contains('\n'), "one line: {error}");
    }

    #[test]
    fn an_upstream_needs_exactly_one_endpoint() {
        let both = error_of("[[upstream]]\nname = \"a\"\ncommand = [\"x\"]\nurl = \"http://h\"\n");
        let neither = error_of("[[upstream]]\nname = \"a\"\n");

        assert!(both.contains("has both `command` and `url`"), "{both}");
        assert!(
            neither.contains("needs `command` (stdio) or `url`"),
            "{neither}"
        );
    }

    #[test]
    fn upstream_names_are_unique() {
        let text = "[[upstream]]\nname = \"a\"\ncommand = [\"x\"]\n\
                    [[upstream]]\nname = \"a\"\ncommand = [\"y\"]\n";

        assert!(error_of(text).contains("two upstreams are named `a`"));
    }

    #[test]
    fn stdio_only_keys_are_refused_on_http_upstreams() {
        let text = "[[upstream]]\nname = \"a\"\nurl = \"http://h/mcp\"\ncwd = \"/tmp\"\n";

        assert!(error_of(text).contains("apply to `command` upstreams only"));
    }

    #[test]
    fn durations_are_human_readable() {
        let text = "[gateway]\ncall_timeout = \"90s\"\n[[upstream]]\nname = \"a\"\n\
                    command = [\"x\"]\ncall_timeout = \"2m\"\n";

        let config = Config::parse(&format!("{text}\n{IDENTITY}"), "t").expect("parses");

        assert_eq!(config.gateway.call_timeout, Duration::from_secs(90));
        assert_eq!(
            config.upstreams[0].call_timeout,
            Some(Duration::from_secs(120))
        );
    }
}
