//! The plain-text report: a table per concurrency level, Warden's overhead against the
//! bare hop's with the aims beside it, and Warden's memory.
//!
//! Everything here is pure formatting over figures already measured.

use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::memory::MemoryFigures;
use crate::routes::Route;
use crate::stats::Summary;

/// Warden should add at most this many times the latency the bare hop adds.
pub(crate) const MAX_OVERHEAD_RATIO: f64 = 1.5;

/// Warden should keep at least this share (percent) of the bare hop's throughput.
pub(crate) const MIN_THROUGHPUT_PERCENT: f64 = 80.0;

/// Warden should stay under this resident size with all the sessions open.
pub(crate) const MAX_RESIDENT_BYTES: u64 = 100 * 1024 * 1024;

/// How the run was set up, for the report's header.
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    /// Untimed calls per client and route.
    pub(crate) warmup: u32,
    /// Timed calls per client and route.
    pub(crate) calls: u32,
    /// Rounds the timed calls were spread over.
    pub(crate) rounds: u32,
    /// Whether the client and the hop reused TCP connections.
    pub(crate) reuse_connections: bool,
    /// Where the bearer token came from, if one was sent.
    pub(crate) bearer_source: Option<String>,
    /// Where the extra Warden configuration came from, if any.
    pub(crate) extra_config_source: Option<String>,
}

/// The figures of one concurrency level, one summary per route in [`Route::ALL`] order.
#[derive(Debug, Clone)]
pub(crate) struct Level {
    /// Clients calling at once on each route.
    pub(crate) concurrency: usize,
    /// Indexed by [`Route::index`].
    pub(crate) summaries: [Summary; 3],
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// How the run was set up.
    pub(crate) setup: Setup,
    /// One entry per concurrency level, in the order they ran.
    pub(crate) levels: Vec<Level>,
    /// Warden's memory around the open sessions.
    pub(crate) memory: MemoryFigures,
}

/// Renders the whole report.
pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    // Writing into a `String` cannot fail.
    let _ = write_report(&mut out, report);
    out
}

fn write_report(out: &mut String, report: &Report) -> fmt::Result {
    header(out, &report.setup)?;
    for level in &report.levels {
        latency_table(out, level)?;
        overhead_table(out, level)?;
    }
    memory_table(out, &report.memory)
}

fn header(out: &mut String, setup: &Setup) -> fmt::Result {
    let bearer = setup.bearer_source.as_deref().unwrap_or("none");
    let extra = setup.extra_config_source.as_deref().unwrap_or("none");
    let connections = if setup.reuse_connections {
        "reused (a pool per client session; the hop pools to the upstream)"
    } else {
        "a new one per request (client and hop)"
    };

    writeln!(
        out,
        "warden-bench: tools/call `echo` over MCP Streamable HTTP on 127.0.0.1"
    )?;
    writeln!(
        out,
        "per client and path: {} warm-up calls, then {} timed calls over {} round(s)",
        setup.warmup, setup.calls, setup.rounds
    )?;
    writeln!(out, "tcp connections: {connections}")?;
    writeln!(
        out,
        "bearer token: {bearer}; extra warden configuration: {extra}"
    )
}

fn latency_table(out: &mut String, level: &Level) -> fmt::Result {
    let noun = if level.concurrency == 1 {
        "session"
    } else {
        "sessions"
    };

    writeln!(
        out,
        "\nconcurrency {0} ({0} {noun} per path)",
        level.concurrency
    )?;
    writeln!(
        out,
        "{:<20}{:>10}{:>10}{:>12}",
        "path", "p50 ms", "p99 ms", "calls/s"
    )?;
    for route in Route::ALL {
        let summary = &level.summaries[route.index()];
        writeln!(
            out,
            "{:<20}{:>10}{:>10}{:>12.0}",
            route.label(),
            millis(summary.p50),
            millis(summary.p99),
            summary.throughput
        )?;
    }
    Ok(())
}

