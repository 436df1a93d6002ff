//! The desk's everyday tools: reading, searching and changing tickets.
//!
//! Each tool carries honest annotations, because the gateway's policies read them
//! (`annotation($tool, "destructive")`): the read-only tools touch nothing, the write
//! tools say whether they destroy and whether repeating them changes anything more. None
//! reaches beyond the desk, so none is open-world. A tool that cannot do what was asked
//! answers with an `isError` result whose text a model can act on.

use std::fmt::Display;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Resource};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::chart::{Bar, bar_chart_png};
use crate::desk::{NewTicket, Priority, Status, Ticket};
use crate::knowledge::{self, MAX_QUERY_CHARS};
use crate::resources::{ticket_contents, ticket_uri};
use crate::server::DemoServer;

/// Arguments of `list_tickets`.
#[derive(Debug, Deserialize, JsonSchema)]
struct ListTicketsArgs {
    /// Only tickets with this status; every ticket when absent.
    #[serde(default)]
    status: Option<Status>,
}

/// Arguments of the tools that name one ticket.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct TicketIdArgs {
    /// The ticket number, as list_tickets shows it.
    pub(crate) id: u64,
}

/// Arguments of `search_docs`.
#[derive(Debug, Deserialize, JsonSchema)]
struct SearchDocsArgs {
    /// Words to look for in the knowledge base, such as "vpn disconnect".
    query: String,
}

/// Arguments of `echo`.
#[derive(Debug, Deserialize, JsonSchema)]
struct EchoArgs {
    /// The text to send back unchanged.
    text: String,
}

/// Arguments of `render_chart`.
#[derive(Debug, Deserialize, JsonSchema)]
struct RenderChartArgs {
    /// The ticket whose priority the chart highlights.
    ticket_id: u64,
}

/// Arguments of `create_ticket`.
#[derive(Debug, Deserialize, JsonSchema)]
struct CreateTicketArgs {
    /// One-line summary, at most 200 characters.
    title: String,
    /// What is wrong and who is affected.
    body: String,
    /// How urgent the ticket is; `normal` when absent.
    #[serde(default = "normal_priority")]
    priority: Priority,
}

/// Arguments of `close_ticket`.
#[derive(Debug, Deserialize, JsonSchema)]
struct CloseTicketArgs {
    /// The ticket number, as list_tickets shows it.
    id: u64,
    /// How the problem was solved.
    resolution: String,
}

/// The structured result of `list_tickets`.
#[derive(Debug, Serialize, JsonSchema)]
struct TicketList {
    /// The matching tickets, in id order.
    tickets: Vec<Ticket>,
}

fn normal_priority() -> Priority {
    Priority::Normal
}

