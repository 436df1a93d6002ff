//! The task lifecycle on paused tokio time, on the in-memory store: TTLs,
//! approval windows, budgets and restarts without sleeping.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tempfile::TempDir;
use warden_capability::KeyRing;
use warden_policy::{EvalLimits, PolicySet};
use warden_store::{MemoryStore, Store, TaskState};

use super::lifecycle::{Requester, ToolCatalog};
use super::{Caller, Clock, TaskRefusal, TaskRequest, Tasks};
use crate::config::TasksConfig;

const AGENT: &str = "spiffe://example.org/agent/reviewer";
const OTHER: &str = "spiffe://example.org/agent/other";
const SESSION: &str = "boot-1";

struct Catalog;

impl ToolCatalog for Catalog {
    fn tool_names(&self) -> Vec<String> {
        vec!["demo.get_ticket".into(), "demo.close_ticket".into()]
    }

    fn hints(&self, tool: &str) -> Vec<String> {
        let hint = if tool == "demo.get_ticket" {
            "read_only"
        } else {
            "destructive"
        };
        vec![hint.into()]
    }
}

/// Grants read-only tasks, sends the rest to an approver.
fn policy() -> PolicySet {
    let source = r#"
        allow("read-only-tasks") <- operation("request_task"), requested_tool($t),
            annotation($t, "read_only");
        approval("writes", "approver", "writes need an approver")
            <- operation("request_task"), requested_tool($t), annotation($t, "destructive");
        allow("calls") <- operation("call_tool");
    "#;
    let files = BTreeMap::from([("test.policy".to_owned(), source.to_owned())]);
    PolicySet::from_files(files, EvalLimits::default()).expect("test policy compiles")
}

struct Fixture {
    clock: Clock,
    _keys_dir: TempDir,
    store: Arc<MemoryStore>,
    tasks: Tasks,
    changed: Arc<Mutex<Vec<String>>>,
}

fn fixture() -> Fixture {
    let keys_dir = TempDir::new().expect("temp dir");
    let store = Arc::new(MemoryStore::new());
    let clock = Clock::following_tokio();
    let (tasks, changed) = reopen(&keys_dir, &store, clock);
    Fixture {
        clock,
        _keys_dir: keys_dir,
        store,
        tasks,
        changed,
    }
}

/// A gateway start on `store`: keys are created on the first call.
fn reopen(
    keys_dir: &TempDir,
    store: &Arc<MemoryStore>,
    clock: Clock,
) -> (Tasks, Arc<Mutex<Vec<String>>>) {
    let dir = keys_dir.path().join("keys");
    let keys = KeyRing::open(&dir)
        .or_else(|_| KeyRing::init(&dir))
        .expect("key ring");
    let changed = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&changed);
    let listener = Box::new(move |change: super::TaskChange<'_>| {
        if change.tools_changed {
            let identity = change.record.identity.clone();
            seen.lock().expect("listener lock").push(identity);
        }
    });
    let store: Arc<dyn Store> = Arc::clone(store) as Arc<dyn Store>;
    let tasks = Tasks::with_store(store, keys, TasksConfig::default(), clock, listener)
        .expect("tasks open");
    (tasks, changed)
}