fn overhead_table(out: &mut String, level: &Level) -> fmt::Result {
    let [direct, hop, warden] = &level.summaries;
    let hop_added = [
        added_micros(hop.p50, direct.p50),
        added_micros(hop.p99, direct.p99),
    ];
    let warden_added = [
        added_micros(warden.p50, direct.p50),
        added_micros(warden.p99, direct.p99),
    ];
    let ratios = [
        overhead_ratio(warden_added[0], hop_added[0]),
        overhead_ratio(warden_added[1], hop_added[1]),
    ];
    let share = throughput_percent(warden.throughput, hop.throughput);

    writeln!(
        out,
        "\n{:<20}{:>10}{:>10}",
        "added over direct", "p50 ms", "p99 ms"
    )?;
    for (route, added) in [(Route::Hop, hop_added), (Route::Warden, warden_added)] {
        let [p50, p99] = added.map(signed_millis);
        writeln!(out, "{:<20}{p50:>10}{p99:>10}", route.label())?;
    }
    writeln!(
        out,
        "{:<20}{:>10}{:>10}    aim <= {MAX_OVERHEAD_RATIO:.2}x: p50 {}, p99 {}",
        "warden / bare hop",
        ratio_cell(ratios[0]),
        ratio_cell(ratios[1]),
        aim_at_most(ratios[0], MAX_OVERHEAD_RATIO),
        aim_at_most(ratios[1], MAX_OVERHEAD_RATIO)
    )?;
    writeln!(
        out,
        "{:<20}{:>10} of the bare hop's    aim >= {MIN_THROUGHPUT_PERCENT:.0}%: {}",
        "warden throughput",
        percent_cell(share),
        aim_at_least(share, MIN_THROUGHPUT_PERCENT)
    )
}

fn memory_table(out: &mut String, memory: &MemoryFigures) -> fmt::Result {
    let grown = memory.with_sessions.saturating_sub(memory.before);
    let per_session = grown / memory.sessions.max(1) as u64;
    let verdict = if memory.with_sessions < MAX_RESIDENT_BYTES {
        "met"
    } else {
        "missed"
    };
    let with_label = format!("with {} sessions", memory.sessions);
    let limit = MAX_RESIDENT_BYTES / (1024 * 1024);

    writeln!(out, "\nmemory: warden resident set (VmRSS)")?;
    writeln!(
        out,
        "{:<24}{:>12}",
        "before sessions",
        mebibytes(memory.before)
    )?;
    writeln!(
        out,
        "{with_label:<24}{:>12}    aim < {limit} MiB: {verdict}",
        mebibytes(memory.with_sessions)
    )?;
    writeln!(out, "{:<24}{:>12}", "per session", kibibytes(per_session))?;
    writeln!(
        out,
        "{:<24}{:>12}",
        "after closing them",
        mebibytes(memory.after)
    )
}

/// How much slower `measured` is than `baseline`, in microseconds (negative if faster).
pub(crate) fn added_micros(measured: Duration, baseline: Duration) -> f64 {
    let nanos = measured.as_nanos() as i128 - baseline.as_nanos() as i128;
    nanos as f64 / 1e3
}

/// Warden's added latency as a multiple of the hop's; `None` when the hop adds nothing
/// measurable, since no multiple of nothing means anything.
pub(crate) fn overhead_ratio(warden_added: f64, hop_added: f64) -> Option<f64> {
    (hop_added > 0.0).then(|| warden_added / hop_added)
}

/// Warden's throughput as a percentage of the hop's; `None` when the hop's is zero.
pub(crate) fn throughput_percent(warden: f64, hop: f64) -> Option<f64> {
    (hop > 0.0).then(|| warden / hop * 100.0)
}

/// Whether `value` stays at or below `limit`.
pub(crate) fn aim_at_most(value: Option<f64>, limit: f64) -> &'static str {
    match value {
        Some(value) if value <= limit => "met",
        Some(_) => "missed",
        None => "not measurable",
    }
}

/// Whether `value` reaches at least `limit`.
pub(crate) fn aim_at_least(value: Option<f64>, limit: f64) -> &'static str {
    match value {
        Some(value) if value >= limit => "met",
        Some(_) => "missed",
        None => "not measurable",
    }
}

/// A ratio as `2.35x`, or `n/a`.
pub(crate) fn ratio_cell(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "n/a".to_owned(), |ratio| format!("{ratio:.2}x"))
}

/// A percentage as `93.1%`, or `n/a`.
pub(crate) fn percent_cell(percent: Option<f64>) -> String {
    percent.map_or_else(|| "n/a".to_owned(), |percent| format!("{percent:.1}%"))
}

