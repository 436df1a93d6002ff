//! The whole benchmark, end to end, with tiny counts: the real `warden-bench`, `warden`
//! and `demo-upstream` binaries on loopback. This checks that a run completes and
//! reports what it should, never how fast anything is.
//!
//! It needs the debug builds of the two other binaries:
//! `cargo build -p warden -p warden-demo-upstream` from the workspace root. Warden
//! verifies a JWT-SVID on every request, so the test mints a development one with
//! `warden dev svid` and hands it, with the matching `[identity]` table, to the
//! benchmark, as `scripts/bench` does.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest the tiny run may take before the test kills it and fails.
const DEADLINE: Duration = Duration::from_secs(180);

/// The workspace root, where `scripts/bench` runs the benchmark, so that Warden's
/// relative defaults (such as `./policies`) resolve the same way.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A debug binary of the workspace, or a failure that says how to build it.
fn workspace_binary(name: &str, package: &str) -> PathBuf {
    let path = workspace_root().join("target/debug").join(name);
    assert!(
        path.is_file(),
        "`{}` is missing; build it from the workspace root with \
         `cargo build -p warden -p warden-demo-upstream`, then run this test again \
         (package `{package}` builds `{name}`)",
        path.display()
    );
    path
}

/// Mints a development JWT-SVID in `dir` with `warden dev svid`, and writes the Warden
/// configuration that trusts it; returns the token file and the configuration file.
fn dev_identity(warden: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let minted = Command::new(warden)
        .args([
            "dev",
            "svid",
            "--id",
            "spiffe://example.org/agent/bench-smoke",
        ])
        .args(["--ttl", "30m", "--out", "agent.jwt"])
        .current_dir(dir)
        .output()
        .expect("`warden dev svid` runs");
    assert!(
        minted.status.success(),
        "`warden dev svid` failed: {}",
        String::from_utf8_lossy(&minted.stderr)
    );

    let data = dir.join("data");
    let identity = format!(
        "[gateway]\ndata_dir = {data:?}\n\n[identity]\ntrust_domain = \"example.org\"\n\
         audience = \"spiffe://example.org/warden\"\njwt_bundle = {bundle:?}\n",
        data = data.display().to_string(),
        bundle = data.join("dev/jwt-bundle.json").display().to_string(),
    );
    let config = dir.join("identity.toml");
    std::fs::write(&config, identity).expect("write the identity configuration");
    (dir.join("agent.jwt"), config)
}

/// Reads a child's pipe to its end on a thread of its own.
fn collect(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Runs the benchmark with `args`, killing it if it outlives [`DEADLINE`]; returns
/// whether it succeeded, its stdout and its stderr.
fn run_bench(args: &[&str]) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden-bench"))
        .args(args)
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the benchmark starts");
    let stdout = collect(child.stdout.take().expect("stdout is piped"));
    let stderr = collect(child.stderr.take().expect("stderr is piped"));

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the benchmark can be waited for") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the benchmark did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };

    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    (status.success(), stdout, stderr)
}

/// Whether `line` is a latency row of `path`: its label, then p50, p99 and calls/s.
fn is_latency_row(line: &str, path: &str) -> bool {
    let Some(figures) = line.strip_prefix(path) else {
        return false;
    };
    let figures: Vec<&str> = figures.split_whitespace().collect();
    figures.len() == 3
        && figures
            .iter()
            .all(|figure| !figure.starts_with('+') && figure.parse::<f64>().is_ok())
}

/// Asserts one latency row per path for each of `levels` concurrency levels.
fn assert_latency_rows(report: &str, levels: usize) {
    for path in ["direct", "bare hop", "warden"] {
        let rows = report
            .lines()
            .filter(|line| is_latency_row(line, path))
            .count();
        assert_eq!(
            rows, levels,
            "one `{path}` latency row per level expected in:\n{report}"
        );
    }
}

#[test]
fn a_tiny_run_reports_every_path_at_every_level_and_the_memory_line() {
    let warden = workspace_binary("warden", "warden");
    let upstream = workspace_binary("demo-upstream", "warden-demo-upstream");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (token, identity) = dev_identity(&warden, dir.path());
    let [warden, upstream, token, identity] =
        [&warden, &upstream, &token, &identity].map(|path| path.to_str().expect("utf-8 path"));

    let flags = [
        ("--calls", "20"),
        ("--warmup", "2"),
        ("--rounds", "2"),
        ("--concurrency", "1,2"),
        ("--sessions", "20"),
        ("--warden", warden),
        ("--demo-upstream", upstream),
        ("--bearer-file", token),
        ("--warden-config-extra", identity),
    ];
    let args: Vec<&str> = flags
        .iter()
        .flat_map(|(flag, value)| [*flag, *value])
        .collect();

    let (succeeded, report, log) = run_bench(&args);

    assert!(succeeded, "the benchmark failed:\n{log}\n{report}");
    for heading in [
        "concurrency 1 (1 session per path)",
        "concurrency 2 (2 sessions per path)",
    ] {
        assert!(report.contains(heading), "no `{heading}` in:\n{report}");
    }
    assert_latency_rows(&report, 2);
    assert_eq!(report.matches("warden / bare hop").count(), 2, "{report}");
    let memory = report
        .lines()
        .find(|line| line.starts_with("with 20 sessions"));
    assert!(
        memory.is_some_and(|line| line.contains(" MiB") && line.contains("aim < 100 MiB")),
        "no memory line for 20 sessions in:\n{report}"
    );
}
