//! Tests of the sled store on real database files in temporary directories,
//! including a real process killed with SIGKILL.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly when its own fixtures break"
)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;
use warden_store::{
    MemoryStore, SledStore, Store, StoreError, TaskFilter, TaskRecord, TaskState, Transition,
};

const CHILD_DB_ENV: &str = "WARDEN_STORE_TEST_CHILD_DB";
const CHILD_DONE: &str = "done";

fn task(id: &str, identity: &str) -> TaskRecord {
    let now = SystemTime::now();
    TaskRecord {
        id: id.into(),
        identity: identity.into(),
        goal: "triage the failing build".into(),
        tools: vec!["ci.logs".into()],
        constraints: serde_json::json!([{"kind": "prefix", "arg": "path", "prefix": "/srv/"}]),
        state: TaskState::Pending,
        created_at: now,
        expires_at: now + Duration::from_secs(900),
        pending_expires_at: Some(now + Duration::from_secs(300)),
        ttl: Duration::from_secs(900),
        budget: Some(3),
        calls_made: 0,
        decided_by: None,
        reason: None,
        session: Some("session-1".into()),
        revocation_ids: vec![],
        approver_role: Some("approver".into()),
        capability: None,
    }
}

fn to(from: TaskState, to: TaskState, by: &str) -> Transition {
    Transition::new(&[from], to).by(by)
}

fn open(dir: &TempDir) -> SledStore {
    SledStore::open(&dir.path().join("db")).unwrap()
}

fn active_task(store: &dyn Store, id: &str) {
    store
        .create_task(&task(id, "spiffe://example.org/a"))
        .unwrap();
    store
        .transition(id, &to(TaskState::Pending, TaskState::Active, "rule"))
        .unwrap();
}

#[test]
fn a_created_task_reads_back_equal_after_reopening() {
    let dir = TempDir::new().unwrap();
    let original = task("t1", "spiffe://example.org/a");
    open(&dir).create_task(&original).unwrap();

    let reopened = open(&dir);

    assert_eq!(reopened.get_task("t1").unwrap(), Some(original));
    assert_eq!(reopened.get_task("t2").unwrap(), None);
}

#[test]
fn creating_a_task_twice_is_refused() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store
        .create_task(&task("t1", "spiffe://example.org/a"))
        .unwrap();

    let error = store
        .create_task(&task("t1", "spiffe://example.org/b"))
        .unwrap_err();

    assert!(
        matches!(error, StoreError::TaskExists(ref id) if id == "t1"),
        "{error}"
    );
}

#[test]
fn tasks_list_by_identity_and_state() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    active_task(&store, "t1");
    store
        .create_task(&task("t2", "spiffe://example.org/a"))
        .unwrap();
    store
        .create_task(&task("t3", "spiffe://example.org/b"))
        .unwrap();

    let ids = |filter: TaskFilter| -> Vec<String> {
        store
            .list_tasks(&filter)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    let of_a = TaskFilter {
        identity: Some("spiffe://example.org/a".into()),
        state: None,
    };
    let pending = TaskFilter {
        identity: None,
        state: Some(TaskState::Pending),
    };

    assert_eq!(ids(TaskFilter::default()), ["t1", "t2", "t3"]);
    assert_eq!(ids(of_a), ["t1", "t2"]);
    assert_eq!(ids(pending), ["t2", "t3"]);
}

#[test]
fn of_concurrent_approvals_exactly_one_wins() {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(open(&dir));
    store
        .create_task(&task("t1", "spiffe://example.org/a"))
        .unwrap();
    let barrier = Arc::new(Barrier::new(8));

    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let approval = to(
                    TaskState::Pending,
                    TaskState::Active,
                    &format!("approver-{i}"),
                );
                store.transition("t1", &approval)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1);
    for result in results.iter().filter(|r| r.is_err()) {
        let conflict = matches!(
            result,
            Err(StoreError::StateConflict {
                actual: TaskState::Active,
                ..
            })
        );
        assert!(conflict, "{result:?}");
    }
    let stored = store.get_task("t1").unwrap().unwrap();
    assert_eq!(stored.decided_by, winners[0].decided_by);
}

#[test]
fn a_terminal_state_never_changes_and_unknown_tasks_are_named() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    active_task(&store, "t1");
    store
        .transition("t1", &to(TaskState::Active, TaskState::Completed, "agent"))
        .unwrap();

    let reopen = store.transition("t1", &to(TaskState::Completed, TaskState::Active, "x"));
    let missing = store.transition("nope", &to(TaskState::Pending, TaskState::Active, "x"));

    assert!(
        matches!(reopen, Err(StoreError::InvalidTransition { .. })),
        "{reopen:?}"
    );
    assert!(matches!(missing, Err(StoreError::TaskNotFound(ref id)) if id == "nope"));
}

#[test]
fn a_transition_records_the_decision_and_new_revocation_ids() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store
        .create_task(&task("t1", "spiffe://example.org/a"))
        .unwrap();
    let grant = to(
        TaskState::Pending,
        TaskState::Active,
        "spiffe://example.org/human/alice",
    );
    let expires_at = SystemTime::UNIX_EPOCH + Duration::from_secs(4_000_000_000);
    let grant = grant.because("looks fine").with_capability(
        "En0KEw".into(),
        vec!["aa".into(), "bb".into()],
        expires_at,
    );

    store.transition("t1", &grant).unwrap();
    drop(store);
    let stored = open(&dir).get_task("t1").unwrap().unwrap();

    assert_eq!(stored.state, TaskState::Active);
    assert_eq!(
        stored.decided_by.as_deref(),
        Some("spiffe://example.org/human/alice")
    );
    assert_eq!(stored.reason.as_deref(), Some("looks fine"));
    assert_eq!(stored.revocation_ids, ["aa", "bb"]);
    assert_eq!(stored.capability.as_deref(), Some("En0KEw"));
    assert_eq!(stored.expires_at, expires_at);
}

