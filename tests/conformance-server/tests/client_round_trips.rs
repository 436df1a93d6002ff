//! Drives the server with rmcp's own client, the kind a gateway holds, to
//! check the paths the npm suite cannot: questions answered by retry under
//! protocol 2026-07-28, and a stream resumed by an rmcp client.
#![expect(
    deprecated,
    reason = "sampling is deprecated by SEP-2577, yet the conformance suite still checks it"
)]

use std::net::SocketAddr;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientCapabilities, ClientConfig,
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ElicitationAction, Implementation, ProtocolVersion, SamplingMessage,
};
use rmcp::service::{RequestContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, ClientLifecycleMode, ClientServiceExt, ErrorData, RoleClient};
use serde_json::json;
use tokio::task::JoinHandle;

/// A client that answers every question with the same words.
#[derive(Clone)]
struct ScriptedClient;

impl ClientHandler for ScriptedClient {
    fn get_info(&self) -> ClientConfig {
        let capabilities = ClientCapabilities::builder()
            .enable_sampling()
            .enable_elicitation()
            .build();
        ClientConfig::new(
            capabilities,
            Implementation::new("scripted-client", "0.0.0"),
        )
    }

    async fn create_message(
        &self,
        _params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let message = SamplingMessage::assistant_text("forty-two");
        Ok(CreateMessageResult::new(
            message,
            "scripted-model".to_owned(),
        ))
    }

    async fn create_elicitation(
        &self,
        _request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let content = json!({ "username": "ada", "email": "ada@example.org" });
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(content))
    }
}

/// Starts the server on a free loopback port.
async fn start() -> anyhow::Result<(SocketAddr, JoinHandle<anyhow::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(warden_conformance_server::serve(listener));
    Ok((addr, server))
}

/// Connects a [`ScriptedClient`] with the given lifecycle.
async fn connect(
    addr: SocketAddr,
    lifecycle: ClientLifecycleMode,
) -> anyhow::Result<RunningService<RoleClient, ScriptedClient>> {
    let transport = StreamableHttpClientTransport::from_uri(format!("http://{addr}/mcp"));
    Ok(ScriptedClient
        .serve_with_lifecycle(transport, lifecycle)
        .await?)
}

fn session_lifecycle() -> ClientLifecycleMode {
    ClientLifecycleMode::Initialize
}

fn stateless_lifecycle() -> ClientLifecycleMode {
    ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    }
}

/// Calls a tool and returns the text of its first block.
async fn call_text(
    client: &RunningService<RoleClient, ScriptedClient>,
    name: &'static str,
    arguments: serde_json::Value,
) -> anyhow::Result<String> {
    let mut params = CallToolRequestParams::new(name);
    if let serde_json::Value::Object(arguments) = arguments {
        params = params.with_arguments(arguments);
    }

    let result: CallToolResult = client.call_tool(params).await?;
    let text = result
        .content
        .first()
        .and_then(|block| block.as_text())
        .map(|text| text.text.clone());
    text.ok_or_else(|| anyhow::anyhow!("`{name}` answered without text: {result:?}"))
}

async fn sampling_and_elicitation_work(lifecycle: ClientLifecycleMode) -> anyhow::Result<()> {
    let (addr, server) = start().await?;
    let client = connect(addr, lifecycle).await?;

    let sampled = call_text(&client, "test_sampling", json!({ "prompt": "question" })).await?;
    assert_eq!(sampled, "LLM response: forty-two");

    let elicited = call_text(&client, "test_elicitation", json!({ "message": "who?" })).await?;
    assert!(
        elicited.starts_with("User response: action=accept"),
        "{elicited}"
    );
    assert!(elicited.contains("ada@example.org"), "{elicited}");

    client.cancel().await?;
    server.abort();
    Ok(())
}

#[tokio::test]
async fn questions_travel_as_requests_in_a_session() -> anyhow::Result<()> {
    sampling_and_elicitation_work(session_lifecycle()).await
}

#[tokio::test]
async fn questions_travel_as_input_required_results_on_2026_07_28() -> anyhow::Result<()> {
    sampling_and_elicitation_work(stateless_lifecycle()).await
}

#[tokio::test]
async fn on_2026_07_28_the_first_round_asks_for_input() -> anyhow::Result<()> {
    let (addr, server) = start().await?;
    let client = connect(addr, stateless_lifecycle()).await?;

    let arguments = json!({ "prompt": "question" });
    let params = CallToolRequestParams::new("test_sampling")
        .with_arguments(arguments.as_object().cloned().unwrap_or_default());
    let first = client.call_tool_once(params).await?;
    assert!(
        matches!(first, CallToolResponse::InputRequired(_)),
        "{first:?}"
    );

    client.cancel().await?;
    server.abort();
    Ok(())
}

#[tokio::test]
async fn an_rmcp_client_resumes_the_stream_the_reconnection_tool_closes() -> anyhow::Result<()> {
    let (addr, server) = start().await?;
    let client = connect(addr, session_lifecycle()).await?;

    let text = call_text(&client, "test_reconnection", json!({})).await?;
    assert_eq!(text, "Reconnection test completed");

    client.cancel().await?;
    server.abort();
    Ok(())
}
