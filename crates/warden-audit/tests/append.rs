//! Tests of appending: round trips, group commit under concurrency,
//! checkpoints, reopening, crash recovery and failure, on real files in
//! temporary directories with real keys.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly when its own fixtures break"
)]

use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use tempfile::TempDir;
use warden_audit::{
    AuditConfig, AuditError, AuditKeys, AuditLog, Capability, DamageKind, Decision, Event, Filter,
    Kind, Outcome, Record, VerifyError, VerifyReport, read, read_filtered, verify,
};

fn tool_call(task: &str, n: u64) -> Event {
    Event {
        session: Some("session-1".into()),
        identity: Some("spiffe://example.org/agent/reviewer".into()),
        task: Some(task.into()),
        request: Some(json!({"tool": "fs.read_file", "arguments": {"path": format!("/srv/{n}")}})),
        decision: Some(Decision {
            effect: "allow".into(),
            policy_version: "v7".into(),
            rule: Some("read_only_tools".into()),
            reason: "read-only tool within the task".into(),
            facts: vec![r#"tool("fs.read_file")"#.into()],
        }),
        capability: Some(Capability {
            call_token: Some("En0KEwoEdG9vbBgDIgkKBwgKEgMYgAgSJAgAEiA".into()),
            revocation_ids: vec!["a1b2".into(), "c3d4".into()],
        }),
        outcome: Some(Outcome {
            status: "ok".into(),
            duration_us: 1200 + n,
            result_digest: Some("sha256:00ff".into()),
            bytes: 512,
        }),
        ..Event::new(Kind::TOOL_CALL)
    }
}

fn config() -> AuditConfig {
    AuditConfig::default()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

fn verify_dir(dir: &Path) -> Result<VerifyReport, VerifyError> {
    let keys = AuditKeys::open(&dir.join("keys")).unwrap().public_keys();
    verify(&dir.join("audit.jsonl"), &keys, |_, _| {})
}

fn records(dir: &Path) -> Vec<Record> {
    read(&dir.join("audit.jsonl"))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn appended_records_read_back_field_for_field_and_verify() {
    let dir = TempDir::new().unwrap();
    let (log, report) = AuditLog::open(dir.path(), config()).unwrap();
    assert!(report.created);
    assert_eq!(report.last_seq, 0);

    let first = log.append(tool_call("task-1", 1)).await.unwrap();
    let open = Event {
        identity: Some("spiffe://example.org/agent/reviewer".into()),
        ..Event::new(Kind::SESSION_OPEN)
    };
    let second = log.append(open).await.unwrap();
    log.close().await.unwrap();
    assert_eq!((first.seq, second.seq), (1, 2));

    let read_back = records(dir.path());
    assert_eq!(read_back.len(), 3);
    assert_eq!(read_back[0].hash, first.hash);
    assert_eq!(read_back[0].prev, warden_audit::GENESIS_PREV);
    assert_eq!(read_back[1].prev, first.hash);
    assert_eq!(read_back[0].decision, tool_call("task-1", 1).decision);
    assert_eq!(read_back[1].session, None);
    assert!(read_back[2].kind.is_checkpoint());
    assert_eq!(read_back[2].checkpoint.as_ref().unwrap().covers, 2);

    let report = verify_dir(dir.path()).unwrap();
    assert_eq!(
        (report.records, report.checkpoints, report.unsigned_tail),
        (3, 1, 0)
    );
    assert_eq!(report.last_hash, read_back[2].hash);
}

#[tokio::test]
async fn lines_are_the_records_serialized_in_the_fixed_field_order() {
    let dir = TempDir::new().unwrap();
    let (log, _) = AuditLog::open(dir.path(), config()).unwrap();
    log.append(tool_call("task-1", 1)).await.unwrap();
    log.append(Event::new(Kind::POLICY_LOAD)).await.unwrap();
    log.close().await.unwrap();

    let text = fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    for (line, record) in text.lines().zip(records(dir.path())) {
        assert_eq!(serde_json::to_string(&record).unwrap(), line);
    }

    let first = text.lines().next().unwrap();
    let order = [
        "seq",
        "time",
        "kind",
        "session",
        "identity",
        "task",
        "request",
        "decision",
        "capability",
        "outcome",
        "prev",
        "hash",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|f| first.find(&format!("\"{f}\":")).unwrap())
        .collect();
    assert!(positions.is_sorted(), "{first}");
    assert!(first.contains(r#""session":"session-1""#));
    let time = first.split(r#""time":""#).nth(1).unwrap();
    assert_eq!(time.find('Z'), Some(26), "time has microseconds: {time}");
}

/// Appends `each` events from each of `tasks` tasks; gives the acknowledged seqs.
async fn append_from_tasks(log: &Arc<AuditLog>, tasks: u64, each: u64) -> Vec<u64> {
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let log = Arc::clone(log);
            tokio::spawn(async move {
                let mut seqs = Vec::new();
                for n in 0..each {
                    let event = tool_call(&format!("task-{t}"), n);
                    seqs.push(log.append(event).await.unwrap().seq);
                }
                seqs
            })
        })
        .collect();

    let mut all = Vec::new();
    for handle in handles {
        all.extend(handle.await.unwrap());
    }
    all
}

#[test]
fn concurrent_appends_are_all_acknowledged_in_group_commits() {
    let dir = TempDir::new().unwrap();
    let runtime = runtime();
    let (log, _) = AuditLog::open(dir.path(), config()).unwrap();
    let log = Arc::new(log);

    let acked = runtime.block_on(append_from_tasks(&log, 8, 500));

    let stats = log.stats();
    assert_eq!(stats.appended, 4000);
    assert!(stats.syncs < 4000, "{stats:?}: appends were not grouped");
    let log = Arc::into_inner(log).unwrap();
    runtime.block_on(log.close()).unwrap();

    let unique: BTreeSet<u64> = acked.iter().copied().collect();
    assert_eq!(unique.len(), 4000);
    let logged: BTreeSet<u64> = records(dir.path())
        .iter()
        .filter(|r| !r.kind.is_checkpoint())
        .map(|r| r.seq)
        .collect();
    assert_eq!(logged, unique);

    let report = verify_dir(dir.path()).unwrap();
    assert_eq!(report.records, 4000 + report.checkpoints);
    assert_eq!(
        report.checkpoints, 4,
        "one after every 1000 records, none left for close"
    );
    assert_eq!(report.unsigned_tail, 0);
}

#[tokio::test]
async fn a_checkpoint_follows_every_n_records() {
    let dir = TempDir::new().unwrap();
    let config = AuditConfig {
        checkpoint_every: 10,
        ..config()
    };
    let (log, _) = AuditLog::open(dir.path(), config).unwrap();
    for n in 0..25 {
        log.append(tool_call("task-1", n)).await.unwrap();
    }
    log.close().await.unwrap();

    let checkpoints: Vec<(u64, u64)> = records(dir.path())
        .iter()
        .filter_map(|r| r.checkpoint.as_ref().map(|c| (r.seq, c.covers)))
        .collect();
    assert_eq!(checkpoints, [(11, 10), (22, 21), (28, 27)]);
    assert_eq!(verify_dir(dir.path()).unwrap().checkpoints, 3);
}

#[tokio::test]
async fn a_checkpoint_follows_the_interval_when_records_are_new() {
    let dir = TempDir::new().unwrap();
    let config = AuditConfig {
        checkpoint_interval: Duration::from_millis(50),
        ..config()
    };
    let (log, _) = AuditLog::open(dir.path(), config).unwrap();
    log.append(tool_call("task-1", 1)).await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    while log.stats().checkpoints == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(log.stats().checkpoints, 1);

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        log.stats().checkpoints,
        1,
        "no checkpoint without new records"
    );
    log.close().await.unwrap();
    assert_eq!(verify_dir(dir.path()).unwrap().records, 2);
}

#[tokio::test]
async fn reopening_continues_the_chain() {
    let dir = TempDir::new().unwrap();
    let (log, _) = AuditLog::open(dir.path(), config()).unwrap();
    log.append(tool_call("task-1", 1)).await.unwrap();
    log.close().await.unwrap();

    let (log, report) = AuditLog::open(dir.path(), config()).unwrap();
    assert!(!report.created);
    assert_eq!(
        (report.records, report.last_seq, report.unsigned_tail),
        (2, 2, 0)
    );
    assert_eq!(log.append(tool_call("task-1", 2)).await.unwrap().seq, 3);
    log.close().await.unwrap();

    let report = verify_dir(dir.path()).unwrap();
    assert_eq!((report.records, report.checkpoints), (4, 2));
}

#[tokio::test]
async fn a_torn_last_line_is_cut_on_reopen_and_the_chain_continues() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("audit.jsonl");
    let (log, _) = AuditLog::open(dir.path(), config()).unwrap();
    log.append(tool_call("task-1", 1)).await.unwrap();
    log.close().await.unwrap();

    let text = fs::read_to_string(&path).unwrap();
    let torn = &text.lines().next().unwrap()[..120];
    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(torn.as_bytes())
        .unwrap();
    let damage = match verify_dir(dir.path()) {
        Err(VerifyError::Damaged(damage)) => damage,
        other => panic!("expected damage, got {other:?}"),
    };
    assert_eq!((damage.line, damage.kind), (3, DamageKind::Truncated));

    let (log, report) = AuditLog::open(dir.path(), config()).unwrap();
    assert_eq!((report.truncated_bytes, report.last_seq), (120, 2));
    assert_eq!(log.append(tool_call("task-1", 2)).await.unwrap().seq, 3);
    log.close().await.unwrap();
    assert_eq!(verify_dir(dir.path()).unwrap().records, 4);
}

#[tokio::test]
async fn a_disk_that_refuses_writes_fails_the_log_closed() {
    // /dev/full is the kernel's device for a full disk: every write to it
    // fails with ENOSPC, which no regular file in a shared temporary
    // directory can be made to do on demand.
    let dir = TempDir::new().unwrap();
    AuditKeys::init(&dir.path().join("keys")).unwrap();
    std::os::unix::fs::symlink("/dev/full", dir.path().join("audit.jsonl")).unwrap();

    let (log, _) = AuditLog::open(dir.path(), config()).unwrap();
    assert!(log.is_healthy());

    let first = log.append(tool_call("task-1", 1)).await;
    assert!(matches!(first, Err(AuditError::Failed { .. })), "{first:?}");
    assert!(!log.is_healthy());

    let second = log.append(tool_call("task-1", 2)).await;
    assert!(
        matches!(second, Err(AuditError::Failed { .. })),
        "{second:?}"
    );
    assert!(second.unwrap_err().to_string().contains("refuses appends"));
    assert_eq!(log.stats().appended, 0);
    assert!(matches!(log.close().await, Err(AuditError::Failed { .. })));
}

#[tokio::test]
async fn a_second_writer_on_the_same_log_is_refused() {
    let dir = TempDir::new().unwrap();
    let (log, _) = AuditLog::open(dir.path(), config()).unwrap();

    let second = AuditLog::open(dir.path(), config());
    assert!(matches!(second, Err(AuditError::Locked(_))));
    log.close().await.unwrap();
    assert!(AuditLog::open(dir.path(), config()).is_ok());
}

#[tokio::test]
async fn a_damaged_log_is_refused_on_open() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("audit.jsonl");
    let (log, _) = AuditLog::open(dir.path(), config()).unwrap();
    log.append(tool_call("task-1", 1)).await.unwrap();
    log.close().await.unwrap();

    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replacen("/srv/1", "/srv/2", 1)).unwrap();

    match AuditLog::open(dir.path(), config()) {
        Err(AuditError::Damaged { damage, .. }) => {
            assert_eq!((damage.line, damage.kind), (1, DamageKind::HashMismatch));
        }
        other => panic!("expected a damaged log, got {:?}", other.map(|(_, r)| r)),
    }
}

