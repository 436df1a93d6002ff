//! What every end-to-end test needs: a client that records what the server sends it,
//! and ways to start the binary and connect to it.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig,
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ElicitationAction, Implementation, JsonObject, ListRootsResult,
    LoggingMessageNotificationParam, ProgressNotificationParam, ProtocolVersion,
    ResourceUpdatedNotificationParam, Root, SamplingMessage,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{
    ClientHandler, ClientLifecycleMode, ClientServiceExt, ErrorData, RoleClient, ServiceExt,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, mpsc};

/// How long a test waits for something the server should send promptly.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// The text the test client's "model" answers every sampling request with.
pub(crate) const MODEL_ANSWER: &str = "Remote staff lose their VPN tunnel every hour.";

/// The root the test client exposes.
pub(crate) const CLIENT_ROOT: &str = "file:///workspace/desk";

/// A connected client.
pub(crate) type Client = RunningService<RoleClient, TestClient>;

/// Something the server sent the test client.
#[derive(Debug, Clone)]
pub(crate) enum Heard {
    Progress(ProgressNotificationParam),
    Log(LoggingMessageNotificationParam),
    ResourceUpdated(String),
    ToolsChanged,
    Sampled(CreateMessageRequestParams),
    Elicited(String),
}

/// A client that answers sampling, elicitation and roots, and records every
/// notification and question it receives.
#[derive(Clone)]
pub(crate) struct TestClient {
    accept_elicitation: bool,
    sender: mpsc::UnboundedSender<Heard>,
    heard: Arc<Mutex<Inbox>>,
}

/// What the test client heard and no test has taken yet.
struct Inbox {
    receiver: mpsc::UnboundedReceiver<Heard>,
    skipped: VecDeque<Heard>,
}

impl TestClient {
    /// A client whose user accepts every elicitation form.
    pub(crate) fn agreeable() -> Self {
        Self::new(true)
    }

    /// A client whose user declines every elicitation form.
    pub(crate) fn reluctant() -> Self {
        Self::new(false)
    }

    fn new(accept_elicitation: bool) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let inbox = Inbox {
            receiver,
            skipped: VecDeque::new(),
        };
        Self {
            accept_elicitation,
            sender,
            heard: Arc::new(Mutex::new(inbox)),
        }
    }

    /// Takes the first thing heard that `pick` accepts, waiting for it if need be;
    /// everything else stays for later calls.
    pub(crate) async fn wait_for<T>(&self, pick: impl Fn(&Heard) -> Option<T>) -> T {
        let mut inbox = self.heard.lock().await;
        if let Some(found) = inbox.take_skipped(&pick) {
            return found;
        }

        let Inbox { receiver, skipped } = &mut *inbox;
        let found = tokio::time::timeout(PATIENCE, async {
            while let Some(item) = receiver.recv().await {
                match pick(&item) {
                    Some(found) => return Some(found),
                    None => skipped.push_back(item),
                }
            }
            None
        });
        found
            .await
            .expect("the server did not send what the test waited for in time")
            .expect("the test client stopped listening")
    }

    /// Takes everything heard so far that `pick` accepts, without waiting.
    pub(crate) async fn drain<T>(&self, pick: impl Fn(&Heard) -> Option<T>) -> Vec<T> {
        let mut inbox = self.heard.lock().await;
        while let Ok(item) = inbox.receiver.try_recv() {
            inbox.skipped.push_back(item);
        }

        let mut found = Vec::new();
        while let Some(item) = inbox.take_skipped(&pick) {
            found.push(item);
        }
        found
    }

    fn record(&self, item: Heard) {
        let _ = self.sender.send(item);
    }
}

impl Inbox {
    /// Removes and returns the first kept item that `pick` accepts.
    fn take_skipped<T>(&mut self, pick: &impl Fn(&Heard) -> Option<T>) -> Option<T> {
        let (index, found) = self
            .skipped
            .iter()
            .enumerate()
            .find_map(|(index, item)| pick(item).map(|found| (index, found)))?;
        self.skipped.remove(index);
        Some(found)
    }
}