#[tool_router(router = desk_tools, vis = "pub(crate)")]
impl DemoServer {
    #[tool(
        name = "list_tickets",
        description = "List help-desk tickets in id order, optionally only open or closed ones.",
        output_schema = schema_for_output::<TicketList>(),
        annotations(
            title = "List tickets",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_tickets(
        &self,
        Parameters(args): Parameters<ListTicketsArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let tickets = self.desk().list(args.status).await;

        let value = serde_json::to_value(TicketList { tickets }).map_err(|error| {
            ErrorData::internal_error(format!("could not encode the ticket list: {error}"), None)
        })?;
        Ok(CallToolResult::structured(value))
    }

    #[tool(
        name = "get_ticket",
        description = "Show one ticket: title, priority, status, body and resolution.",
        annotations(
            title = "Get a ticket",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn get_ticket(&self, Parameters(args): Parameters<TicketIdArgs>) -> CallToolResult {
        match self.desk().get(args.id).await {
            Ok(ticket) => text_result(describe(&ticket)),
            Err(error) => tool_error(error),
        }
    }

    #[tool(
        name = "search_docs",
        description = "Search the help-desk knowledge base; returns matching articles.",
        annotations(
            title = "Search the knowledge base",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn search_docs(&self, Parameters(args): Parameters<SearchDocsArgs>) -> CallToolResult {
        let length = args.query.chars().count();
        if args.query.trim().is_empty() || length > MAX_QUERY_CHARS {
            return tool_error(format_args!(
                "the query must hold 1 to {MAX_QUERY_CHARS} characters, it holds {length}; \
                 pass a few words such as \"vpn disconnect\""
            ));
        }

        let articles = knowledge::search(&args.query);
        if articles.is_empty() {
            return text_result(format!("No article matches \"{}\".", args.query));
        }
        let lines: Vec<String> = articles
            .iter()
            .map(|a| format!("- {} (kb://{})\n  {}", a.title, a.slug, a.body))
            .collect();
        text_result(lines.join("\n"))
    }

    #[tool(
        name = "echo",
        description = "Return the given text unchanged.",
        annotations(
            title = "Echo",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn echo(&self, Parameters(args): Parameters<EchoArgs>) -> CallToolResult {
        text_result(args.text)
    }

    #[tool(
        name = "render_chart",
        description = "Draw open tickets per priority as a PNG bar chart, highlighting the \
                       given ticket's priority.",
        annotations(
            title = "Render a priority chart",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn render_chart(&self, Parameters(args): Parameters<RenderChartArgs>) -> CallToolResult {
        let ticket = match self.desk().get(args.ticket_id).await {
            Ok(ticket) => ticket,
            Err(error) => return tool_error(error),
        };
        let open = self.desk().list(Some(Status::Open)).await;

        let bars: Vec<Bar> = Priority::ALL
            .iter()
            .map(|priority| Bar {
                value: open.iter().filter(|t| t.priority == *priority).count(),
                highlighted: *priority == ticket.priority,
            })
            .collect();
        let png = STANDARD.encode(bar_chart_png(&bars));

        let caption = format!(
            "Open tickets per priority (low, normal, high, urgent); ticket {} is {}.",
            ticket.id,
            ticket.priority.as_str()
        );
        CallToolResult::success(vec![
            ContentBlock::text(caption),
            ContentBlock::image(png, "image/png"),
        ])
    }

    #[tool(
        name = "ticket_link",
        description = "Return a link to a ticket's resource (tickets://{id}) and the ticket \
                       itself as an embedded resource.",
        annotations(
            title = "Link to a ticket",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn ticket_link(
        &self,
        Parameters(args): Parameters<TicketIdArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let ticket = match self.desk().get(args.id).await {
            Ok(ticket) => ticket,
            Err(error) => return Ok(tool_error(error)),
        };

        let link = Resource::new(ticket_uri(ticket.id), format!("ticket_{}", ticket.id))
            .with_title(ticket.title.clone())
            .with_mime_type("application/json");
        Ok(CallToolResult::success(vec![
            ContentBlock::resource_link(link),
            ContentBlock::resource(ticket_contents(&ticket)?),
        ]))
    }

    #[tool(
        name = "create_ticket",
        description = "File a new open ticket; returns its number.",
        annotations(
            title = "Create a ticket",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn create_ticket(
        &self,
        Parameters(args): Parameters<CreateTicketArgs>,
    ) -> CallToolResult {
        let new = NewTicket {
            title: args.title,
            body: args.body,
            priority: args.priority,
        };

        match self.desk().create(new).await {
            Ok(ticket) => {
                tracing::info!(ticket.id = ticket.id, "ticket created");
                text_result(format!(
                    "Created ticket {}.\n{}",
                    ticket.id,
                    describe(&ticket)
                ))
            }
            Err(error) => tool_error(error),
        }
    }

    #[tool(
        name = "close_ticket",
        description = "Close an open ticket with a resolution. It cannot be reopened.",
        annotations(
            title = "Close a ticket",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn close_ticket(&self, Parameters(args): Parameters<CloseTicketArgs>) -> CallToolResult {
        match self.desk().close(args.id, args.resolution).await {
            Ok(ticket) => {
                tracing::info!(ticket.id = ticket.id, "ticket closed");
                text_result(format!("Closed ticket {}.", ticket.id))
            }
            Err(error) => tool_error(error),
        }
    }

    #[tool(
        name = "delete_ticket",
        description = "Delete a ticket for good. Its number is never reused.",
        annotations(
            title = "Delete a ticket",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn delete_ticket(&self, Parameters(args): Parameters<TicketIdArgs>) -> CallToolResult {
        match self.desk().delete(args.id).await {
            Ok(ticket) => {
                tracing::info!(ticket.id = ticket.id, "ticket deleted");
                text_result(format!("Deleted ticket {}: {}.", ticket.id, ticket.title))
            }
            Err(error) => tool_error(error),
        }
    }
}

/// A ticket as a few lines of text.
pub(crate) fn describe(ticket: &Ticket) -> String {
    let status = match ticket.status {
        Status::Open => "open",
        Status::Closed => "closed",
    };
    let mut text = format!(
        "Ticket {} [{}, {status}]: {}\n{}",
        ticket.id,
        ticket.priority.as_str(),
        ticket.title,
        ticket.body
    );
    if let Some(resolution) = &ticket.resolution {
        text.push_str(&format!("\nResolution: {resolution}"));
    }
    text
}

/// A successful result holding one text block.
pub(crate) fn text_result(text: impl Into<String>) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text)])
}

/// An `isError` result whose text tells the model what went wrong and what to do.
pub(crate) fn tool_error(message: impl Display) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.to_string())])
}
