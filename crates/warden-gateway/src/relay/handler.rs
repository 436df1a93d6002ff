//! The MCP server handler of one agent session.
//!
//! Each method first admits the caller: the authentication layer in front of
//! `/mcp` attached a verified workload identity to the request, and a session
//! serves only the identity that opened it. It then finds the upstream behind
//! a name, forwards the request with the upstream's own name, and returns the
//! answer unchanged. Listings are served from the routing table, so they cost
//! no upstream round trip; the tool listing shows Warden's own tools and the
//! tools the caller's active tasks grant, nothing else.
//!
//! A tool call passes three steps before it is forwarded: the caller's task
//! authorizes it (a call token attenuated from the task's capability), the
//! policy allows it, and it is counted against the task's budget.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};

use rmcp::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ClientRequest, CompleteRequest, CompleteRequestParams,
    CompleteResult, ErrorData, GetPromptRequest, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequest, ReadResourceRequestParams,
    ReadResourceResponse, Reference, ServerCapabilities, ServerInfo, ServerResult, SetLevelRequest,
    SetLevelRequestParams, SubscribeRequestParams, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer};
use tracing::Instrument as _;
use warden_identity::{Identity, SpiffeId};
use warden_policy::{ArgValue, Operation, args_from_json};

mod tool_call;

use super::forward::forward;
use super::inflight::SessionKey;
use super::policy::{self, Asked};
use super::warden_tools::{self, Agent};
use crate::error::GatewayError;
use crate::hub::Hub;
use crate::tasks::TaskRefusal;

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// Tells this process's sessions from those of earlier runs, whose tasks
/// are still on record.
static BOOT: LazyLock<String> = LazyLock::new(|| {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id[..12].to_owned()
});

/// The HTTP header that carries an MCP session id.
const SESSION_HEADER: &str = "mcp-session-id";

/// The `_meta` key in which a call names its task.
const TASK_META: &str = "warden/task";

/// Serves one agent session.
pub(crate) struct GatewayHandler {
    hub: Arc<Hub>,
    session: SessionKey,
    /// The session as task records name it, unique across restarts.
    label: String,
    /// The identity of the session's first request.
    owner: OnceLock<SpiffeId>,
    /// Whether the session completed the `initialize` handshake, and so was
    /// recorded as opened.
    opened: AtomicBool,
}

impl GatewayHandler {
    pub(crate) fn new(hub: Arc<Hub>) -> Self {
        let session = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
        Self {
            hub,
            session,
            label: format!("{}-{session}", *BOOT),
            owner: OnceLock::new(),
            opened: AtomicBool::new(false),
        }
    }

    /// The verified identity of the request, which must be the session's
    /// owner; notes the session's peer so that notifications can reach it.
    ///
    /// The HTTP layer already refuses requests without an identity or from
    /// another one; this check keeps the handler closed should a request ever
    /// reach it some other way.
    fn admit(&self, context: &RequestContext<RoleServer>) -> Result<Identity, ErrorData> {
        let identity = identity_of(&context.extensions)
            .ok_or_else(|| GatewayError::Unauthenticated.into_error_data())?;
        if !self.claim(&identity, &context.peer) {
            return Err(GatewayError::Unauthenticated.into_error_data());
        }
        Ok(identity)
    }

    /// Notes the session's peer and, on its first request, its owner, so
    /// that news of the owner's tasks reaches it; false for another identity.
    fn claim(&self, identity: &Identity, peer: &rmcp::service::Peer<RoleServer>) -> bool {
        let first = self.owner.get().is_none();
        let owner = self.owner.get_or_init(|| identity.spiffe_id.clone());
        if *owner != identity.spiffe_id {
            return false;
        }

        let sessions = &self.hub.relay().sessions;
        sessions.touch(self.session, peer);
        if first {
            sessions.set_owner(self.session, &owner.to_string());
        }
        true
    }

