//! Bounds on one policy evaluation, so that no rule can make a decision slow
//! or unbounded.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::PolicyError;

/// The bounds every evaluation runs under; a request that reaches one is denied
/// with a reason naming it.
///
/// The defaults hold for the default policy set with a wide margin: a request
/// holds about 15 facts, the set derives a handful more in 2 rounds, and a
/// decision takes tens of microseconds. The fact and iteration bounds are what
/// keep a runaway rule small; the time bound is a backstop measured in
/// wall-clock time, which a loaded host's scheduling delays count against, so
/// it is set far above any honest evaluation (a 10 ms bound denied legitimate
/// calls at 32 concurrent agents on 2 cores). In `warden.toml` it is written as
/// `max_time = "100ms"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvalLimits {
    /// The most facts the request, the policies and their rules may hold together.
    pub max_facts: u64,
    /// The most rounds of rule application.
    pub max_iterations: u64,
    /// The most time one evaluation may take.
    #[serde(with = "humantime_serde")]
    pub max_time: Duration,
}

impl Default for EvalLimits {
    fn default() -> Self {
        Self {
            max_facts: 1000,
            max_iterations: 100,
            max_time: Duration::from_millis(100),
        }
    }
}

impl EvalLimits {
    /// Refuses limits under which no evaluation could finish.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let problem = if self.max_facts == 0 {
            "max_facts must be at least 1"
        } else if self.max_iterations == 0 {
            "max_iterations must be at least 1"
        } else if self.max_time.is_zero() {
            "max_time must be longer than zero, such as \"100ms\""
        } else {
            return Ok(());
        };
        Err(PolicyError::Limits {
            message: problem.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_from_toml_with_humantime_durations_and_defaults() {
        let limits: EvalLimits = toml::from_str("max_time = \"20ms\"\nmax_facts = 50")
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(limits.max_time, Duration::from_millis(20));
        assert_eq!(limits.max_facts, 50);
        assert_eq!(limits.max_iterations, EvalLimits::default().max_iterations);
    }

    #[test]
    fn limits_refuse_unknown_keys() {
        let result: Result<EvalLimits, _> = toml::from_str("max_fact = 5");
        assert!(result.is_err());
    }

    #[test]
    fn zero_limits_are_refused() {
        let limits = EvalLimits {
            max_facts: 0,
            ..EvalLimits::default()
        };
        assert!(matches!(limits.validate(), Err(PolicyError::Limits { .. })));
    }
}
