//! A real MCP client playing the agent: rmcp over Streamable HTTP, with a
//! handler that answers sampling, elicitation and roots and records every
//! notification the gateway relays.

use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientInfo,
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ElicitationAction, ErrorData, Implementation, ListRootsResult, LoggingMessageNotificationParam,
    ProgressNotificationParam, ResourceUpdatedNotificationParam, Root, SamplingMessage,
};
use rmcp::service::{NotificationContext, RequestContext, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ServiceExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::process::Gateway;

/// What the agent's handler saw, in order.
#[derive(Debug, Clone)]
pub enum AgentEvent {
    Progress(ProgressNotificationParam),
    Log(LoggingMessageNotificationParam),
    ToolsChanged,
    ResourceUpdated(ResourceUpdatedNotificationParam),
    Sampled(String),
    Elicited(String),
    RootsListed,
}

/// The receiving end of the agent's events.
pub type AgentEvents = mpsc::UnboundedReceiver<AgentEvent>;

/// The agent's client handler.
#[derive(Clone)]
pub struct Recorder {
    events: mpsc::UnboundedSender<AgentEvent>,
    /// Name used in the agent's answers, to tell agents apart.
    name: String,
}

/// A connected agent.
pub struct TestAgent {
    pub service: RunningService<RoleClient, Recorder>,
}

impl TestAgent {
    /// Connects to the gateway's MCP endpoint as agent `name`, with a
    /// development JWT-SVID for `spiffe://example.org/agent/{name}`.
    pub async fn connect(gateway: &Gateway, name: &str) -> (Self, AgentEvents) {
        let token = gateway.agent_svid(name);
        Self::connect_with_token(&gateway.url, name, &token).await
    }

    /// Connects to `url` as agent `name`, presenting `token`.
    pub async fn connect_with_token(url: &str, name: &str, token: &str) -> (Self, AgentEvents) {
        match Self::try_connect(url, name, token).await {
            Ok(connected) => connected,
            Err(error) => panic!("agent `{name}` cannot connect to the gateway: {error}"),
        }
    }

    /// Connects to `url` as agent `name`, presenting `token`, or says why not.
    pub async fn try_connect(
        url: &str,
        name: &str,
        token: &str,
    ) -> Result<(Self, AgentEvents), rmcp::service::ClientInitializeError> {
        let (events, receiver) = mpsc::unbounded_channel();
        let recorder = Recorder {
            events,
            name: name.to_owned(),
        };
        let config =
            StreamableHttpClientTransportConfig::with_uri(url.to_owned()).auth_header(token);
        let transport = StreamableHttpClientTransport::from_config(config);
        let service = recorder.serve(transport).await?;
        Ok((Self { service }, receiver))
    }

    /// Names of the tools the gateway lists.
    pub async fn tool_names(&self) -> Vec<String> {
        let tools = self.service.list_all_tools().await.expect("tools/list");
        tools
            .into_iter()
            .map(|tool| tool.name.to_string())
            .collect()
    }

    /// Calls a tool and returns the result; protocol errors fail the test.
    pub async fn call(&self, name: &str, arguments: Value) -> CallToolResult {
        self.try_call(name, arguments)
            .await
            .expect("tools/call answered")
    }

    /// Calls a tool and returns the result or the JSON-RPC error.
    pub async fn try_call(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<CallToolResult, ErrorData> {
        self.try_call_under(None, name, arguments).await
    }

    /// Calls a tool naming `task` in `_meta` as `warden/task`.
    pub async fn call_under(&self, task: &str, name: &str, arguments: Value) -> CallToolResult {
        self.try_call_under(Some(task), name, arguments)
            .await
            .expect("tools/call answered")
    }

    /// Calls a tool, naming a task in `_meta` if given.
    pub async fn try_call_under(
        &self,
        task: Option<&str>,
        name: &str,
        arguments: Value,
    ) -> Result<CallToolResult, ErrorData> {
        let arguments = arguments.as_object().cloned();
        let mut params = CallToolRequestParams::new(name.to_owned());
        params.arguments = arguments;
        if let Some(task) = task {
            let mut meta = rmcp::model::RequestMetaObject::new();
            meta.insert("warden/task".to_owned(), json!(task));
            params.meta = Some(meta);
        }
        match self.service.peer().call_tool(params).await {
            Ok(result) => Ok(result),
            Err(rmcp::ServiceError::McpError(error)) => Err(error),
            Err(other) => panic!("tools/call `{name}` failed outside JSON-RPC: {other}"),
        }
    }
}

/// The text of a tool result's content blocks, joined.
pub fn text_of(result: &CallToolResult) -> String {
    let value = serde_json::to_value(&result.content).unwrap_or(Value::Null);
    value
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|block| block["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Waits for the first event that `select` accepts, failing after `within`.
pub async fn next_event<T>(
    events: &mut AgentEvents,
    within: Duration,
    mut select: impl FnMut(AgentEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv()).await;
        match event {
            Ok(Some(event)) => {
                if let Some(found) = select(event) {
                    return found;
                }
            }
            Ok(None) => panic!("agent event stream ended"),
            Err(_) => panic!("expected event did not arrive within {within:?}"),
        }
    }
}

impl ClientHandler for Recorder {
    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let asked = serde_json::to_string(&params.messages).unwrap_or_default();
        let _ = self.events.send(AgentEvent::Sampled(asked));
        let answer = format!("summary from {}", self.name);
        Ok(CreateMessageResult::new(
            SamplingMessage::assistant_text(answer),
            "test-model".to_owned(),
        ))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let asked = serde_json::to_string(&request).unwrap_or_default();
        let _ = self.events.send(AgentEvent::Elicited(asked));
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(json!({ "confirm": true })))
    }

    async fn list_roots(
        &self,
        _context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, ErrorData> {
        let _ = self.events.send(AgentEvent::RootsListed);
        let root = Root::new(format!("file:///work/{}", self.name));
        Ok(ListRootsResult::new(vec![root]))
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let _ = self.events.send(AgentEvent::Progress(params));
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let _ = self.events.send(AgentEvent::Log(params));
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.events.send(AgentEvent::ToolsChanged);
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let _ = self.events.send(AgentEvent::ResourceUpdated(params));
    }

    fn get_info(&self) -> ClientInfo {
        let capabilities = ClientCapabilities::builder()
            .enable_roots()
            .enable_sampling()
            .enable_elicitation()
            .build();
        ClientInfo::new(capabilities, Implementation::new(self.name.clone(), "1.0"))
    }
}

/// Waits a moment for the gateway to settle between steps of a test.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}
