//! Wall-clock time for task lifetimes, which tests can move on paused tokio
//! time.
//!
//! Expiry, capability checks and policy all need wall-clock instants
//! (`SystemTime`), which tokio's test clock does not move. A clock that
//! follows tokio counts wall time from one reading of both clocks, so a test
//! that advances paused time ages tasks and tokens alike.

use std::time::SystemTime;

use tokio::time::Instant;

/// The time source of the task step.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "only tests drive the clock from tokio's")
)]
pub(crate) enum Clock {
    /// The system clock.
    System,
    /// The wall time of `anchor`, moved on as tokio's clock moves.
    FollowingTokio { wall: SystemTime, anchor: Instant },
}

impl Clock {
    /// A clock that tokio's paused time drives, starting at the present.
    #[cfg(test)]
    pub(crate) fn following_tokio() -> Self {
        Self::FollowingTokio {
            wall: SystemTime::now(),
            anchor: Instant::now(),
        }
    }

    pub(crate) fn now(self) -> SystemTime {
        match self {
            Self::System => SystemTime::now(),
            Self::FollowingTokio { wall, anchor } => wall + anchor.elapsed(),
        }
    }
}
