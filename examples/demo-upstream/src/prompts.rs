//! The desk's MCP prompts: `triage_ticket` and `daily_summary`.
//!
//! Prompts are templates a user picks in their client; the gateway relays them like
//! tools. One takes an argument and embeds the ticket as a resource, one takes none, so
//! both shapes of `prompts/get` are exercised.

use rmcp::ErrorData;
use rmcp::model::{
    ContentBlock, GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role,
};

use crate::desk::{Desk, Status, Ticket};
use crate::resources::ticket_contents;

const TRIAGE: &str = "triage_ticket";
const DAILY_SUMMARY: &str = "daily_summary";

/// Every prompt, in name order.
pub(crate) fn list() -> Vec<Prompt> {
    let id = PromptArgument::new("id")
        .with_description("The ticket number, as list_tickets shows it")
        .with_required(true);

    vec![
        Prompt::new(
            DAILY_SUMMARY,
            Some("Summarise the open tickets for today's stand-up"),
            None,
        )
        .with_title("Daily summary"),
        Prompt::new(
            TRIAGE,
            Some("Propose a priority, an owning team and a next step for one ticket"),
            Some(vec![id]),
        )
        .with_title("Triage a ticket"),
    ]
}

/// Fills in the prompt called `name`.
pub(crate) async fn get(
    desk: &Desk,
    name: &str,
    arguments: Option<&JsonObject>,
) -> Result<GetPromptResult, ErrorData> {
    match name {
        TRIAGE => {
            let id = ticket_id_argument(arguments)?;
            let ticket = desk
                .get(id)
                .await
                .map_err(|error| ErrorData::invalid_params(error.to_string(), None))?;
            triage(&ticket)
        }
        DAILY_SUMMARY => Ok(daily_summary(desk.list(Some(Status::Open)).await)),
        other => Err(ErrorData::invalid_params(
            format!("no prompt named `{other}`; this server has {DAILY_SUMMARY} and {TRIAGE}"),
            None,
        )),
    }
}

/// The triage prompt: instructions, then the ticket itself as an embedded resource.
fn triage(ticket: &Ticket) -> Result<GetPromptResult, ErrorData> {
    let instructions = format!(
        "Triage ticket {id} \"{title}\" (now {priority}). Propose a priority, the team that \
         should own it and the very next step. Be brief.",
        id = ticket.id,
        title = ticket.title,
        priority = ticket.priority.as_str(),
    );
    let attachment = ContentBlock::resource(ticket_contents(ticket)?);

    let messages = vec![
        PromptMessage::new_text(Role::User, instructions),
        PromptMessage::new(Role::User, attachment),
    ];
    Ok(GetPromptResult::new(messages).with_description(format!("Triage ticket {}", ticket.id)))
}

/// The stand-up prompt, most urgent tickets first.
fn daily_summary(mut open: Vec<Ticket>) -> GetPromptResult {
    open.sort_by(|left, right| {
        right
            .priority
            .cmp(&left.priority)
            .then(left.id.cmp(&right.id))
    });
    let lines: Vec<String> = open
        .iter()
        .map(|t| format!("- #{} [{}] {}", t.id, t.priority.as_str(), t.title))
        .collect();

    let text = format!(
        "Write a three-sentence stand-up summary of these {} open tickets, most urgent \
         first:\n{}",
        open.len(),
        lines.join("\n")
    );
    GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
        .with_description("Stand-up summary of the open tickets")
}

/// Reads the required `id` argument, which clients send as a string (or a number).
fn ticket_id_argument(arguments: Option<&JsonObject>) -> Result<u64, ErrorData> {
    let value = arguments.and_then(|arguments| arguments.get("id"));
    let id = match value {
        Some(serde_json::Value::String(text)) => text.trim().parse().ok(),
        Some(serde_json::Value::Number(number)) => number.as_u64(),
        _ => None,
    };

    id.ok_or_else(|| {
        ErrorData::invalid_params(
            format!("{TRIAGE} needs argument `id`, a ticket number such as \"1\""),
            None,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(id: serde_json::Value) -> JsonObject {
        let mut object = JsonObject::new();
        object.insert("id".to_owned(), id);
        object
    }

    #[tokio::test]
    async fn triage_prompt_names_the_ticket() {
        let desk = Desk::seeded();

        let result = get(&desk, TRIAGE, Some(&arguments("1".into()))).await;

        let text = result
            .ok()
            .and_then(|r| r.messages.first().cloned())
            .and_then(|m| m.content.as_text().map(|t| t.text.clone()));
        assert!(text.is_some_and(|t| t.contains("VPN drops every hour")));
    }

    #[tokio::test]
    async fn triage_prompt_without_id_explains_the_argument() {
        let desk = Desk::seeded();

        let error = get(&desk, TRIAGE, None).await.err();

        assert!(error.is_some_and(|e| e.message.contains("needs argument `id`")));
    }
}
