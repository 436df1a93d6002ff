//! The ticket desk: the in-memory state that every session of one process shares.
//!
//! A ticket created over one session is seen by all the others, and every change is
//! published as a [`DeskEvent`] so that each session can turn it into the MCP
//! notifications its client asked for. Inputs are bounded here, once, so no tool can
//! grow the desk without limit.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::{RwLock, broadcast};

use crate::events::DeskEvent;

/// The most tickets the desk holds at once.
const MAX_TICKETS: usize = 10_000;

/// The longest title, in characters.
const MAX_TITLE_CHARS: usize = 200;

/// The longest body or resolution, in characters.
const MAX_TEXT_CHARS: usize = 10_000;

/// Events kept for a session that falls behind before it starts missing some.
const EVENT_BUFFER: usize = 256;

/// How urgent a ticket is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Priority {
    /// Can wait for a quiet day.
    Low,
    /// The usual.
    Normal,
    /// Someone is blocked.
    High,
    /// Many people are blocked, or money or data is at risk.
    Urgent,
}

impl Priority {
    /// Every priority, from the least to the most urgent.
    pub(crate) const ALL: [Priority; 4] = [Self::Low, Self::Normal, Self::High, Self::Urgent];

    /// The lowercase name used on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }
}

/// Whether a ticket still needs work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// Still needs work.
    Open,
    /// Resolved; carries a resolution.
    Closed,
}

/// One ticket on the desk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Ticket {
    /// Desk-wide ticket number, never reused.
    pub(crate) id: u64,
    /// One-line summary.
    pub(crate) title: String,
    /// What the requester wrote.
    pub(crate) body: String,
    /// How urgent the ticket is.
    pub(crate) priority: Priority,
    /// Whether the ticket still needs work.
    pub(crate) status: Status,
    /// How the ticket was resolved; absent while it is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resolution: Option<String>,
}

/// A ticket as a client asks for it, before the desk numbers it.
#[derive(Debug, Clone)]
pub(crate) struct NewTicket {
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) priority: Priority,
}

/// Why the desk refused a request; each message names the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DeskError {
    #[error("ticket {0} does not exist; call list_tickets to see the ticket ids")]
    UnknownTicket(u64),
    #[error("ticket {0} is already closed; there is nothing left to close")]
    AlreadyClosed(u64),
    #[error("the ticket title is empty; give a one-line summary such as \"VPN drops hourly\"")]
    EmptyTitle,
    #[error("the ticket {field} is {actual} characters long; keep it within {limit}")]
    TooLong {
        field: &'static str,
        actual: usize,
        limit: usize,
    },
    #[error("the desk already holds {MAX_TICKETS} tickets; delete closed tickets first")]
    Full,
}

/// The tickets and the number the next one gets.
struct Book {
    tickets: BTreeMap<u64, Ticket>,
    next_id: u64,
}

/// The shared ticket desk, its fault switches and its change feed.
pub(crate) struct Desk {
    book: RwLock<Book>,
    admin_tools: AtomicBool,
    events: broadcast::Sender<DeskEvent>,
}

impl Desk {
    /// Creates a desk holding the same five tickets on every run.
    pub(crate) fn seeded() -> Self {
        let tickets: BTreeMap<u64, Ticket> = seed_tickets()
            .into_iter()
            .map(|ticket| (ticket.id, ticket))
            .collect();
        let next_id = tickets.keys().max().map_or(1, |id| id + 1);

        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Self {
            book: RwLock::new(Book { tickets, next_id }),
            admin_tools: AtomicBool::new(false),
            events,
        }
    }

    /// Starts receiving every change made from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<DeskEvent> {
        self.events.subscribe()
    }

    /// Returns the tickets in id order, only those with `status` when one is given.
    pub(crate) async fn list(&self, status: Option<Status>) -> Vec<Ticket> {
        let book = self.book.read().await;
        book.tickets
            .values()
            .filter(|ticket| status.is_none_or(|wanted| ticket.status == wanted))
            .cloned()
            .collect()
    }

    /// Returns one ticket.
    pub(crate) async fn get(&self, id: u64) -> Result<Ticket, DeskError> {
        let book = self.book.read().await;
        book.tickets
            .get(&id)
            .cloned()
            .ok_or(DeskError::UnknownTicket(id))
    }

    /// Files a new open ticket and returns it with its number.
    pub(crate) async fn create(&self, new: NewTicket) -> Result<Ticket, DeskError> {
        let title = new.title.trim().to_owned();
        if title.is_empty() {
            return Err(DeskError::EmptyTitle);
        }
        check_length("title", &title, MAX_TITLE_CHARS)?;
        check_length("body", &new.body, MAX_TEXT_CHARS)?;

        let mut book = self.book.write().await;
        if book.tickets.len() >= MAX_TICKETS {
            return Err(DeskError::Full);
        }
        let id = book.next_id;
        book.next_id += 1;
        let ticket = Ticket {
            id,
            title,
            body: new.body,
            priority: new.priority,
            status: Status::Open,
            resolution: None,
        };
        book.tickets.insert(id, ticket.clone());
        drop(book);

        self.publish(DeskEvent::Created(id));
        Ok(ticket)
    }

    /// Closes an open ticket with a resolution.
    pub(crate) async fn close(&self, id: u64, resolution: String) -> Result<Ticket, DeskError> {
        check_length("resolution", &resolution, MAX_TEXT_CHARS)?;

        let mut book = self.book.write().await;
        let ticket = book
            .tickets
            .get_mut(&id)
            .ok_or(DeskError::UnknownTicket(id))?;
        if ticket.status == Status::Closed {
            return Err(DeskError::AlreadyClosed(id));
        }
        ticket.status = Status::Closed;
        ticket.resolution = Some(resolution);
        let closed = ticket.clone();
        drop(book);

        self.publish(DeskEvent::Updated(id));
        Ok(closed)
    }

    /// Removes a ticket for good and returns what it was.
    pub(crate) async fn delete(&self, id: u64) -> Result<Ticket, DeskError> {
        let removed = self.book.write().await.tickets.remove(&id);
        let ticket = removed.ok_or(DeskError::UnknownTicket(id))?;

        self.publish(DeskEvent::Deleted(id));
        Ok(ticket)
    }

    /// Removes every ticket and returns how many there were.
    pub(crate) async fn purge(&self) -> usize {
        let removed = std::mem::take(&mut self.book.write().await.tickets);

        for id in removed.keys() {
            self.publish(DeskEvent::Deleted(*id));
        }
        removed.len()
    }

    /// Whether the extra admin tool (`purge_all`) is listed.
    pub(crate) fn admin_tools(&self) -> bool {
        self.admin_tools.load(Ordering::Acquire)
    }

    /// Lists the admin tool if it was hidden and hides it if it was listed; returns
    /// whether it is listed now.
    pub(crate) fn toggle_admin_tools(&self) -> bool {
        let was_listed = self.admin_tools.fetch_xor(true, Ordering::AcqRel);

        self.publish(DeskEvent::ToolsChanged);
        !was_listed
    }

    /// Tells every listening session about a change; nobody listening is fine.
    fn publish(&self, event: DeskEvent) {
        let listeners = self.events.send(event).unwrap_or(0);
        tracing::debug!(desk.event = ?event, desk.listeners = listeners, "desk changed");
    }
}

