//! The desk's MCP resources: `tickets://open` and one `tickets://{id}` per ticket.
//!
//! Resources let a client read desk state without calling a tool, and subscribe to it.
//! Every ticket is listed as its own resource (so `resources/list` changes as tickets come
//! and go, and has enough items to page), and the `tickets://{id}` template tells clients
//! how to name one directly. All contents are JSON text.

use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

use crate::desk::{Desk, Status, Ticket};

/// The resource holding every open ticket.
pub(crate) const OPEN_TICKETS_URI: &str = "tickets://open";

/// The template naming one ticket.
const TICKET_URI_TEMPLATE: &str = "tickets://{id}";

const SCHEME: &str = "tickets://";
const JSON: &str = "application/json";

/// What a `tickets://` URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    OpenTickets,
    Ticket(u64),
}

/// The URI naming ticket `id`.
pub(crate) fn ticket_uri(id: u64) -> String {
    format!("{SCHEME}{id}")
}

/// Every concrete resource: the open-ticket list first, then each ticket in id order.
pub(crate) async fn list(desk: &Desk) -> Vec<Resource> {
    let open = Resource::new(OPEN_TICKETS_URI, "open_tickets")
        .with_title("Open tickets")
        .with_description("Every ticket that still needs work, as a JSON array")
        .with_mime_type(JSON);

    let tickets = desk.list(None).await.into_iter().map(|ticket| {
        Resource::new(ticket_uri(ticket.id), format!("ticket_{}", ticket.id))
            .with_title(format!("Ticket {}: {}", ticket.id, ticket.title))
            .with_mime_type(JSON)
    });
    std::iter::once(open).chain(tickets).collect()
}

/// The resource templates: one, naming a ticket by id.
pub(crate) fn templates() -> Vec<ResourceTemplate> {
    let ticket = ResourceTemplate::new(TICKET_URI_TEMPLATE, "ticket")
        .with_title("Ticket by id")
        .with_description("One ticket as a JSON object; ids come from list_tickets")
        .with_mime_type(JSON);
    vec![ticket]
}

/// Reads `uri` from the desk.
pub(crate) async fn read(desk: &Desk, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let json = match parse(uri)? {
        Target::OpenTickets => to_json(&desk.list(Some(Status::Open)).await)?,
        Target::Ticket(id) => to_json(&find(desk, uri, id).await?)?,
    };

    let contents = ResourceContents::text(json, uri).with_mime_type(JSON);
    Ok(ReadResourceResult::new(vec![contents]))
}

/// Refuses URIs that name nothing on the desk, so subscriptions are only to real things.
pub(crate) async fn check_exists(desk: &Desk, uri: &str) -> Result<(), ErrorData> {
    match parse(uri)? {
        Target::OpenTickets => Ok(()),
        Target::Ticket(id) => find(desk, uri, id).await.map(|_| ()),
    }
}

/// A ticket's resource contents, for embedding in a tool result.
pub(crate) fn ticket_contents(ticket: &Ticket) -> Result<ResourceContents, ErrorData> {
    let json = to_json(ticket)?;
    Ok(ResourceContents::text(json, ticket_uri(ticket.id)).with_mime_type(JSON))
}

/// Reads a `tickets://` URI.
fn parse(uri: &str) -> Result<Target, ErrorData> {
    let target = match uri.strip_prefix(SCHEME) {
        Some("open") => Some(Target::OpenTickets),
        Some(id) => id.parse().ok().map(Target::Ticket),
        None => None,
    };

    target.ok_or_else(|| {
        let message = format!(
            "no resource at `{uri}`; this server serves {OPEN_TICKETS_URI} and \
             {TICKET_URI_TEMPLATE} with a numeric id"
        );
        ErrorData::resource_not_found(message, None)
    })
}

/// Finds the ticket a URI names, or says it is gone.
async fn find(desk: &Desk, uri: &str, id: u64) -> Result<Ticket, ErrorData> {
    desk.get(id).await.map_err(|error| {
        ErrorData::resource_not_found(format!("no resource at `{uri}`: {error}"), None)
    })
}

/// Pretty JSON for a resource body.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ErrorData> {
    serde_json::to_string_pretty(value).map_err(|error| {
        ErrorData::internal_error(
            format!("could not encode the resource as JSON: {error}"),
            None,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_the_open_list_or_a_numbered_ticket() {
        assert_eq!(parse("tickets://open").ok(), Some(Target::OpenTickets));
        assert_eq!(parse("tickets://12").ok(), Some(Target::Ticket(12)));
        assert!(parse("tickets://twelve").is_err());
        assert!(parse("file:///etc/passwd").is_err());
    }

    #[tokio::test]
    async fn listing_names_the_open_list_then_every_ticket() {
        let desk = Desk::seeded();

        let uris: Vec<String> = list(&desk).await.into_iter().map(|r| r.uri).collect();

        assert_eq!(uris.first().map(String::as_str), Some(OPEN_TICKETS_URI));
        assert_eq!(uris.len(), 6);
    }
}