impl ClientHandler for TestClient {
    fn get_info(&self) -> ClientConfig {
        let capabilities = ClientCapabilities::builder()
            .enable_roots()
            .enable_sampling()
            .enable_elicitation()
            .build();
        ClientConfig::new(
            capabilities,
            Implementation::new("e2e-test-client", "1.0.0"),
        )
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        self.record(Heard::Sampled(params));

        let message = SamplingMessage::assistant_text(MODEL_ANSWER);
        Ok(CreateMessageResult::new(message, "test-model".to_owned())
            .with_stop_reason(CreateMessageResult::STOP_REASON_END_TURN))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            self.record(Heard::Elicited(message.clone()));
        }

        Ok(match self.accept_elicitation {
            true => ElicitResult::new(ElicitationAction::Accept)
                .with_content(serde_json::json!({ "confirm": true })),
            false => ElicitResult::new(ElicitationAction::Decline),
        })
    }

    async fn list_roots(
        &self,
        _context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, ErrorData> {
        Ok(ListRootsResult::new(vec![
            Root::new(CLIENT_ROOT).with_name("desk"),
        ]))
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.record(Heard::Progress(params));
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.record(Heard::Log(params));
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.record(Heard::ResourceUpdated(params.uri));
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.record(Heard::ToolsChanged);
    }
}

/// The binary under test.
fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_demo-upstream"))
}

/// Starts the binary in stdio mode with `args` and connects over the 2025 session
/// protocol (initialize handshake).
pub(crate) async fn stdio(args: &[&str], client: TestClient) -> Client {
    let command = binary().configure(|command| {
        command.args(args);
    });
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo-upstream binary should start");

    client
        .serve(transport)
        .await
        .expect("the stdio handshake should succeed")
}

/// Starts the binary in stdio mode and connects on protocol 2026-07-28 (server/discover,
/// no session).
pub(crate) async fn stdio_2026(args: &[&str], client: TestClient) -> Client {
    let command = binary().configure(|command| {
        command.args(args);
    });
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo-upstream binary should start");

    client
        .serve_with_lifecycle(transport, lifecycle_2026())
        .await
        .expect("server/discover over stdio should succeed")
}

/// The binary serving Streamable HTTP on a free loopback port; killed on drop.
pub(crate) struct HttpUpstream {
    pub(crate) url: String,
    _child: Child,
}

impl HttpUpstream {
    /// Starts the binary with `--http 127.0.0.1:0` and reads the URL it prints.
    pub(crate) async fn start(args: &[&str]) -> Self {
        let mut child = binary()
            .args(["--http", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the demo-upstream binary should start");
        let stdout = child.stdout.take().expect("stdout is piped");

        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(PATIENCE, lines.next_line())
            .await
            .expect("the binary should announce its address in time")
            .expect("stdout should be readable")
            .expect("the binary should print a line before exiting");

        let url = line
            .strip_prefix("listening on ")
            .expect("the line should read `listening on URL`")
            .to_owned();
        Self { url, _child: child }
    }

    /// Connects over the 2025 session protocol.
    pub(crate) async fn connect(&self, client: TestClient) -> Client {
        let transport = StreamableHttpClientTransport::from_uri(self.url.as_str());
        client
            .serve(transport)
            .await
            .expect("the HTTP handshake should succeed")
    }

    /// Connects on protocol 2026-07-28.
    pub(crate) async fn connect_2026(&self, client: TestClient) -> Client {
        let transport = StreamableHttpClientTransport::from_uri(self.url.as_str());
        client
            .serve_with_lifecycle(transport, lifecycle_2026())
            .await
            .expect("server/discover over HTTP should succeed")
    }
}

fn lifecycle_2026() -> ClientLifecycleMode {
    ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    }
}

/// Awaits `future`, failing the test if it takes longer than [`PATIENCE`].
pub(crate) async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .expect("the server did not answer in time")
}

/// Tool-call parameters from a JSON object literal.
pub(crate) fn call(name: &'static str, arguments: serde_json::Value) -> CallToolRequestParams {
    let arguments: JsonObject = match arguments {
        serde_json::Value::Object(object) => object,
        other => panic!("tool arguments must be a JSON object, not {other}"),
    };
    CallToolRequestParams::new(name).with_arguments(arguments)
}

/// The text of a result's first text block.
pub(crate) fn first_text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .find_map(|block| block.as_text())
        .map(|text| text.text.clone())
        .expect("the result should hold a text block")
}
