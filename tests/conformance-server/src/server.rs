//! The MCP handler: capabilities, and the routing of each request to the
//! module that owns its fixtures.
//!
//! One handler is made per MCP session, so the logging level and the
//! resource subscriptions it keeps belong to that session alone.

use std::collections::HashSet;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
    GetPromptRequestParams, GetPromptResponse, Implementation, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
    SubscribeRequestParams, UnsubscribeRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::json;
use tokio::sync::Mutex;

use crate::logging::LogThreshold;
use crate::streams::RecordingSessionManager;
use crate::{completion, prompts, resources, tools};

/// The handler of one MCP session.
pub(crate) struct ConformanceServer {
    sessions: Arc<RecordingSessionManager>,
    logs: LogThreshold,
    subscriptions: Mutex<HashSet<String>>,
}

impl ConformanceServer {
    /// Makes a handler for a new session.
    pub(crate) fn new(sessions: Arc<RecordingSessionManager>) -> Self {
        Self {
            sessions,
            logs: LogThreshold::default(),
            subscriptions: Mutex::default(),
        }
    }
}

impl ServerHandler for ConformanceServer {
    #[expect(
        deprecated,
        reason = "the suite still checks logging, deprecated by SEP-2577"
    )]
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_tools()
            .build();
        let implementation = Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));

        ServerConfig::new(capabilities)
            .with_server_info(implementation)
            .with_instructions("Fixtures for the MCP conformance suite; nothing here is real.")
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools::list()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        tracing::debug!(tool.name = %request.name, "tool call");

        let call = tools::Call {
            params: &request,
            context: &context,
            logs: &self.logs,
            sessions: &self.sessions,
        };
        tools::call(call).await
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        tracing::debug!(prompt.name = %request.name, "prompt get");
        prompts::get(&request.name, request.arguments.as_ref()).map(Into::into)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(resources::list()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        tracing::debug!(resource.uri = %request.uri, "resource read");
        resources::read(&request.uri).map(Into::into)
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        if !resources::exists(&request.uri) {
            let message = format!("no resource at `{}` to subscribe to", request.uri);
            return Err(McpError::resource_not_found(
                message,
                Some(json!({ "uri": request.uri })),
            ));
        }

        tracing::debug!(resource.uri = %request.uri, "resource subscribed");
        self.subscriptions.lock().await.insert(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        tracing::debug!(resource.uri = %request.uri, "resource unsubscribed");
        self.subscriptions.lock().await.remove(&request.uri);
        Ok(())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        completion::complete(&request)
    }

    #[expect(
        deprecated,
        reason = "the suite still checks logging, deprecated by SEP-2577"
    )]
    async fn set_level(
        &self,
        request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        tracing::debug!(log.level = ?request.level, "logging level set");
        self.logs.set(&request);
        Ok(())
    }
}
