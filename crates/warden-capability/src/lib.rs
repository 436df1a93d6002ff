//! Warden's capabilities: Biscuit tokens that grant one task, bound to one
//! workload identity, and call tokens attenuated from them for one call.
//!
//! Guarantees:
//!
//! - Tokens are signed by an Ed25519 root key of a [`KeyRing`]; each token
//!   carries its root key id, and [`parse`] verifies it with exactly that key.
//!   Garbage, truncated, forged and foreign tokens give specific errors.
//! - A task capability allows only its granted tools, only arguments within
//!   its constraints (a constraint on an absent argument fails), only before
//!   its expiry, and only for the identity and task it was minted for.
//! - A call token ([`attenuate_for_call`]) can do no more than its
//!   capability, and only the one call it names.
//! - [`authorize`] runs every check of an already-verified token under fixed
//!   Datalog limits, and on refusal reports every failed check.
//! - Client-controlled values are always Datalog parameters, never source.
//!
//! Revocation ids are computed here ([`revocation_ids`]) but checked by the
//! caller, against its store; this crate knows nothing of MCP or HTTP.

mod authorize;
mod error;
mod facts;
mod grant;
mod inspect;
mod keyring;
mod mint;
mod params;
mod token;

pub use authorize::{Authorized, CallFacts, authorize};
pub use biscuit_auth::Biscuit;
pub use error::CapabilityError;
pub use grant::{ArgConstraint, Scalar, TaskGrant, ToolPattern};
pub use inspect::{BlockInspection, Inspection, SignatureStatus, inspect};
pub use keyring::{KeyRing, RootKeyInfo, kid};
pub use mint::{CallScope, CallSigner, attenuate_for_call, mint_task_capability};
pub use token::{args_digest, parse, revocation_ids, to_base64};
