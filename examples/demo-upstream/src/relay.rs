//! Tools that make the server talk back to the client while a call is running.
//!
//! A gateway has to carry more than requests and results: progress, cancellation, log
//! messages, and the server's own questions to the client (sampling, elicitation, roots).
//! Each tool here exercises one of those paths, so an end-to-end test can check that it
//! survives the trip through the gateway. See [`crate::ask`] for how questions are put on
//! each protocol revision.
#![expect(
    deprecated,
    reason = "sampling, roots and logging are deprecated in 2026-07-28"
)]

use std::time::Duration;

use rmcp::handler::server::tool::{InputResponses, RequestState};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResponse, CallToolResult, CreateMessageRequestParams, ElicitRequestParams,
    ElicitationAction, ElicitationSchema, LoggingLevel, LoggingMessageNotificationParam,
    ProgressNotificationParam, SamplingMessage,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::ask::{self, Asked, Round};
use crate::server::DemoServer;
use crate::tools::{TicketIdArgs, describe, text_result, tool_error};

/// The most steps `slow_count` takes.
const MAX_STEPS: u32 = 1_000;

/// The longest pause between `slow_count` steps, in milliseconds.
const MAX_DELAY_MS: u64 = 10_000;

/// The most tokens a summary may take.
const SUMMARY_MAX_TOKENS: u32 = 200;

/// What `summarize_ticket` says when the client's model sent no text block.
const NO_TEXT_IN_SAMPLE: &str =
    "the client's model answered without a text block; have the client return text";

/// Arguments of `slow_count`.
#[derive(Debug, Deserialize, JsonSchema)]
struct SlowCountArgs {
    /// How many steps to count, 1 to 1000.
    steps: u32,
    /// Pause before each step, in milliseconds (at most 10000).
    delay_ms: u64,
}

/// Severity of a `log_event` message, as MCP logging names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Level {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

/// Arguments of `log_event`.
#[derive(Debug, Deserialize, JsonSchema)]
struct LogEventArgs {
    /// Severity of the message.
    level: Level,
    /// The message to log.
    message: String,
}

/// The answer `confirm_delete` asks the user for.
#[derive(Debug, Deserialize)]
struct Confirmation {
    confirm: bool,
}

