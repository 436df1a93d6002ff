//! The audit log end to end: the real gateway records what agents do, and
//! `warden audit` verifies, shows and replays it offline; tampering, a
//! `kill -9` under load and a policy change are each caught.

#[path = "../support/mod.rs"]
mod support;

mod crash;
mod query;
mod replay;
mod tamper;

use std::path::PathBuf;
use std::process::Output;

use support::process::Gateway;

/// Runs `warden audit ARGS` and returns its output.
pub(crate) fn warden_audit(args: &[&str]) -> Output {
    std::process::Command::new(support::warden_exe())
        .arg("audit")
        .args(args)
        .output()
        .expect("run warden audit")
}

/// `--config` of the gateway, for the offline commands.
pub(crate) fn config_of(gateway: &Gateway) -> String {
    gateway.config.display().to_string()
}

/// The gateway's log file.
pub(crate) fn log_of(gateway: &Gateway) -> PathBuf {
    gateway
        .config
        .parent()
        .map(|dir| dir.join("data/audit/audit.jsonl"))
        .unwrap_or_default()
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The log's records as JSON values, one per line.
pub(crate) fn records(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("read the audit log")
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}
