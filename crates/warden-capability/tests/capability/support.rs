//! Shared fixtures: a fresh key ring in a temporary directory and a grant.

use std::time::{Duration, SystemTime};

use tempfile::TempDir;
use warden_capability::{
    ArgConstraint, Biscuit, CallFacts, KeyRing, Scalar, TaskGrant, ToolPattern,
    mint_task_capability,
};

pub(crate) const AGENT: &str = "spiffe://example.org/agent/reviewer";
pub(crate) const TASK: &str = "task-1";

pub(crate) fn ring() -> (TempDir, KeyRing) {
    let dir = TempDir::new().unwrap();
    let ring = KeyRing::init(&dir.path().join("keys")).unwrap();
    (dir, ring)
}

pub(crate) fn in_an_hour() -> SystemTime {
    SystemTime::now() + Duration::from_secs(3600)
}

pub(crate) fn grant() -> TaskGrant {
    TaskGrant {
        task_id: TASK.into(),
        identity: AGENT.into(),
        tools: vec![
            ToolPattern::parse("fs.read_file").unwrap(),
            ToolPattern::parse("tickets.*").unwrap(),
        ],
        constraints: vec![ArgConstraint::Prefix {
            arg: "path".into(),
            prefix: "/srv/data/".into(),
        }],
        expires_at: in_an_hour(),
    }
}

pub(crate) fn mint(ring: &KeyRing, grant: &TaskGrant) -> Biscuit {
    mint_task_capability(ring, grant).unwrap()
}

pub(crate) fn call(tool: &str, args: &[(&str, Scalar)]) -> CallFacts {
    CallFacts {
        identity: AGENT.into(),
        task: TASK.into(),
        tool: tool.into(),
        call_id: "call-1".into(),
        args_digest: "ab12".into(),
        args: args
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        now: SystemTime::now(),
    }
}

pub(crate) fn text(value: &str) -> Scalar {
    Scalar::Str(value.into())
}
