//! Warden's durable state: tasks and revocations, behind the [`Store`] trait
//! so the backing database can change without touching its callers.
//!
//! Guarantees of [`SledStore`]:
//!
//! - a created task, every state transition and every revocation is flushed
//!   to disk before the call returns, so it survives a crash or `SIGKILL`;
//! - transitions are compare-and-set: of two concurrent approvals exactly one
//!   wins, the other gets [`StoreError::StateConflict`];
//! - the state machine is enforced: terminal states never change;
//! - counting a call is atomic and refuses inactive tasks and spent budgets;
//! - a record written by a newer format gives [`StoreError::UnsupportedFormat`];
//! - a database held by another process gives [`StoreError::Locked`].
//!
//! [`MemoryStore`] has the same semantics without durability, for unit tests
//! of callers. This crate knows nothing of MCP, HTTP or tokens.

mod error;
mod memory;
mod record;
mod sled_store;
mod store;

pub use error::StoreError;
pub use memory::MemoryStore;
pub use record::{TaskFilter, TaskRecord, TaskState, Transition, apply_call, apply_transition};
pub use sled_store::SledStore;
pub use store::Store;