/// Refuses text longer than `limit` characters.
fn check_length(field: &'static str, text: &str, limit: usize) -> Result<(), DeskError> {
    let actual = text.chars().count();
    if actual > limit {
        return Err(DeskError::TooLong {
            field,
            actual,
            limit,
        });
    }
    Ok(())
}

/// The five tickets every run starts from.
fn seed_tickets() -> Vec<Ticket> {
    let open = |id, title: &str, body: &str, priority| Ticket {
        id,
        title: title.to_owned(),
        body: body.to_owned(),
        priority,
        status: Status::Open,
        resolution: None,
    };

    vec![
        open(
            1,
            "VPN drops every hour",
            "Remote staff lose the VPN tunnel about every 60 minutes and must reconnect.",
            Priority::High,
        ),
        open(
            2,
            "Printer on floor 3 jams on duplex",
            "Double-sided jobs jam after the first sheet; single-sided jobs print fine.",
            Priority::Low,
        ),
        open(
            3,
            "Reset MFA for a new contractor",
            "The contractor enrolled a lost phone and cannot sign in to the wiki.",
            Priority::Normal,
        ),
        open(
            4,
            "Payroll export fails for March",
            "The monthly export stops at 40% with a timeout; payroll is due on Friday.",
            Priority::Urgent,
        ),
        Ticket {
            resolution: Some("Battery replaced under warranty.".to_owned()),
            status: Status::Closed,
            ..open(
                5,
                "Laptop battery is swelling",
                "The trackpad no longer clicks and the case bulges near the hinge.",
                Priority::High,
            )
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_ticket(title: &str) -> NewTicket {
        NewTicket {
            title: title.to_owned(),
            body: "body".to_owned(),
            priority: Priority::Normal,
        }
    }

    #[tokio::test]
    async fn seeded_desk_has_four_open_and_one_closed_ticket() {
        let desk = Desk::seeded();

        assert_eq!(desk.list(Some(Status::Open)).await.len(), 4);
        assert_eq!(desk.list(Some(Status::Closed)).await.len(), 1);
    }

    #[tokio::test]
    async fn created_tickets_get_fresh_numbers_and_publish_an_event() {
        let desk = Desk::seeded();
        let mut events = desk.subscribe();

        let ticket = desk.create(new_ticket("Wi-Fi is slow")).await;

        assert_eq!(ticket.map(|t| t.id), Ok(6));
        assert_eq!(events.try_recv().ok(), Some(DeskEvent::Created(6)));
    }

    #[tokio::test]
    async fn blank_title_is_refused() {
        let desk = Desk::seeded();

        assert_eq!(
            desk.create(new_ticket("  ")).await,
            Err(DeskError::EmptyTitle)
        );
    }

    #[tokio::test]
    async fn closing_twice_is_refused_with_the_ticket_named() {
        let desk = Desk::seeded();

        let first = desk.close(1, "fixed".to_owned()).await;
        let second = desk.close(1, "fixed".to_owned()).await;

        assert!(first.is_ok());
        assert_eq!(second, Err(DeskError::AlreadyClosed(1)));
    }

    #[tokio::test]
    async fn deleted_ticket_is_gone_and_its_number_is_not_reused() {
        let desk = Desk::seeded();

        let deleted = desk.delete(4).await.map(|t| t.id);
        let created = desk.create(new_ticket("New")).await.map(|t| t.id);

        assert_eq!(deleted, Ok(4));
        assert_eq!(desk.get(4).await, Err(DeskError::UnknownTicket(4)));
        assert_eq!(created, Ok(6));
    }

    #[tokio::test]
    async fn toggling_admin_tools_flips_the_switch_and_announces_it() {
        let desk = Desk::seeded();
        let mut events = desk.subscribe();

        assert!(desk.toggle_admin_tools());
        assert!(!desk.toggle_admin_tools());
        assert_eq!(events.try_recv().ok(), Some(DeskEvent::ToolsChanged));
    }
}