    /// The session that tasks requested now belong to: this one, if the
    /// request came within an MCP session. A protocol version without
    /// sessions serves each request on its own, so a task requested there
    /// belongs to the identity alone.
    fn task_session(&self, context: &RequestContext<RoleServer>) -> Option<&str> {
        let in_session = context
            .extensions
            .get::<axum::http::request::Parts>()
            .is_some_and(|parts| parts.headers.contains_key(SESSION_HEADER));
        in_session.then_some(self.label.as_str())
    }

    async fn forward_to(
        &self,
        upstream: usize,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, GatewayError> {
        let upstream = self.hub.upstream(upstream);
        forward(&self.hub, self.session, upstream, request, context).await
    }

    /// Asks policy whether `identity` may have a prompt or resource of
    /// `upstream`, and records the decision before anything is forwarded;
    /// tool calls take their own path (`tool_call`).
    async fn authorize(
        &self,
        identity: &Identity,
        operation: Operation,
        upstream: usize,
        name: Option<&str>,
        args: Option<Vec<(String, ArgValue)>>,
    ) -> Result<(), GatewayError> {
        let upstream = self.hub.upstream(upstream).name();
        let args = args.unwrap_or_default();
        let recorded: serde_json::Map<String, serde_json::Value> = args
            .iter()
            .map(|(key, value)| (key.clone(), arg_json(value)))
            .collect();
        let asked = Asked {
            operation,
            upstream,
            name,
            hints: &[],
            args,
            calls_made: None,
        };
        let decision = policy::decide(&self.hub, identity, asked);

        let kind = match operation {
            Operation::GetPrompt => warden_audit::Kind::PROMPT_GET,
            _ => warden_audit::Kind::RESOURCE_READ,
        };
        let mut event = warden_audit::Event::new(kind);
        event.identity = Some(identity.spiffe_id.to_string());
        event.session = Some(self.label.clone());
        event.request = Some(serde_json::json!({
            "upstream": upstream,
            "name": name,
            "arguments": recorded,
        }));
        event.decision = Some(self.hub.audit().decision(&decision));
        self.hub.audit().record(event).await?;
        policy::enforce(&decision)
    }

    /// The error for a name that no upstream exports: an unavailable upstream
    /// is named as the cause when the name carries its prefix.
    fn unknown(&self, kind: &'static str, name: &str) -> GatewayError {
        if let Some(upstream) = self.hub.upstream_by_prefix(name)
            && let Err(unavailable) = upstream.peer()
        {
            return unavailable.into();
        }
        GatewayError::UnknownName {
            kind,
            name: name.to_owned(),
        }
    }
}

impl GatewayHandler {
    /// The record of this session opening or closing.
    fn session_event(&self, kind: warden_audit::Kind) -> warden_audit::Event {
        let mut event = warden_audit::Event::new(kind);
        event.session = Some(self.label.clone());
        event.identity = self.owner.get().map(ToString::to_string);
        event
    }
}

impl Drop for GatewayHandler {
    fn drop(&mut self) {
        self.hub.tasks().session_closed(&self.label);
        if self.opened.load(Ordering::Relaxed) {
            let event = self.session_event(warden_audit::Kind::SESSION_CLOSE);
            self.hub.audit().record_later(event);
        }
        let hub = Arc::clone(&self.hub);
        let session = self.session;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { hub.end_session(session).await });
        }
    }
}