#[test]
fn concurrent_calls_are_all_counted_and_the_budget_is_enforced() {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(open(&dir));
    active_task(store.as_ref(), "t1");
    let mut unlimited = store.get_task("t1").unwrap().unwrap();
    unlimited.budget = None;
    store.put_task(&unlimited).unwrap();

    let handles: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || (0..25).for_each(|_| drop(store.increment_calls("t1"))))
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());

    assert_eq!(store.increment_calls("t1").unwrap(), 101);
    active_task(store.as_ref(), "t2");
    assert_eq!(store.increment_calls("t2").unwrap(), 1);
    store.increment_calls("t2").unwrap();
    store.increment_calls("t2").unwrap();
    let spent = store.increment_calls("t2").unwrap_err();
    assert!(
        matches!(spent, StoreError::BudgetExhausted { budget: 3, .. }),
        "{spent}"
    );
}

#[test]
fn calls_to_a_task_that_is_not_active_are_refused() {
    let dir = TempDir::new().unwrap();
    let store = open(&dir);
    store
        .create_task(&task("t1", "spiffe://example.org/a"))
        .unwrap();

    let error = store.increment_calls("t1").unwrap_err();

    assert!(
        matches!(
            error,
            StoreError::NotActive {
                state: TaskState::Pending,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn revocations_survive_reopening_the_database() {
    let dir = TempDir::new().unwrap();
    open(&dir).revoke(&["r1".into(), "r2".into()]).unwrap();

    let reopened = open(&dir);

    assert!(reopened.is_revoked("r1").unwrap());
    assert!(reopened.is_revoked("r2").unwrap());
    assert!(!reopened.is_revoked("r3").unwrap());
}

#[test]
fn a_revocation_survives_sigkill_right_after_revoke_returns() {
    if let Ok(db) = std::env::var(CHILD_DB_ENV) {
        revoke_then_wait_to_be_killed(Path::new(&db));
    }

    let dir = TempDir::new().unwrap();
    let db = dir.path().join("db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "a_revocation_survives_sigkill_right_after_revoke_returns",
            "--exact",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env(CHILD_DB_ENV, &db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();

    let stdout = BufReader::new(child.stdout.take().unwrap());
    let said_done = stdout
        .lines()
        .map_while(Result::ok)
        .any(|line| line.ends_with(CHILD_DONE));
    child.kill().unwrap();
    let status = child.wait().unwrap();

    assert!(said_done, "child exited without revoking: {status}");
    assert_eq!(
        status.signal(),
        Some(9),
        "child was not killed by SIGKILL: {status}"
    );
    assert!(
        SledStore::open(&db)
            .unwrap()
            .is_revoked("killed-r1")
            .unwrap()
    );
}

fn revoke_then_wait_to_be_killed(db: &Path) -> ! {
    let store = SledStore::open(db).unwrap();
    store.revoke(&["killed-r1".into()]).unwrap();

    let mut out = std::io::stdout().lock();
    writeln!(out, "\n{CHILD_DONE}").unwrap();
    out.flush().unwrap();

    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

#[test]
fn a_database_held_by_another_handle_is_reported_as_locked() {
    let dir = TempDir::new().unwrap();
    let _first = open(&dir);

    let error = SledStore::open(&dir.path().join("db")).err().unwrap();

    assert!(
        matches!(error, StoreError::Locked(ref p) if *p == dir.path().join("db")),
        "{error}"
    );
    assert!(error.to_string().contains("data_dir"));
}

#[test]
fn a_path_under_a_regular_file_cannot_be_opened() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("file"), b"x").unwrap();

    let error = SledStore::open(&dir.path().join("file/db")).err().unwrap();

    assert!(matches!(error, StoreError::Open { .. }), "{error}");
    assert!(error.to_string().contains("file/db"));
}

#[test]
fn records_of_a_future_format_or_corrupt_records_give_clear_errors() {
    let dir = TempDir::new().unwrap();
    let db_path = dir.path().join("db");
    {
        let db = sled::open(&db_path).unwrap();
        let tasks = db.open_tree("tasks").unwrap();
        tasks
            .insert(
                "future",
                br#"{"format":2,"task":{"shape":"new"}}"#.as_slice(),
            )
            .unwrap();
        tasks.insert("broken", b"{not json".as_slice()).unwrap();
        db.flush().unwrap();
    }
    let store = SledStore::open(&db_path).unwrap();

    let future = store.get_task("future").unwrap_err();
    let broken = store.get_task("broken").unwrap_err();
    let listed = store.list_tasks(&TaskFilter::default()).unwrap_err();

    let expected = matches!(
        future,
        StoreError::UnsupportedFormat {
            found: 2,
            supported: 1,
            ..
        }
    );
    assert!(expected, "{future}");
    assert!(matches!(broken, StoreError::CorruptRecord { ref key, .. } if key == "broken"));
    assert!(
        matches!(listed, StoreError::CorruptRecord { .. }),
        "{listed}"
    );
}

#[test]
fn the_memory_store_enforces_the_same_state_machine() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    active_task(store.as_ref(), "t1");

    let second = store.transition("t1", &to(TaskState::Pending, TaskState::Active, "x"));
    store.revoke(&["r".into()]).unwrap();

    assert!(
        matches!(second, Err(StoreError::StateConflict { .. })),
        "{second:?}"
    );
    assert!(store.is_revoked("r").unwrap());
    assert_eq!(store.increment_calls("t1").unwrap(), 1);
}
