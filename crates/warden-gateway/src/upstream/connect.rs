//! Opening the MCP client connection to an upstream: a child process over
//! stdio, or a Streamable HTTP endpoint with credentials from the environment.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use rmcp::ServiceExt;
use rmcp::service::{ClientInitializeError, RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess, Transport};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{ChildStderr, Command};

use super::client::UpstreamClient;
use super::intercept::Intercept;
use crate::config::{Endpoint, UpstreamConfig};

/// Variables every child keeps, so that ordinary programs (and `npx`) run.
const BASE_ENV: &[&str] = &["PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ"];

/// A connected upstream client.
pub(crate) type Connection = RunningService<RoleClient, UpstreamClient>;

/// Why an upstream could not be connected.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("environment variable `{variable}` is not set (needed for {purpose})")]
    MissingEnv { variable: String, purpose: String },
    #[error("`{value}` is not a valid value for HTTP header `{header}`")]
    BadHeader { header: String, value: String },
    #[error("MCP initialization failed: {0}")]
    Initialize(#[from] Box<ClientInitializeError>),
}

/// Connects and completes the MCP handshake.
pub(crate) async fn connect(
    config: &UpstreamConfig,
    client: UpstreamClient,
) -> Result<Connection, ConnectError> {
    match config.endpoint() {
        Endpoint::Stdio { program, args } => connect_stdio(config, &program, &args, client).await,
        Endpoint::Http { url } => connect_http(config, url, client).await,
    }
}

async fn connect_stdio(
    config: &UpstreamConfig,
    program: &str,
    args: &[String],
    client: UpstreamClient,
) -> Result<Connection, ConnectError> {
    let mut command = Command::new(resolve_program(program));
    command.args(args).env_clear().envs(child_env(config));
    if let Some(cwd) = &config.cwd {
        command.current_dir(cwd);
    }

    let spawn_error = |source| ConnectError::Spawn {
        program: program.to_owned(),
        source,
    };
    let (transport, stderr) = TokioChildProcess::builder(command)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    if let Some(stderr) = stderr {
        tokio::spawn(relay_stderr(config.name.clone(), stderr));
    }

    serve(client, transport).await
}

async fn connect_http(
    config: &UpstreamConfig,
    url: String,
    client: UpstreamClient,
) -> Result<Connection, ConnectError> {
    let mut transport_config = StreamableHttpClientTransportConfig::with_uri(url);
    transport_config.custom_headers = headers(config)?;
    if let Some(auth) = &config.auth {
        let token = read_env(
            &auth.bearer_env,
            &format!("upstream `{}` auth", config.name),
        )?;
        transport_config.auth_header = Some(token);
    }

    let transport = StreamableHttpClientTransport::from_config(transport_config);
    serve(client, transport).await
}

/// Runs the MCP handshake over `transport`, with relayed notifications taken
/// off it in order.
async fn serve<T>(client: UpstreamClient, transport: T) -> Result<Connection, ConnectError>
where
    T: Transport<RoleClient> + 'static,
{
    let transport = Intercept::new(transport, client.upstream_index(), client.inflight());
    client
        .serve(transport)
        .await
        .map_err(|error| ConnectError::Initialize(Box::new(error)))
}

fn headers(
    config: &UpstreamConfig,
) -> Result<HashMap<http::HeaderName, http::HeaderValue>, ConnectError> {
    let mut headers = HashMap::new();
    for (header, variable) in &config.headers_env {
        let purpose = format!("header `{header}` of upstream `{}`", config.name);
        let value = read_env(variable, &purpose)?;
        let bad_header = || ConnectError::BadHeader {
            header: header.clone(),
            value: "<from environment>".to_owned(),
        };
        let name = http::HeaderName::from_bytes(header.as_bytes()).map_err(|_| bad_header())?;
        let value = http::HeaderValue::from_str(&value).map_err(|_| bad_header())?;
        headers.insert(name, value);
    }
    Ok(headers)
}

fn read_env(variable: &str, purpose: &str) -> Result<String, ConnectError> {
    std::env::var(variable).map_err(|_| ConnectError::MissingEnv {
        variable: variable.to_owned(),
        purpose: purpose.to_owned(),
    })
}

/// The child's environment: a minimal base, the passthrough list, then the
/// literal `env` entries, which win.
fn child_env(config: &UpstreamConfig) -> Vec<(String, String)> {
    let inherited = BASE_ENV
        .iter()
        .copied()
        .chain(config.env_passthrough.iter().map(String::as_str))
        .filter_map(|name| {
            std::env::var(name)
                .ok()
                .map(|value| (name.to_owned(), value))
        });

    inherited
        .chain(
            config
                .env
                .iter()
                .map(|(name, value)| (name.clone(), value.clone())),
        )
        .collect()
}

/// A bare program name is looked up beside the running `warden` executable
/// first, so that tools shipped with Warden run without being on `PATH`.
fn resolve_program(program: &str) -> PathBuf {
    let bare = Path::new(program).components().count() == 1;
    let beside_warden = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(program)))
        .filter(|candidate| bare && candidate.is_file());

    beside_warden.unwrap_or_else(|| PathBuf::from(program))
}

/// Copies the child's stderr into the log, line by line, so that a crashing
/// upstream explains itself where the operator looks.
async fn relay_stderr(upstream: String, stderr: ChildStderr) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::debug!(upstream.name = %upstream, stderr = %line, "upstream stderr");
    }
}
