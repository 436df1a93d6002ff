//! The `[tasks]` and `[roles]` tables: how long access may last, and who may
//! act through the admin API.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use warden_identity::SpiffeId;

use super::{ConfigError, invalid};

/// The `[tasks]` table: lifetimes of tasks and of the tokens they mint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TasksConfig {
    /// Lifetime of a task that names no `ttl`.
    #[serde(with = "humantime_serde")]
    pub default_ttl: Duration,
    /// The longest lifetime a task may ask for.
    #[serde(with = "humantime_serde")]
    pub max_ttl: Duration,
    /// How long a task may wait for an approver before it expires.
    #[serde(with = "humantime_serde")]
    pub pending_ttl: Duration,
    /// Lifetime of the token minted for one call: long enough for the call
    /// to be authorized and forwarded, too short to be worth stealing.
    #[serde(with = "humantime_serde")]
    pub call_token_ttl: Duration,
    /// The largest call budget a task may ask for; none when absent.
    pub max_budget: Option<u64>,
}

impl Default for TasksConfig {
    fn default() -> Self {
        Self {
            default_ttl: Duration::from_secs(15 * 60),
            max_ttl: Duration::from_secs(8 * 60 * 60),
            pending_ttl: Duration::from_secs(60 * 60),
            call_token_ttl: Duration::from_secs(30),
            max_budget: None,
        }
    }
}

impl TasksConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("tasks.default_ttl", self.default_ttl),
            ("tasks.max_ttl", self.max_ttl),
            ("tasks.pending_ttl", self.pending_ttl),
            ("tasks.call_token_ttl", self.call_token_ttl),
        ] {
            if value < Duration::from_secs(1) {
                return Err(invalid(format!("{key} must be at least one second")));
            }
        }

        if self.default_ttl > self.max_ttl {
            return Err(invalid(format!(
                "tasks.default_ttl ({}) is longer than tasks.max_ttl ({}): shorten it or raise \
                 the maximum",
                humantime::format_duration(self.default_ttl),
                humantime::format_duration(self.max_ttl),
            )));
        }

        if self.max_budget == Some(0) {
            return Err(invalid("tasks.max_budget must be at least 1, or absent"));
        }
        Ok(())
    }
}

/// The `[roles]` table: role name to the SPIFFE IDs that hold it.
///
/// `approver` decides pending tasks (a policy may name other approver roles),
/// `platform` creates tasks for pipelines and revokes them, `auditor` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Roles(BTreeMap<String, Vec<String>>);

impl Roles {
    /// Tells whether `identity` holds `role`.
    pub fn holds(&self, identity: &SpiffeId, role: &str) -> bool {
        let identity = identity.to_string();
        self.0
            .get(role)
            .is_some_and(|members| members.contains(&identity))
    }

    /// The roles `identity` holds, in name order.
    pub fn of(&self, identity: &SpiffeId) -> Vec<&str> {
        self.0
            .keys()
            .filter(|role| self.holds(identity, role))
            .map(String::as_str)
            .collect()
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (role, members) in &self.0 {
            for member in members {
                if let Err(error) = member.parse::<SpiffeId>() {
                    return Err(invalid(format!(
                        "roles.{role}: `{member}` is not a SPIFFE ID ({error}); write it like \
                         spiffe://example.org/human/alice"
                    )));
                }
            }
        }
        Ok(())
    }
}
