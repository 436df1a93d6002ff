//! A small "ticket desk" MCP server that Warden's quick start, end-to-end tests and
//! benchmark run as their upstream.
//!
//! It exists so the gateway can be exercised against a server that behaves like a real
//! one: tools that read and write shared state with honest annotations, structured and
//! binary results, prompts, resources with subscriptions, and tools that make the server
//! talk back to the client (progress, logging, sampling, elicitation, roots). With
//! [`DemoOptions::faults`] it also offers tools that crash, hang or change the tool list,
//! so failure handling can be tested on purpose.
//!
//! Everything lives in memory and starts from the same five tickets, so every run sees
//! the same desk. One process shares one desk between all of its sessions.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use warden_demo_upstream::{DemoOptions, serve_http};
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! serve_http(listener, DemoOptions::default().with_page_size(3)).await
//! # }
//! ```

mod ask;
mod chart;
mod desk;
mod events;
mod faults;
mod knowledge;
mod options;
mod paging;
mod prompts;
mod relay;
mod resources;
mod server;
mod tools;
mod transport;

pub use options::DemoOptions;
pub use server::DemoServer;
pub use transport::{serve_http, serve_stdio};
