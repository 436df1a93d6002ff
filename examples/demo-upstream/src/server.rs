//! The MCP server handler: what the server announces, lists and dispatches.
//!
//! One [`DemoServer`] value serves one session (or, on protocol 2026-07-28, one stateless
//! request). Values made with [`DemoServer::new_session`] share the desk and the tool
//! catalogue but keep their own resource subscriptions and log level, as MCP sessions
//! must. The tool catalogue is built once per process, because Streamable HTTP asks for a
//! fresh handler on every request.
//!
//! Sampling, roots and logging are deprecated by the 2026-07-28 revision (SEP-2577) but
//! are still what clients on 2025 revisions use, so this module turns them on knowingly.
#![expect(
    deprecated,
    reason = "logging is deprecated in 2026-07-28 but used by 2025 clients"
)]

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    Implementation, InitializeRequestParams, InitializeResult, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, LoggingLevel,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    ServerConfig, SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter, Tool,
    UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use tokio::sync::{Mutex, broadcast};

use crate::desk::Desk;
use crate::events::{DeskEvent, Subscriptions, relay_to_listener, relay_to_session};
use crate::options::DemoOptions;
use crate::{paging, prompts, resources};

const INSTRUCTIONS: &str = "A help-desk ticket tracker. Read tickets with list_tickets and \
    get_ticket, search the knowledge base with search_docs, and change tickets with \
    create_ticket, close_ticket and delete_ticket. Resources: tickets://open and \
    tickets://{id}.";

/// The ticket-desk MCP server; serve it with any rmcp transport.
///
/// [`serve_stdio`](crate::serve_stdio) and [`serve_http`](crate::serve_http) cover the
/// usual cases; this type is public for callers that bring their own transport, such as
/// an in-memory duplex in a test.
#[derive(Clone)]
pub struct DemoServer {
    shared: Arc<Shared>,
    session: Session,
}

/// What every session of one process shares.
struct Shared {
    desk: Desk,
    options: DemoOptions,
    tools: ToolRouter<DemoServer>,
    admin_tools: ToolRouter<DemoServer>,
}

/// What belongs to one session only.
#[derive(Clone, Default)]
pub(crate) struct Session {
    pub(crate) subscriptions: Subscriptions,
    pub(crate) log_level: Arc<Mutex<Option<LoggingLevel>>>,
    /// The desk feed, opened at `initialize` so that no change made before the client's
    /// `initialized` notification is missed, and handed to the relay after it.
    feed: Arc<Mutex<Option<broadcast::Receiver<DeskEvent>>>>,
    /// Desk feeds for `subscriptions/listen` requests, opened before the SDK acknowledges
    /// the request so that a change the client makes right after the acknowledgement is
    /// not missed; each `listen` takes one.
    listen_feeds: Arc<std::sync::Mutex<VecDeque<broadcast::Receiver<DeskEvent>>>>,
    relay_started: Arc<AtomicBool>,
}

impl Session {
    /// Keeps a feed for a `subscriptions/listen` request about to be acknowledged.
    fn stash_listen_feed(&self, feed: broadcast::Receiver<DeskEvent>) {
        let mut feeds = self
            .listen_feeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        feeds.push_back(feed);
    }

    /// Takes the feed stashed for a `subscriptions/listen` request, if any.
    fn take_listen_feed(&self) -> Option<broadcast::Receiver<DeskEvent>> {
        let mut feeds = self
            .listen_feeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        feeds.pop_front()
    }
}

impl DemoServer {
    /// Creates a server over a freshly seeded desk.
    pub fn new(options: DemoOptions) -> Self {
        let mut tools = Self::desk_tools() + Self::relay_tools();
        if options.faults {
            tools += Self::fault_tools();
        }

        let shared = Shared {
            desk: Desk::seeded(),
            options,
            tools,
            admin_tools: Self::admin_tools(),
        };
        Self {
            shared: Arc::new(shared),
            session: Session::default(),
        }
    }

