//! Tests of warden-capability with real keys, real files and real tokens.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly when its own fixtures break"
)]

#[path = "capability/authorize.rs"]
mod authorize;
#[path = "capability/grant.rs"]
mod grant;
#[path = "capability/inspect.rs"]
mod inspect;
#[path = "capability/keyring.rs"]
mod keyring;
#[path = "capability/parse.rs"]
mod parse;
#[path = "capability/support.rs"]
mod support;