#[tool_router(router = relay_tools, vis = "pub(crate)")]
impl DemoServer {
    #[tool(
        name = "slow_count",
        description = "Count to `steps`, pausing `delay_ms` before each step and reporting \
                       progress after it. Stops early when the call is cancelled.",
        annotations(
            title = "Count slowly",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn slow_count(
        &self,
        Parameters(args): Parameters<SlowCountArgs>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        if !(1..=MAX_STEPS).contains(&args.steps) || args.delay_ms > MAX_DELAY_MS {
            return tool_error(format_args!(
                "steps must be 1 to {MAX_STEPS} and delay_ms at most {MAX_DELAY_MS}; \
                 got steps {} and delay_ms {}",
                args.steps, args.delay_ms
            ));
        }
        let token = context.meta.get_progress_token();
        let delay = Duration::from_millis(args.delay_ms);

        for step in 1..=args.steps {
            tokio::select! {
                () = context.ct.cancelled() => {
                    tracing::info!(count.step = step, "slow_count cancelled");
                    return tool_error(format_args!("cancelled before step {step}"));
                }
                () = tokio::time::sleep(delay) => {}
            }

            let Some(token) = token.clone() else {
                continue;
            };
            let progress = ProgressNotificationParam::new(token, f64::from(step))
                .with_total(f64::from(args.steps))
                .with_message(format!("step {step} of {}", args.steps));
            if let Err(error) = context.peer.notify_progress(progress).await {
                tracing::debug!(%error, "could not report progress");
            }
        }
        text_result(format!("Counted to {}.", args.steps))
    }

    #[tool(
        name = "log_event",
        description = "Send a message to the client's log (notifications/message), unless \
                       the client asked for a higher minimum level.",
        annotations(
            title = "Log an event",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn log_event(
        &self,
        Parameters(args): Parameters<LogEventArgs>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let level = logging_level(args.level);
        let minimum = *self.session().log_level.lock().await;
        if minimum.is_some_and(|minimum| args.level < level_of(minimum)) {
            return text_result("Not sent: below the log level the client set.");
        }

        let data = serde_json::Value::String(args.message);
        let message = LoggingMessageNotificationParam::new(level, data).with_logger("ticket-desk");
        match context.peer.notify_logging_message(message).await {
            Ok(()) => text_result("Logged."),
            Err(error) => tool_error(format_args!("could not send the log message: {error}")),
        }
    }

    #[tool(
        name = "summarize_ticket",
        description = "Ask the client's model (sampling) for a one-sentence summary of a ticket.",
        annotations(
            title = "Summarise a ticket",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn summarize_ticket(
        &self,
        Parameters(args): Parameters<TicketIdArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let ticket = match self.desk().get(args.id).await {
            Ok(ticket) => ticket,
            Err(error) => return tool_error(error).into(),
        };
        let prompt = format!(
            "Summarise this help-desk ticket in one sentence.\n\n{}",
            describe(&ticket)
        );
        let params = CreateMessageRequestParams::new(
            vec![SamplingMessage::user_text(prompt)],
            SUMMARY_MAX_TOKENS,
        )
        .with_system_prompt("You summarise help-desk tickets for a busy engineer.");

        let round = Round { responses, state };
        let reply = match ask::sample(&context, &round, params).await {
            Ok(Asked::Answered(reply)) => reply,
            Ok(Asked::InputRequired(input)) => return input.into(),
            Err(error) => return tool_error(error).into(),
        };
        let text = reply
            .message
            .content
            .iter()
            .find_map(|block| block.as_text());
        match text {
            Some(text) => text_result(text.text.clone()).into(),
            None => tool_error(NO_TEXT_IN_SAMPLE).into(),
        }
    }

    #[tool(
        name = "confirm_delete",
        description = "Ask the user (elicitation) to confirm, then delete the ticket only if \
                       they accept.",
        annotations(
            title = "Delete a ticket after confirmation",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn confirm_delete(
        &self,
        Parameters(args): Parameters<TicketIdArgs>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let ticket = match self.desk().get(args.id).await {
            Ok(ticket) => ticket,
            Err(error) => return Ok(tool_error(error).into()),
        };
        let form = confirmation_form(ticket.id, &ticket.title)?;

        let round = Round { responses, state };
        let reply = match ask::elicit(&context, &round, form).await {
            Ok(Asked::Answered(reply)) => reply,
            Ok(Asked::InputRequired(input)) => return Ok(input.into()),
            Err(error) => return Ok(tool_error(error).into()),
        };
        if !confirmed(reply.action, reply.content) {
            let kept = format!("Kept ticket {}: the user did not confirm.", ticket.id);
            return Ok(text_result(kept).into());
        }

        let result = match self.desk().delete(ticket.id).await {
            Ok(deleted) => {
                text_result(format!("Deleted ticket {}: {}.", deleted.id, deleted.title))
            }
            Err(error) => tool_error(error),
        };
        Ok(result.into())
    }

    #[tool(
        name = "list_client_roots",
        description = "Ask the client which roots (directories, repositories) it exposes.",
        annotations(
            title = "List the client's roots",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_client_roots(
        &self,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let round = Round { responses, state };
        let reply = match ask::list_roots(&context, &round).await {
            Ok(Asked::Answered(reply)) => reply,
            Ok(Asked::InputRequired(input)) => return input.into(),
            Err(error) => return tool_error(error).into(),
        };

        if reply.roots.is_empty() {
            return text_result("The client exposes no roots.").into();
        }
        let lines: Vec<String> = reply
            .roots
            .iter()
            .map(|root| match &root.name {
                Some(name) => format!("- {} ({name})", root.uri),
                None => format!("- {}", root.uri),
            })
            .collect();
        text_result(lines.join("\n")).into()
    }
}

/// The yes/no form `confirm_delete` shows the user.
fn confirmation_form(id: u64, title: &str) -> Result<ElicitRequestParams, ErrorData> {
    let schema = ElicitationSchema::builder()
        .required_bool("confirm")
        .description("Tick to delete the ticket for good")
        .build()
        .map_err(|error| {
            ErrorData::internal_error(format!("the confirmation form is invalid: {error}"), None)
        })?;

    Ok(ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: format!("Delete ticket {id} \"{title}\"? This cannot be undone."),
        requested_schema: schema,
    })
}

/// Whether the user accepted the form with `confirm` ticked.
fn confirmed(action: ElicitationAction, content: Option<serde_json::Value>) -> bool {
    let ticked = content
        .and_then(|content| serde_json::from_value::<Confirmation>(content).ok())
        .is_some_and(|answer| answer.confirm);
    action == ElicitationAction::Accept && ticked
}

/// The MCP logging level for a `log_event` level.
fn logging_level(level: Level) -> LoggingLevel {
    match level {
        Level::Debug => LoggingLevel::Debug,
        Level::Info => LoggingLevel::Info,
        Level::Notice => LoggingLevel::Notice,
        Level::Warning => LoggingLevel::Warning,
        Level::Error => LoggingLevel::Error,
        Level::Critical => LoggingLevel::Critical,
        Level::Alert => LoggingLevel::Alert,
        Level::Emergency => LoggingLevel::Emergency,
    }
}

/// The `log_event` level for an MCP logging level, to compare severities.
fn level_of(level: LoggingLevel) -> Level {
    match level {
        LoggingLevel::Debug => Level::Debug,
        LoggingLevel::Info => Level::Info,
        LoggingLevel::Notice => Level::Notice,
        LoggingLevel::Warning => Level::Warning,
        LoggingLevel::Error => Level::Error,
        LoggingLevel::Critical => Level::Critical,
        LoggingLevel::Alert => Level::Alert,
        LoggingLevel::Emergency => Level::Emergency,
    }
}
