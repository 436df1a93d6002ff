//! Shared harness of the end-to-end tests: starts the real `warden` binary on
//! loopback with a generated configuration, and connects real MCP clients.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]
#![allow(unreachable_pub, reason = "items are shared between test binaries")]
#![allow(
    unused_imports,
    reason = "each test binary uses a different part of the harness"
)]
#![allow(missing_docs, reason = "test support")]
#![allow(
    deprecated,
    reason = "the tests exercise legacy features the gateway relays"
)]

pub mod client;
pub mod credential_proxy;
pub mod credentials;
pub mod http;
pub mod process;
pub mod tasks;

use std::path::{Path, PathBuf};

pub use client::TestAgent;
pub use process::GatewayLaunch;

/// The `warden` binary under test.
pub fn warden_exe() -> &'static str {
    env!("CARGO_BIN_EXE_warden")
}

/// The workspace root, for fixtures installed by the test set-up script.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// An `[[upstream]]` table that runs the demo upstream from the warden binary
/// over stdio, with its fault tools on and its logs at info.
pub fn demo_upstream(name: &str, extra: &str) -> String {
    format!(
        "[[upstream]]\nname = \"{name}\"\ncommand = [\"{exe}\", \"dev\", \"demo-upstream\", \
         \"--faults\"]\nenv = {{ WARDEN_LOG = \"info\" }}\n{extra}\n",
        exe = warden_exe(),
    )
}

/// A program installed by `scripts/test-setup` under `tests/node`, or a clear
/// failure that says how to install it. Tests never skip for a missing tool.
pub fn node_bin(name: &str) -> PathBuf {
    let path = workspace_root()
        .join("tests/node/node_modules/.bin")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `scripts/test-setup` (or `scripts/test`) to install the pinned npm \
         packages",
        path.display()
    );
    path
}

/// The Python interpreter with the pinned `mcp` SDK, installed by
/// `scripts/test-setup`.
pub fn python() -> PathBuf {
    let path = workspace_root().join("target/test-venv/bin/python");
    assert!(
        path.exists(),
        "{} is missing: run `scripts/test-setup` (or `scripts/test`) to install the pinned Python \
         packages",
        path.display()
    );
    path
}