impl ServerHandler for GatewayHandler {
    fn get_info(&self) -> ServerInfo {
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_resources()
            .enable_resources_list_changed()
            .enable_resources_subscribe()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        ServerInfo::new(capabilities)
            .with_server_info(Implementation::new("warden", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Warden gateway: tools and prompts of each upstream MCP server are exported \
                 as `upstream.name`.",
            )
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        match identity_of(&context.extensions) {
            Some(identity) => {
                self.claim(&identity, &context.peer);
            }
            None => self.hub.relay().sessions.touch(self.session, &context.peer),
        }
        if !self.opened.swap(true, Ordering::Relaxed) {
            let event = self.session_event(warden_audit::Kind::SESSION_OPEN);
            self.hub.audit().record_later(event);
        }
        tracing::debug!(session = self.session, "agent session initialized");
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let identity = self.admit(&context)?;
        let routes = self.hub.routes();
        let granted = self
            .hub
            .tasks()
            .granted_tools(&identity.spiffe_id.to_string(), self.task_session(&context));

        let mut tools = warden_tools::definitions(&routes);
        let upstream_tools = routes.tool_list.iter();
        tools.extend(
            upstream_tools
                .filter(|tool| granted.contains(tool.name.as_ref()))
                .cloned(),
        );
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let identity = self.admit(&context)?;
        if warden_tools::is_warden_tool(&request.name) {
            let spiffe_id = identity.spiffe_id.to_string();
            let agent = Agent {
                identity: &spiffe_id,
                session: self.task_session(&context),
            };
            let args = request.arguments.unwrap_or_default();
            let result = warden_tools::call(&self.hub, &agent, &request.name, &args);
            return Ok(CallToolResponse::Complete(result));
        }

        let span = tracing::info_span!(
            "tool_call",
            agent.spiffe_id = %identity.spiffe_id,
            tool.name = %request.name,
            session = self.session,
        );
        let outcome = self.call_tool_outcome(&identity, request, &context);
        match outcome.instrument(span.clone()).await {
            Ok(response) => {
                span.in_scope(|| tracing::debug!("tool call relayed"));
                Ok(response)
            }
            Err(error) => {
                if !error.is_policy_refusal() {
                    span.in_scope(|| tracing::info!(%error, "tool call failed"));
                }
                error.into_tool_outcome().map(CallToolResponse::Complete)
            }
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        self.admit(&context)?;
        let prompts = self.hub.routes().prompt_list.as_ref().clone();
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    async fn get_prompt(
        &self,
        mut request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let identity = self.admit(&context)?;
        let Some(route) = self.hub.routes().prompt(&request.name).cloned() else {
            return Err(self.unknown("prompt", &request.name).into_error_data());
        };
        let args = request.arguments.as_ref().map(args_from_json);
        self.authorize(
            &identity,
            Operation::GetPrompt,
            route.upstream,
            Some(&request.name),
            args,
        )
        .await
        .map_err(GatewayError::into_error_data)?;
        request.name = route.name;

        let request = ClientRequest::GetPromptRequest(GetPromptRequest::new(request));
        match self.forward_to(route.upstream, request, &context).await {
            Ok(ServerResult::GetPromptResult(result)) => Ok(GetPromptResponse::Complete(result)),
            Ok(ServerResult::InputRequiredResult(result)) => {
                Ok(GetPromptResponse::InputRequired(result))
            }
            Ok(_) => Err(unexpected(&self.hub, route.upstream)),
            Err(error) => Err(error.into_error_data()),
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.admit(&context)?;
        let resources = self.hub.routes().resource_list.as_ref().clone();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        self.admit(&context)?;
        let templates = self.hub.routes().template_list.as_ref().clone();
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let identity = self.admit(&context)?;
        let upstream = self.resource_upstream(&request.uri)?;
        self.authorize_read(&identity, upstream, &request.uri)
            .await?;

        let request = ClientRequest::ReadResourceRequest(ReadResourceRequest::new(request));
        match self.forward_to(upstream, request, &context).await {
            Ok(ServerResult::ReadResourceResult(result)) => {
                Ok(ReadResourceResponse::Complete(result))
            }
            Ok(ServerResult::InputRequiredResult(result)) => {
                Ok(ReadResourceResponse::InputRequired(result))
            }
            Ok(_) => Err(unexpected(&self.hub, upstream)),
            Err(error) => Err(error.into_error_data()),
        }
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let identity = self.admit(&context)?;
        let upstream = self.resource_upstream(&request.uri)?;
        self.authorize_read(&identity, upstream, &request.uri)
            .await?;
        self.hub
            .subscribe(self.session, upstream, &request.uri)
            .await
            .map_err(GatewayError::into_error_data)
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.admit(&context)?;
        self.hub.unsubscribe(self.session, &request.uri).await;
        Ok(())
    }

    async fn complete(
        &self,
        mut request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let identity = self.admit(&context)?;
        let routes = self.hub.routes();
        let upstream = match &mut request.r#ref {
            Reference::Prompt(prompt) => {
                let route = routes
                    .prompt(&prompt.name)
                    .ok_or_else(|| self.unknown("prompt", &prompt.name).into_error_data())?;
                self.authorize(
                    &identity,
                    Operation::GetPrompt,
                    route.upstream,
                    Some(&prompt.name),
                    None,
                )
                .await
                .map_err(GatewayError::into_error_data)?;
                prompt.name = route.name.clone();
                route.upstream
            }
            Reference::Resource(resource) => {
                let upstream = routes
                    .template(&resource.uri)
                    .or_else(|| routes.resource(&resource.uri))
                    .ok_or_else(|| resource_not_found(&resource.uri))?;
                self.authorize_read(&identity, upstream, &resource.uri)
                    .await?;
                upstream
            }
            _ => {
                return Err(ErrorData::invalid_params(
                    "unsupported completion reference",
                    None,
                ));
            }
        };

        let request = ClientRequest::CompleteRequest(CompleteRequest::new(request));
        match self.forward_to(upstream, request, &context).await {
            Ok(ServerResult::CompleteResult(result)) => Ok(result),
            Ok(_) => Err(unexpected(&self.hub, upstream)),
            Err(error) => Err(error.into_error_data()),
        }
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.admit(&context)?;
        self.hub
            .relay()
            .sessions
            .set_log_level(self.session, request.level);

        for upstream in self.hub.upstreams() {
            if upstream.supports_logging() {
                let level = SetLevelRequestParams::new(request.level);
                let request = ClientRequest::SetLevelRequest(SetLevelRequest::new(level));
                if let Err(error) = self.forward_to(upstream.index, request, &context).await {
                    let upstream = upstream.name();
                    tracing::debug!(upstream.name = upstream, %error, "setLevel not applied");
                }
            }
        }
        Ok(())
    }
}

impl GatewayHandler {
    /// Reads and subscriptions are decided as `read_resource`, with the URI
    /// as the `uri` argument.
    async fn authorize_read(
        &self,
        identity: &Identity,
        upstream: usize,
        uri: &str,
    ) -> Result<(), ErrorData> {
        let args = vec![("uri".to_owned(), ArgValue::Str(uri.to_owned()))];
        self.authorize(
            identity,
            Operation::ReadResource,
            upstream,
            None,
            Some(args),
        )
        .await
        .map_err(GatewayError::into_error_data)
    }

    fn resource_upstream(&self, uri: &str) -> Result<usize, ErrorData> {
        self.hub
            .routes()
            .resource(uri)
            .ok_or_else(|| resource_not_found(uri))
    }
}

/// A policy argument as JSON, for the audit record.
fn arg_json(value: &ArgValue) -> serde_json::Value {
    match value {
        ArgValue::Str(text) => serde_json::Value::from(text.as_str()),
        ArgValue::Int(number) => serde_json::Value::from(*number),
        ArgValue::Bool(flag) => serde_json::Value::from(*flag),
    }
}

/// The verified identity the authentication layer attached to the HTTP
/// request that carried a message.
fn identity_of(extensions: &rmcp::model::Extensions) -> Option<Identity> {
    extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Identity>())
        .cloned()
}

/// The task a call names in `_meta`, if any.
fn named_task(context: &RequestContext<RoleServer>) -> Result<Option<&str>, GatewayError> {
    match context.meta.get(TASK_META) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(id)) => Ok(Some(id.as_str())),
        Some(other) => Err(TaskRefusal::InvalidRequest(format!(
            "`_meta` `{TASK_META}` must be a task id string, not {other}"
        ))
        .into()),
    }
}

fn resource_not_found(uri: &str) -> ErrorData {
    ErrorData::resource_not_found(
        format!("no upstream serves resource `{uri}`: list resources and templates to see them"),
        None,
    )
}

fn unexpected(hub: &Hub, upstream: usize) -> ErrorData {
    GatewayError::UnexpectedResponse(hub.upstream(upstream).name().to_owned()).into_error_data()
}
