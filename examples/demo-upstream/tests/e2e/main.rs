//! End-to-end tests: each starts the real `demo-upstream` binary and talks to it with an
//! rmcp client, over stdio and over Streamable HTTP, on the 2025 session protocol and on
//! 2026-07-28.
#![expect(
    deprecated,
    reason = "sampling, roots, logging and subscribe are the 2025 paths"
)]

mod faults;
mod http;
mod input_required;
mod stdio;
mod support;
