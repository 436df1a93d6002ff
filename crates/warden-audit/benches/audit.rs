//! Benchmarks of durable appends under concurrency (group commit) and of
//! verification throughput, on real files in a temporary directory.
//!
//! Run with `cargo bench -p warden-audit`; set `TMPDIR` to put the files on
//! the disk being measured.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark fails loudly when its fixtures break"
)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tempfile::TempDir;
use warden_audit::{
    AuditConfig, AuditKeys, AuditLog, Capability, Decision, Event, Kind, Outcome, verify,
};

/// Concurrent appenders in the append benchmark.
const APPENDERS: u64 = 32;

/// Records in the verification benchmark's log.
const VERIFY_RECORDS: u64 = 100_000;

/// A tool call as the gateway records it.
fn tool_call(n: u64) -> Event {
    Event {
        session: Some("session-7f3a".into()),
        identity: Some("spiffe://example.org/agent/reviewer".into()),
        task: Some(format!("task-{}", n % 64)),
        request: Some(json!({
            "tool": "tickets.search",
            "arguments": {"query": format!("flaky test {n}"), "limit": 20, "token": "t-1"},
        })),
        decision: Some(Decision {
            effect: "allow".into(),
            policy_version: "sha256:5be1c0".into(),
            rule: Some("read_only_tools".into()),
            reason: "read-only tool within the task's goal".into(),
            facts: vec![
                r#"operation("call_tool")"#.into(),
                r#"tool("tickets.search")"#.into(),
                r#"annotation("tickets.search", "read_only")"#.into(),
            ],
        }),
        capability: Some(Capability {
            call_token: Some("En0KEwoEdG9vbBgDIgkKBwgKEgMYgAgSJAgAEiA".repeat(4)),
            revocation_ids: vec!["9f2c41".into(), "77ab0e".into()],
        }),
        outcome: Some(Outcome {
            status: "ok".into(),
            duration_us: 1830,
            result_digest: Some("sha256:0b9d1e".into()),
            bytes: 4096,
        }),
        ..Event::new(Kind::TOOL_CALL)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Appends `total` events from `appenders` concurrent tasks.
async fn append_concurrently(log: &Arc<AuditLog>, appenders: u64, total: u64) {
    let tasks: Vec<_> = (0..appenders)
        .map(|i| {
            let log = Arc::clone(log);
            let count = total / appenders + u64::from(i < total % appenders);
            tokio::spawn(async move {
                for n in 0..count {
                    black_box(log.append(tool_call(n)).await.unwrap());
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

fn durable_appends(c: &mut Criterion) {
    let dir = TempDir::new().unwrap();
    let runtime = runtime();
    let (log, _) = AuditLog::open(dir.path(), AuditConfig::default()).unwrap();
    let log = Arc::new(log);

    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("durable_32_appenders", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            runtime.block_on(append_concurrently(&log, APPENDERS, iters));
            start.elapsed()
        });
    });
    group.finish();

    let stats = log.stats();
    eprintln!(
        "append: {} records in {} syncs ({:.1} records per sync)",
        stats.appended,
        stats.syncs,
        stats.appended as f64 / stats.syncs.max(1) as f64
    );
}

/// Writes a log of `records` tool calls into `dir`.
fn write_log(dir: &Path, records: u64) {
    let runtime = runtime();
    let (log, _) = AuditLog::open(dir, AuditConfig::default()).unwrap();
    let log = Arc::new(log);
    runtime.block_on(append_concurrently(&log, 256, records));
    let log = Arc::into_inner(log).unwrap();
    runtime.block_on(log.close()).unwrap();
}

fn verify_throughput(c: &mut Criterion) {
    let dir = TempDir::new().unwrap();
    write_log(dir.path(), VERIFY_RECORDS);
    let path = dir.path().join("audit.jsonl");
    let keys = AuditKeys::open(&dir.path().join("keys"))
        .unwrap()
        .public_keys();
    let total = verify(&path, &keys, |_, _| {}).unwrap().records;

    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(total));
    group.sample_size(10);
    group.bench_function("records_100k", |b| {
        b.iter(|| black_box(verify(&path, &keys, |_, _| {}).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, durable_appends, verify_throughput);
criterion_main!(benches);
