//! Latency percentiles and throughput of one batch of timed calls.
//!
//! Percentiles use the nearest-rank method: the reported value is always one that was
//! measured, never an interpolation between two.

use std::time::Duration;

/// What one route did at one concurrency level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    /// Timed calls that completed.
    pub(crate) calls: usize,
    /// Median call latency.
    pub(crate) p50: Duration,
    /// 99th-percentile call latency.
    pub(crate) p99: Duration,
    /// Completed calls per second of wall-clock time, all clients together.
    pub(crate) throughput: f64,
}

impl Summary {
    /// Summarizes `latencies` measured over `wall` seconds; `None` when there are none.
    pub(crate) fn of(mut latencies: Vec<Duration>, wall: Duration) -> Option<Self> {
        latencies.sort_unstable();

        let p50 = percentile(&latencies, 50.0)?;
        let p99 = percentile(&latencies, 99.0)?;
        let seconds = wall.as_secs_f64();
        let throughput = if seconds > 0.0 {
            latencies.len() as f64 / seconds
        } else {
            0.0
        };

        Some(Self {
            calls: latencies.len(),
            p50,
            p99,
            throughput,
        })
    }
}

/// The nearest-rank `pct`-th percentile of `sorted` (ascending); `None` when it is empty.
///
/// The rank is `ceil(pct / 100 * n)`, clamped to `1..=n`, so 0 gives the minimum and 100
/// the maximum.
pub(crate) fn percentile(sorted: &[Duration], pct: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }

    let count = sorted.len();
    let rank = (pct / 100.0 * count as f64).ceil();
    let rank = if rank.is_nan() { 1 } else { rank as usize };
    let index = rank.clamp(1, count) - 1;
    sorted.get(index).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(values: impl IntoIterator<Item = u64>) -> Vec<Duration> {
        values.into_iter().map(Duration::from_micros).collect()
    }

    #[test]
    fn percentiles_of_one_to_a_hundred_are_their_ranks() {
        let sorted = micros(1..=100);

        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_micros(50)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_micros(99)));
        assert_eq!(percentile(&sorted, 100.0), Some(Duration::from_micros(100)));
        assert_eq!(percentile(&sorted, 0.0), Some(Duration::from_micros(1)));
    }

    #[test]
    fn a_percentile_between_ranks_rounds_up_to_a_measured_value() {
        let sorted = micros([10, 20, 30]);

        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_micros(20)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_micros(30)));
        assert_eq!(percentile(&sorted, 34.0), Some(Duration::from_micros(20)));
        assert_eq!(percentile(&sorted, 33.0), Some(Duration::from_micros(10)));
    }

    #[test]
    fn the_p99_of_a_thousand_calls_ignores_the_ten_slowest() {
        let mut sorted = micros(std::iter::repeat_n(100, 990));
        sorted.extend(micros(std::iter::repeat_n(9_000, 10)));

        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_micros(100)));
        assert_eq!(
            percentile(&sorted, 99.1),
            Some(Duration::from_micros(9_000))
        );
    }

    #[test]
    fn a_single_sample_is_every_percentile() {
        let sorted = micros([42]);

        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_micros(42)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_micros(42)));
    }

    #[test]
    fn no_samples_have_no_percentile() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(Summary::of(Vec::new(), Duration::from_secs(1)), None);
    }

    #[test]
    fn a_summary_sorts_its_samples_and_counts_calls_per_second() {
        let latencies = micros([300, 100, 200, 400]);

        let summary = Summary::of(latencies, Duration::from_millis(500));

        let expected = Summary {
            calls: 4,
            p50: Duration::from_micros(200),
            p99: Duration::from_micros(400),
            throughput: 8.0,
        };
        assert_eq!(summary, Some(expected));
    }
}