    /// Returns a handler for another session over the same desk, with its own
    /// subscriptions and log level.
    pub fn new_session(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            session: Session::default(),
        }
    }

    /// The options this server was started with.
    pub fn options(&self) -> DemoOptions {
        self.shared.options
    }

    /// The desk every session shares.
    pub(crate) fn desk(&self) -> &Desk {
        &self.shared.desk
    }

    /// This session's own state.
    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// The tools listed right now, in name order.
    fn visible_tools(&self) -> Vec<Tool> {
        let mut tools = self.shared.tools.list_all();
        if self.desk().admin_tools() {
            tools.extend(self.shared.admin_tools.list_all());
        }
        tools.sort_by(|left, right| left.name.cmp(&right.name));
        tools
    }

    /// The router that serves tool `name`, if the tool is listed right now.
    fn router_for(&self, name: &str) -> Option<&ToolRouter<Self>> {
        if self.shared.tools.has_route(name) {
            return Some(&self.shared.tools);
        }
        let admin = &self.shared.admin_tools;
        (self.desk().admin_tools() && admin.has_route(name)).then_some(admin)
    }
}

impl fmt::Debug for DemoServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoServer")
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

impl ServerHandler for DemoServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_prompts()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_resources_list_changed()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        let implementation = Implementation::new("warden-demo-upstream", env!("CARGO_PKG_VERSION"))
            .with_title("Warden demo ticket desk");

        ServerConfig::new(capabilities)
            .with_server_info(implementation)
            .with_instructions(INSTRUCTIONS)
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        *self.session.feed.lock().await = Some(self.desk().subscribe());

        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let cursor = request.as_ref().and_then(|r| r.cursor.as_deref());
        let page = paging::page(
            "tools",
            self.visible_tools(),
            self.options().page_size,
            cursor,
        )?;

        let mut result = ListToolsResult::with_all_items(page.items);
        result.next_cursor = page.next_cursor;
        Ok(result)
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.router_for(name)
            .and_then(|router| router.get(name))
            .cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.clone();
        let Some(router) = self.router_for(&name) else {
            tracing::info!(tool.name = %name, "call to an unlisted tool refused");
            let message = format!("no tool named `{name}`; call tools/list to see the tools");
            return Err(ErrorData::invalid_params(message, None));
        };

        tracing::debug!(tool.name = %name, "tool call");
        router
            .call(ToolCallContext::new(self, request, context))
            .await
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let cursor = request.as_ref().and_then(|r| r.cursor.as_deref());
        let page = paging::page("prompts", prompts::list(), self.options().page_size, cursor)?;

        let mut result = ListPromptsResult::with_all_items(page.items);
        result.next_cursor = page.next_cursor;
        Ok(result)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let arguments = request.arguments.as_ref();
        let result = prompts::get(self.desk(), &request.name, arguments).await?;
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let cursor = request.as_ref().and_then(|r| r.cursor.as_deref());
        let all = resources::list(self.desk()).await;
        let page = paging::page("resources", all, self.options().page_size, cursor)?;

        let mut result = ListResourcesResult::with_all_items(page.items);
        result.next_cursor = page.next_cursor;
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let result = resources::read(self.desk(), &request.uri).await?;
        Ok(result.into())
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        resources::check_exists(self.desk(), &request.uri).await?;

        tracing::debug!(resource.uri = %request.uri, "resource subscribed");
        self.session.subscriptions.add(request.uri).await;
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.session.subscriptions.remove(&request.uri).await;
        Ok(())
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        *self.session.log_level.lock().await = Some(request.level);
        Ok(())
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        if self.session.relay_started.swap(true, Ordering::AcqRel) {
            return;
        }

        let opened = self.session.feed.lock().await.take();
        let feed = opened.unwrap_or_else(|| self.desk().subscribe());
        relay_to_session(context.peer, self.session.subscriptions.clone(), feed);
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        self.session.stash_listen_feed(self.desk().subscribe());
        Some(requested.supported_by(&self.get_info().capabilities))
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let feed = self
            .session
            .take_listen_feed()
            .unwrap_or_else(|| self.desk().subscribe());
        relay_to_listener(context, feed).await
    }
}
