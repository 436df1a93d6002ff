//! The MCP client role Warden plays toward each upstream.
//!
//! It advertises sampling, elicitation and roots so that upstream servers may
//! use them, and passes each such request to the agent whose request is in
//! flight on this upstream. Progress and log notifications take a shorter way,
//! through [`super::intercept`].

use std::sync::Arc;

use rmcp::ClientHandler;
use rmcp::model::{
    ClientCapabilities, ClientInfo, ClientResult, CreateMessageRequest, CreateMessageRequestParams,
    CreateMessageResult, ElicitRequest, ElicitRequestParams, ElicitResult, ErrorData,
    Implementation, ListRootsRequest, ListRootsResult, ResourceUpdatedNotificationParam, Root,
    ServerRequest,
};
use rmcp::service::{NotificationContext, RequestContext, RoleClient};

use crate::relay::Relay;
use crate::relay::inflight::InFlight;
use crate::upstream::Upstream;

/// The client handler of one upstream connection.
#[derive(Clone)]
pub(crate) struct UpstreamClient {
    upstream: Arc<Upstream>,
    relay: Arc<Relay>,
}

impl UpstreamClient {
    pub(crate) fn new(upstream: Arc<Upstream>, relay: Arc<Relay>) -> Self {
        Self { upstream, relay }
    }

    pub(crate) fn upstream_index(&self) -> usize {
        self.upstream.index
    }

    pub(crate) fn inflight(&self) -> Arc<InFlight> {
        Arc::clone(&self.relay.inflight)
    }

    /// Sends a request to the agent behind the in-flight call, or refuses it
    /// when no single agent can be named.
    async fn ask_agent(&self, request: ServerRequest) -> Result<ClientResult, ErrorData> {
        let method = method_name(&request);
        let target = self
            .relay
            .inflight
            .sole_target(self.upstream.index)
            .map_err(|error| {
                tracing::info!(
                    upstream.name = self.upstream.name(),
                    mcp.method.name = method,
                    reason = %error,
                    "upstream request to agent refused"
                );
                ErrorData::invalid_request(format!("warden cannot relay {method}: {error}"), None)
            })?;

        tracing::debug!(
            upstream.name = self.upstream.name(),
            mcp.method.name = method,
            session = target.session,
            "relaying upstream request to agent"
        );
        target.ask(request).await
    }
}

fn method_name(request: &ServerRequest) -> &'static str {
    match request {
        ServerRequest::CreateMessageRequest(_) => "sampling/createMessage",
        ServerRequest::ListRootsRequest(_) => "roots/list",
        ServerRequest::ElicitRequest(_) => "elicitation/create",
        ServerRequest::PingRequest(_) => "ping",
        ServerRequest::CustomRequest(_) => "a custom request",
        _ => "a server request",
    }
}

fn unexpected(method: &str) -> ErrorData {
    ErrorData::internal_error(
        format!("the agent answered {method} with another result"),
        None,
    )
}

impl ClientHandler for UpstreamClient {
    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let request = ServerRequest::CreateMessageRequest(CreateMessageRequest::new(params));
        match self.ask_agent(request).await? {
            ClientResult::CreateMessageResult(result) => Ok(*result),
            _ => Err(unexpected("sampling/createMessage")),
        }
    }

    async fn list_roots(
        &self,
        _context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, ErrorData> {
        if let Some(roots) = &self.upstream.config.roots {
            let roots = roots.iter().map(|uri| Root::new(uri.clone())).collect();
            return Ok(ListRootsResult::new(roots));
        }
        if self
            .relay
            .inflight
            .sole_target(self.upstream.index)
            .is_err()
        {
            // Outside an agent's call (at start-up, typically) the gateway
            // itself is the client, and it has no roots.
            return Ok(ListRootsResult::default());
        }

        let request = ServerRequest::ListRootsRequest(ListRootsRequest::default());
        match self.ask_agent(request).await? {
            ClientResult::ListRootsResult(result) => Ok(result),
            _ => Err(unexpected("roots/list")),
        }
    }

    async fn create_elicitation(
        &self,
        params: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let request = ServerRequest::ElicitRequest(ElicitRequest::new(params));
        match self.ask_agent(request).await? {
            ClientResult::ElicitResult(result) => Ok(result),
            _ => Err(unexpected("elicitation/create")),
        }
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        for agent in self.relay.sessions.subscribers(&params.uri) {
            if let Err(error) = agent.notify_resource_updated(params.clone()).await {
                tracing::debug!(%error, "resource update not delivered to agent");
            }
        }
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.upstream.list_changed.notify_one();
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.upstream.list_changed.notify_one();
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.upstream.list_changed.notify_one();
    }

    fn get_info(&self) -> ClientInfo {
        let capabilities = ClientCapabilities::builder()
            .enable_roots()
            .enable_sampling()
            .enable_elicitation()
            .build();
        ClientInfo::new(
            capabilities,
            Implementation::new("warden", env!("CARGO_PKG_VERSION")),
        )
    }
}