#[tokio::test]
async fn checkpoints_cannot_be_appended_by_callers() {
    let dir = TempDir::new().unwrap();
    let (log, _) = AuditLog::open(dir.path(), config()).unwrap();

    let result = log.append(Event::new(Kind::CHECKPOINT)).await;
    assert!(matches!(result, Err(AuditError::ReservedKind)));
    log.close().await.unwrap();
}

#[test]
fn a_configuration_that_never_checkpoints_is_refused() {
    let dir = TempDir::new().unwrap();
    let config = AuditConfig {
        checkpoint_every: 0,
        ..config()
    };
    assert!(matches!(
        AuditLog::open(dir.path(), config),
        Err(AuditError::InvalidConfig(_))
    ));
}

#[tokio::test]
async fn the_reader_filters_by_task_identity_kind_and_time() {
    let dir = TempDir::new().unwrap();
    let (log, _) = AuditLog::open(dir.path(), config()).unwrap();
    log.append(tool_call("task-1", 1)).await.unwrap();
    let between = SystemTime::now();
    log.append(tool_call("task-2", 2)).await.unwrap();
    log.append(Event::new(Kind::new("task.end").unwrap()))
        .await
        .unwrap();
    log.close().await.unwrap();

    let path = dir.path().join("audit.jsonl");
    let seqs = |filter: Filter| -> Vec<u64> {
        read_filtered(&path, filter)
            .unwrap()
            .map(|r| r.unwrap().seq)
            .collect()
    };
    let task = Filter {
        task: Some("task-2".into()),
        ..Filter::default()
    };
    let since = Filter {
        since: Some(between),
        kind: Some(Kind::TOOL_CALL),
        ..Filter::default()
    };
    let identity = Filter {
        identity: Some("spiffe://example.org/agent/reviewer".into()),
        ..Filter::default()
    };
    assert_eq!(seqs(task), [2]);
    assert_eq!(seqs(since), [2]);
    assert_eq!(seqs(identity), [1, 2]);
    assert_eq!(seqs(Filter::default()), [1, 2, 3, 4]);
}

#[test]
fn the_log_can_be_shared_across_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<AuditLog>();
    shared::<Arc<AuditLog>>();
}

#[tokio::test]
async fn written_detached_and_synced_appends_keep_one_order_and_one_chain() {
    let dir = TempDir::new().unwrap();
    let (log, _) = AuditLog::open(dir.path(), config()).unwrap();

    let first = log.append_written(tool_call("task-1", 1)).await.unwrap();
    log.append_detached(tool_call("task-1", 2)).unwrap();
    let third = log.append(tool_call("task-1", 3)).await.unwrap();
    log.close().await.unwrap();

    assert_eq!((first.seq, third.seq), (1, 3));
    let calls: Vec<u64> = warden_audit::read(&dir.path().join("audit.jsonl"))
        .unwrap()
        .map(Result::unwrap)
        .filter(|record| !record.kind.is_checkpoint())
        .map(|record| record.seq)
        .collect();
    assert_eq!(calls, [1, 2, 3]);
    assert_eq!(
        verify_dir(dir.path()).unwrap().records,
        4,
        "three records and a checkpoint"
    );
}
