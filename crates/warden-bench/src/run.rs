//! One benchmark run, start to finish: start the processes, time every route at every
//! concurrency level, measure memory, and hand back the report's text.
//!
//! The processes live exactly as long as this function: their guards end them on every
//! way out of it.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};

use crate::cli::BenchArgs;
use crate::load::{self, Batch, ClientSettings, Session};
use crate::memory;
use crate::processes::{self, Announced, Binaries};
use crate::report::{self, Level, Report, Setup};
use crate::routes::{Route, Targets};
use crate::stats::Summary;

/// Runs the benchmark `args` describe and returns the report's text.
pub(crate) async fn run(args: BenchArgs) -> anyhow::Result<String> {
    if args.calls < args.rounds {
        bail!(
            "--calls {} is fewer than --rounds {}; each round needs at least one call per client",
            args.calls,
            args.rounds
        );
    }
    let bearer = args.bearer_file.as_deref().map(read_bearer).transpose()?;
    let settings = ClientSettings::new(bearer, args.call_timeout, args.reuse_connections);
    let settings = Arc::new(settings);

    let running = Running::start(&args).await?;
    let targets = running.targets();
    for route in Route::ALL {
        load::await_ready(targets.url(route), args.startup_timeout, &settings)
            .await
            .with_context(|| format!("the {} path is not ready", route.label()))?;
    }

    let mut levels = Vec::with_capacity(args.concurrency.len());
    for &concurrency in &args.concurrency {
        levels.push(measure_level(&targets, concurrency as usize, &args, &settings).await?);
    }

    let memory = memory::measure(
        running.warden.process.child.pid(),
        &targets.warden,
        args.sessions as usize,
        args.open_concurrency as usize,
        &settings,
    )
    .await?;

    let setup = setup_of(&args);
    Ok(report::render(&Report {
        setup,
        levels,
        memory,
    }))
}

/// The three processes of a run, ended when this is dropped.
struct Running {
    upstream: Announced,
    hop: Announced,
    warden: processes::Warden,
}

impl Running {
    /// Starts the demo upstream, then the hop and Warden in front of it.
    async fn start(args: &BenchArgs) -> anyhow::Result<Self> {
        let binaries = Binaries::locate(args)?;
        let extra = args
            .warden_config_extra
            .as_deref()
            .map(read_extra)
            .transpose()?;
        let timeout = args.startup_timeout;

        let upstream = processes::start_demo_upstream(&binaries.demo_upstream, timeout).await?;
        let hop = processes::start_hop(&upstream.url, args.reuse_connections, timeout).await?;
        let warden =
            processes::start_warden(&binaries.warden, &upstream.url, extra.as_deref(), timeout)
                .await?;
        Ok(Self {
            upstream,
            hop,
            warden,
        })
    }

    /// Where each route's clients connect.
    fn targets(&self) -> Targets {
        Targets {
            direct: self.upstream.url.clone(),
            hop: self.hop.url.clone(),
            warden: self.warden.process.url.clone(),
        }
    }
}

/// The report's header, from the arguments.
fn setup_of(args: &BenchArgs) -> Setup {
    let shown =
        |path: &Option<std::path::PathBuf>| path.as_deref().map(|p| p.display().to_string());
    Setup {
        warmup: args.warmup,
        calls: args.calls,
        rounds: args.rounds,
        reuse_connections: args.reuse_connections,
        bearer_source: shown(&args.bearer_file),
        extra_config_source: shown(&args.warden_config_extra),
    }
}