/// A duration in milliseconds, to the microsecond.
pub(crate) fn millis(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1e3)
}

/// Microseconds as signed milliseconds, to the microsecond.
pub(crate) fn signed_millis(micros: f64) -> String {
    format!("{:+.3}", micros / 1e3)
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn kibibytes(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(p50_us: u64, p99_us: u64, throughput: f64) -> Summary {
        Summary {
            calls: 100,
            p50: Duration::from_micros(p50_us),
            p99: Duration::from_micros(p99_us),
            throughput,
        }
    }

    fn report() -> Report {
        Report {
            setup: Setup {
                warmup: 10,
                calls: 100,
                rounds: 2,
                reuse_connections: false,
                bearer_source: None,
                extra_config_source: None,
            },
            levels: vec![Level {
                concurrency: 1,
                summaries: [
                    summary(400, 700, 2400.0),
                    summary(500, 900, 2000.0),
                    summary(550, 1300, 1700.0),
                ],
            }],
            memory: MemoryFigures {
                sessions: 1000,
                before: 10 * 1024 * 1024,
                with_sessions: 60 * 1024 * 1024,
                after: 20 * 1024 * 1024,
            },
        }
    }

    #[test]
    fn the_overhead_ratio_divides_wardens_added_latency_by_the_hops() {
        assert_eq!(overhead_ratio(300.0, 200.0), Some(1.5));
        assert_eq!(ratio_cell(overhead_ratio(300.0, 200.0)), "1.50x");
        assert_eq!(ratio_cell(overhead_ratio(1000.0, 300.0)), "3.33x");
    }

    #[test]
    fn a_hop_that_adds_nothing_leaves_the_ratio_not_measurable() {
        let ratio = overhead_ratio(300.0, 0.0);

        assert_eq!(ratio, None);
        assert_eq!(ratio_cell(ratio), "n/a");
        assert_eq!(aim_at_most(ratio, MAX_OVERHEAD_RATIO), "not measurable");
        assert_eq!(overhead_ratio(300.0, -5.0), None);
    }

    #[test]
    fn the_aims_are_met_at_their_limits_and_missed_beyond() {
        assert_eq!(aim_at_most(Some(1.5), MAX_OVERHEAD_RATIO), "met");
        assert_eq!(aim_at_most(Some(1.51), MAX_OVERHEAD_RATIO), "missed");
        assert_eq!(aim_at_least(Some(80.0), MIN_THROUGHPUT_PERCENT), "met");
        assert_eq!(aim_at_least(Some(79.9), MIN_THROUGHPUT_PERCENT), "missed");
        assert_eq!(aim_at_least(None, MIN_THROUGHPUT_PERCENT), "not measurable");
    }

    #[test]
    fn latencies_print_in_milliseconds_with_their_sign_when_added() {
        assert_eq!(millis(Duration::from_micros(412)), "0.412");
        assert_eq!(millis(Duration::from_micros(20_512)), "20.512");
        assert_eq!(
            signed_millis(added_micros(
                Duration::from_micros(550),
                Duration::from_micros(400)
            )),
            "+0.150"
        );
        assert_eq!(signed_millis(-10.0), "-0.010");
    }

    #[test]
    fn the_throughput_share_is_a_percentage_of_the_hops() {
        assert_eq!(percent_cell(throughput_percent(1700.0, 2000.0)), "85.0%");
        assert_eq!(percent_cell(throughput_percent(1.0, 0.0)), "n/a");
    }

    #[test]
    fn the_report_has_a_row_per_path_and_the_verdicts() {
        let text = render(&report());
        let lines: Vec<&str> = text.lines().collect();

        let expected = [
            "direct                   0.400     0.700        2400",
            "bare hop                 0.500     0.900        2000",
            "warden                   0.550     1.300        1700",
            "bare hop                +0.100    +0.200",
            "warden                  +0.150    +0.600",
            "warden / bare hop        1.50x     3.00x    aim <= 1.50x: p50 met, p99 missed",
            "warden throughput        85.0% of the bare hop's    aim >= 80%: met",
            "with 1000 sessions          60.0 MiB    aim < 100 MiB: met",
            "per session                 51.2 KiB",
            "after closing them          20.0 MiB",
        ];
        for line in expected {
            assert!(lines.contains(&line), "missing line {line:?} in:\n{text}");
        }
    }
}