fn args(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl Fixture {
    fn request(&self, value: Value, session: Option<&str>) -> super::TaskRecord {
        let request =
            TaskRequest::from_json(&args(value), self.tasks.limits(), &[]).expect("valid request");
        let requester = Requester {
            identity: AGENT,
            session,
        };
        let (task, _) = self
            .tasks
            .request(requester, request, &Catalog, &policy())
            .expect("request recorded");
        task
    }

    fn call(&self, identity: &str, task: Option<&str>) -> Result<(), TaskRefusal> {
        let caller = Caller {
            identity,
            session: Some(SESSION),
            task,
        };
        let permit = self
            .tasks
            .authorize_call(&caller, "demo.get_ticket", None)?;
        self.tasks.count_call(&permit)
    }
}

#[tokio::test(start_paused = true)]
async fn an_active_task_expires_when_its_ttl_passes() {
    let fixture = fixture();
    let task = fixture.request(
        json!({"goal": "read", "tools": ["demo.get_ticket"], "ttl": "10m"}),
        None,
    );
    assert_eq!(task.state, TaskState::Active);

    fixture.call(AGENT, None).expect("call within the ttl");
    tokio::time::advance(Duration::from_secs(601)).await;
    let refused = fixture.call(AGENT, None).expect_err("call after the ttl");

    assert!(
        matches!(
            &refused,
            TaskRefusal::Ended {
                state: TaskState::Expired,
                ..
            }
        ),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("ttl of 10m passed"),
        "{refused}"
    );
    let stored = fixture.store.get_task(&task.id).unwrap().unwrap();
    for id in &stored.revocation_ids {
        assert!(fixture.store.is_revoked(id).unwrap(), "{id} revoked");
    }
}

#[tokio::test(start_paused = true)]
async fn the_sweeper_expires_idle_tasks_and_announces_it() {
    let fixture = fixture();
    let task = fixture.request(
        json!({"goal": "read", "tools": ["demo.get_ticket"], "ttl": 60}),
        None,
    );
    fixture.changed.lock().unwrap().clear();

    tokio::time::advance(Duration::from_secs(59)).await;
    assert_eq!(fixture.tasks.expire_lapsed(), 0);
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(fixture.tasks.expire_lapsed(), 1);

    let stored = fixture.store.get_task(&task.id).unwrap().unwrap();
    assert_eq!(stored.state, TaskState::Expired);
    assert_eq!(*fixture.changed.lock().unwrap(), [AGENT]);
}

#[tokio::test(start_paused = true)]
async fn a_pending_task_expires_when_no_approver_acts_even_before_the_sweeper_runs() {
    let fixture = fixture();
    let task = fixture.request(
        json!({"goal": "close", "tools": ["demo.close_ticket"]}),
        None,
    );
    assert_eq!(task.state, TaskState::Pending);
    assert_eq!(task.approver_role.as_deref(), Some("approver"));

    tokio::time::advance(Duration::from_secs(3601)).await;
    let approved = fixture
        .tasks
        .approve(&task.id, "spiffe://example.org/human/alice", None);

    assert!(
        matches!(
            approved,
            Err(TaskRefusal::WrongState {
                state: TaskState::Expired,
                ..
            })
        ),
        "{approved:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_approved_task_lives_its_ttl_from_the_approval() {
    let fixture = fixture();
    let task = fixture.request(
        json!({"goal": "close", "tools": ["demo.close_ticket", "demo.get_ticket"], "ttl": "10m"}),
        None,
    );
    let before = fixture.call(AGENT, Some(&task.id)).expect_err("pending");
    assert!(matches!(before, TaskRefusal::Pending { .. }), "{before}");

    tokio::time::advance(Duration::from_secs(30 * 60)).await;
    fixture
        .tasks
        .approve(
            &task.id,
            "spiffe://example.org/human/alice",
            Some("ok".into()),
        )
        .expect("approved");
    tokio::time::advance(Duration::from_secs(9 * 60)).await;
    fixture
        .call(AGENT, Some(&task.id))
        .expect("within the ttl from approval");
    tokio::time::advance(Duration::from_secs(61)).await;

    let after = fixture.call(AGENT, Some(&task.id)).expect_err("ttl passed");
    assert!(
        matches!(
            after,
            TaskRefusal::Ended {
                state: TaskState::Expired,
                ..
            }
        ),
        "{after}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_call_that_spends_the_budget_passes_and_ends_the_task() {
    let fixture = fixture();
    fixture.request(
        json!({"goal": "read", "tools": ["demo.get_ticket"], "budget": 2}),
        None,
    );

    fixture.call(AGENT, None).expect("first call");
    fixture.call(AGENT, None).expect("second call");
    let third = fixture.call(AGENT, None).expect_err("budget spent");

    assert!(
        third
            .to_string()
            .contains("call budget of 2 calls is spent"),
        "{third}"
    );
}

#[tokio::test(start_paused = true)]
async fn another_identity_cannot_use_a_task_even_by_id() {
    let fixture = fixture();
    let task = fixture.request(json!({"goal": "read", "tools": ["demo.get_ticket"]}), None);

    let named = fixture
        .call(OTHER, Some(&task.id))
        .expect_err("foreign task");
    let unnamed = fixture.call(OTHER, None).expect_err("no task of its own");

    assert!(matches!(named, TaskRefusal::UnknownTask { .. }), "{named}");
    assert!(matches!(unnamed, TaskRefusal::NoTask { .. }), "{unnamed}");
}

#[tokio::test(start_paused = true)]
async fn a_restart_settles_tasks_that_ended_while_the_gateway_was_down() {
    let fixture = fixture();
    let lasting = fixture.request(
        json!({"goal": "a", "tools": ["demo.get_ticket"], "ttl": "2h"}),
        None,
    );
    let lapsing = fixture.request(
        json!({"goal": "b", "tools": ["demo.get_ticket"], "ttl": "1m"}),
        None,
    );
    let in_session = fixture.request(
        json!({"goal": "c", "tools": ["demo.get_ticket"]}),
        Some("old-boot-3"),
    );

    tokio::time::advance(Duration::from_secs(120)).await;
    let (restarted, _) = reopen(&fixture._keys_dir, &fixture.store, fixture.clock);

    let state = |id: &str| restarted.get(id).unwrap().unwrap().state;
    assert_eq!(state(&lasting.id), TaskState::Active);
    assert_eq!(state(&lapsing.id), TaskState::Expired);
    assert_eq!(state(&in_session.id), TaskState::Revoked);
    let caller = Caller {
        identity: AGENT,
        session: Some(SESSION),
        task: None,
    };
    let permit = restarted.authorize_call(&caller, "demo.get_ticket", None);
    assert_eq!(permit.expect("the lasting task serves").task_id, lasting.id);
}

#[tokio::test(start_paused = true)]
async fn a_closed_session_revokes_its_tasks_only() {
    let fixture = fixture();
    let mine = fixture.request(
        json!({"goal": "a", "tools": ["demo.get_ticket"]}),
        Some(SESSION),
    );
    let pipeline = fixture.request(json!({"goal": "b", "tools": ["demo.get_ticket"]}), None);

    fixture.tasks.session_closed(SESSION);

    let state = |id: &str| fixture.tasks.get(id).unwrap().unwrap().state;
    assert_eq!(state(&mine.id), TaskState::Revoked);
    assert_eq!(state(&pipeline.id), TaskState::Active);
}

#[tokio::test(start_paused = true)]
async fn arguments_outside_the_constraints_are_refused_with_the_rule() {
    let fixture = fixture();
    fixture.request(
        json!({"goal": "read", "tools": ["demo.get_ticket"],
               "constraints": [{"kind": "prefix", "arg": "id", "prefix": "T-"}]}),
        None,
    );
    let caller = Caller {
        identity: AGENT,
        session: Some(SESSION),
        task: None,
    };

    let inside = fixture.tasks.authorize_call(
        &caller,
        "demo.get_ticket",
        Some(&args(json!({"id": "T-1"}))),
    );
    let outside = fixture.tasks.authorize_call(
        &caller,
        "demo.get_ticket",
        Some(&args(json!({"id": "X-1"}))),
    );
    let ungranted = fixture
        .tasks
        .authorize_call(&caller, "demo.close_ticket", None);

    assert!(inside.is_ok(), "{inside:?}");
    let outside = outside.expect_err("outside the prefix").to_string();
    assert!(outside.contains("`id` must start with \"T-\""), "{outside}");
    let ungranted = ungranted.expect_err("not granted").to_string();
    assert!(ungranted.contains("not granted to task"), "{ungranted}");
}