/// Times every route with `concurrency` clients: opens their sessions, warms them up,
/// runs the rounds, each starting with a different route, and closes the sessions,
/// whether or not the timing succeeded.
async fn measure_level(
    targets: &Targets,
    concurrency: usize,
    args: &BenchArgs,
    settings: &Arc<ClientSettings>,
) -> anyhow::Result<Level> {
    let parallel = args.open_concurrency as usize;
    let mut sessions: Vec<Vec<Session>> = Vec::with_capacity(Route::ALL.len());
    for route in Route::ALL {
        let opened = load::open_sessions(targets.url(route), concurrency, parallel, settings)
            .await
            .with_context(|| {
                format!(
                    "cannot open {concurrency} sessions on the {} path",
                    route.label()
                )
            })?;
        sessions.push(opened);
    }

    let timed = warm_up_and_time(&sessions, concurrency, args, settings).await;
    for opened in sessions {
        load::close_sessions(opened, parallel, settings.call_timeout).await;
    }
    let batches = timed?;

    let summaries = batches.map(|batch| Summary::of(batch.latencies, batch.wall));
    let [Some(direct), Some(hop), Some(warden)] = summaries else {
        bail!("a path made no timed calls at concurrency {concurrency}");
    };
    Ok(Level {
        concurrency,
        summaries: [direct, hop, warden],
    })
}

/// Warms up every route on the open `sessions` (one list per route), then runs the
/// timed rounds and adds up each route's batches.
async fn warm_up_and_time(
    sessions: &[Vec<Session>],
    concurrency: usize,
    args: &BenchArgs,
    settings: &Arc<ClientSettings>,
) -> anyhow::Result<[Batch; 3]> {
    for route in Route::ALL {
        load::run_batch(&sessions[route.index()], args.warmup, settings)
            .await
            .with_context(|| format!("warming up the {} path failed", route.label()))?;
    }

    let mut batches: [Batch; 3] = Default::default();

    for round in 0..args.rounds {
        let calls = calls_in_round(args.calls, args.rounds, round);
        for route in route_order(round) {
            let path = route.label();
            tracing::info!(concurrency, round = round + 1, path, calls, "timing");

            let batch = load::run_batch(&sessions[route.index()], calls, settings)
                .await
                .with_context(|| format!("timing the {path} path failed"))?;
            let total = &mut batches[route.index()];
            total.latencies.extend(batch.latencies);
            total.wall += batch.wall;
        }
    }
    Ok(batches)
}

/// The order of the routes in round `round`: each round starts one route later, so
/// that no route always runs first (on a cold cache) or last (on a warm one).
pub(crate) fn route_order(round: u32) -> [Route; 3] {
    let count = Route::ALL.len();
    let start = round as usize % count;
    std::array::from_fn(|offset| Route::ALL[(start + offset) % count])
}

/// The calls each client makes in round `round` of `rounds`, so that the rounds add up
/// to `calls`: an even share, the last round taking the remainder.
pub(crate) fn calls_in_round(calls: u32, rounds: u32, round: u32) -> u32 {
    let share = calls / rounds.max(1);
    if round + 1 == rounds {
        calls - share * (rounds - 1)
    } else {
        share
    }
}

/// Reads the bearer token from `path`, without surrounding whitespace.
fn read_bearer(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the bearer token file {}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        bail!(
            "the bearer token file {} is empty; put the token in it",
            path.display()
        );
    }
    Ok(token.to_owned())
}

/// Reads the extra Warden configuration from `path`, refusing it unless it is TOML.
fn read_extra(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the extra Warden configuration {}",
            path.display()
        )
    })?;
    text.parse::<toml::Table>().with_context(|| {
        format!(
            "the extra Warden configuration {} is not valid TOML",
            path.display()
        )
    })?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rounds_share_the_calls_and_the_last_takes_the_remainder() {
        let shares: Vec<u32> = (0..3).map(|round| calls_in_round(20, 3, round)).collect();

        assert_eq!(shares, [6, 6, 8]);
    }

    #[test]
    fn each_round_starts_with_the_next_route() {
        assert_eq!(route_order(0), [Route::Direct, Route::Hop, Route::Warden]);
        assert_eq!(route_order(1), [Route::Hop, Route::Warden, Route::Direct]);
        assert_eq!(route_order(2), [Route::Warden, Route::Direct, Route::Hop]);
        assert_eq!(route_order(3), route_order(0));
    }

    #[test]
    fn a_single_round_makes_every_call() {
        assert_eq!(calls_in_round(20, 1, 0), 20);
    }
}
