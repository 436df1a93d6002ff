//! The live set on a real directory: hot reload with the watcher running, the
//! last good set kept through a broken edit, recovery, refusal logs, and the
//! content-addressed archive.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;
use warden_policy::{EvalLimits, Operation, PolicyError, PolicyRequest, PolicySet, PolicyStore};

/// How long a change may take to show before the test gives up. The watcher
/// polls every 250 ms; the margin covers a busy host, it is not a timing goal.
const PATIENCE: Duration = Duration::from_secs(5);

fn limits() -> EvalLimits {
    EvalLimits {
        max_time: Duration::from_secs(10),
        ..EvalLimits::default()
    }
}

/// Replaces a file the way careful editors and deploy tools do: write, rename.
fn replace(dir: &Path, name: &str, content: &str) {
    let staging = dir.join(format!(".{name}.tmp"));
    std::fs::write(&staging, content).unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(&staging, dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
}

fn get_ticket() -> PolicyRequest {
    let mut request = PolicyRequest::new(
        Operation::CallTool,
        "spiffe://example.org/agent/demo",
        SystemTime::now(),
    );
    request.tool = Some("demo.get_ticket".to_owned());
    request
}

async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const ECHO_ONLY: &str = "allow(\"echo\") <- tool(\"demo.echo\");\n";
const ECHO_AND_TICKETS: &str =
    "allow(\"echo\") <- tool(\"demo.echo\");\nallow(\"tickets\") <- tool(\"demo.get_ticket\");\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_changes_the_next_decision_and_a_broken_edit_keeps_the_last_good_set() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    replace(dir.path(), "a.policy", ECHO_ONLY);
    let store = PolicyStore::start(dir.path(), limits(), None).unwrap_or_else(|e| panic!("{e}"));
    let shutdown = CancellationToken::new();
    let watcher = store.watch(shutdown.clone());
    let mut versions = store.subscribe();
    assert!(!store.current().decide(&get_ticket()).is_allowed());

    replace(dir.path(), "a.policy", ECHO_AND_TICKETS);
    eventually("the edit", || {
        store.current().decide(&get_ticket()).is_allowed()
    })
    .await;
    let good = store.current().version().clone();
    assert!(versions.has_changed().unwrap_or(false));
    assert_eq!(*versions.borrow_and_update(), good);
    assert_eq!(store.status().version, good);

    replace(dir.path(), "a.policy", "allow(\"tickets\") <- tol($t);\n");
    eventually("the refusal", || store.status().last_error.is_some()).await;
    let status = store.status();
    assert_eq!(status.reload_failures, 1);
    assert_eq!(status.version, good);
    let expected = format!(
        "{}:1:21: unknown predicate `tol` can never match; did you mean `tool`?",
        dir.path().join("a.policy").display()
    );
    assert_eq!(status.last_error.as_deref(), Some(expected.as_str()));
    assert!(
        store.current().decide(&get_ticket()).is_allowed(),
        "the last good set decides"
    );

    replace(dir.path(), "a.policy", ECHO_ONLY);
    eventually("the recovery", || store.status().last_error.is_none()).await;
    assert!(!store.current().decide(&get_ticket()).is_allowed());
    assert_ne!(store.status().version, good);
    assert_eq!(store.status().reload_failures, 1);

    shutdown.cancel();
    tokio::time::timeout(PATIENCE, watcher)
        .await
        .unwrap_or_else(|_| panic!("the watcher must stop on shutdown"))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverting_a_broken_edit_to_the_set_in_force_clears_the_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    replace(dir.path(), "a.policy", ECHO_ONLY);
    let store = PolicyStore::start(dir.path(), limits(), None).unwrap_or_else(|e| panic!("{e}"));
    let shutdown = CancellationToken::new();
    let _watcher = store.watch(shutdown.clone());
    let version = store.current().version().clone();

    replace(dir.path(), "b.policy", "allow(\"x\") <- ");
    eventually("the refusal", || store.status().last_error.is_some()).await;
    std::fs::remove_file(dir.path().join("b.policy")).unwrap_or_else(|e| panic!("{e}"));
    eventually("the recovery", || store.status().last_error.is_none()).await;
    assert_eq!(store.status().version, version);
    shutdown.cancel();
}

#[test]
fn a_store_refuses_to_start_on_a_broken_set() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    replace(
        dir.path(),
        "a.policy",
        "allow(\"x\") <- anotation($t, \"read_only\");",
    );
    let result = PolicyStore::start(dir.path(), limits(), None);
    assert!(
        matches!(result, Err(PolicyError::UnknownPredicate { .. })),
        "{result:?}"
    );
}

/// A writer that keeps what the log subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_refused_change_is_logged_at_error_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    replace(dir.path(), "a.policy", ECHO_ONLY);
    let store = PolicyStore::start(dir.path(), limits(), None).unwrap_or_else(|e| panic!("{e}"));
    replace(dir.path(), "a.policy", "\n\nallow(\"x\") <-  tol($t);\n");

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let result = tracing::subscriber::with_default(subscriber, || store.reload());
    assert!(
        matches!(result, Err(PolicyError::UnknownPredicate { .. })),
        "{result:?}"
    );

    let bytes = captured.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let line: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(line["level"], "ERROR");
    let fields = &line["fields"];
    assert_eq!(
        fields["policy.file"],
        dir.path().join("a.policy").display().to_string()
    );
    assert_eq!(fields["policy.line"], 3);
    assert_eq!(fields["policy.column"], 16);
    assert!(
        fields["error"]
            .as_str()
            .is_some_and(|e| e.contains("`tol`")),
        "{line}"
    );
}

#[test]
fn every_set_in_force_is_archived_by_version_and_loads_back() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let archive = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    replace(dir.path(), "a.policy", ECHO_ONLY);
    let store = PolicyStore::start(dir.path(), limits(), Some(archive.path().to_path_buf()))
        .unwrap_or_else(|e| panic!("{e}"));
    let first = store.current().version().clone();

    replace(dir.path(), "a.policy", ECHO_AND_TICKETS);
    assert!(store.reload().unwrap_or_else(|e| panic!("{e}")));
    let second = store.current().version().clone();
    assert!(
        !store.reload().unwrap_or_else(|e| panic!("{e}")),
        "nothing changed"
    );

    let old = PolicySet::load_archived(archive.path(), &first, limits())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        old.files().get("a.policy").map(String::as_str),
        Some(ECHO_ONLY)
    );
    assert!(!old.decide(&get_ticket()).is_allowed());
    let new = PolicySet::load_archived(archive.path(), &second, limits())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(new.decide(&get_ticket()).is_allowed());
    assert!(
        store.current().archive(archive.path()).is_ok(),
        "archiving twice is harmless"
    );

    let entries = std::fs::read_dir(archive.path()).map_or(0, |entries| entries.count());
    assert_eq!(
        entries, 2,
        "one directory per version, no staging left behind"
    );
}

#[test]
fn an_altered_archive_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let archive = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    replace(dir.path(), "a.policy", ECHO_ONLY);
    let set = PolicySet::load_dir(dir.path(), limits()).unwrap_or_else(|e| panic!("{e}"));
    let entry = set
        .archive(archive.path())
        .unwrap_or_else(|e| panic!("{e}"));
    replace(&entry, "a.policy", ECHO_AND_TICKETS);

    let result = PolicySet::load_archived(archive.path(), set.version(), limits());
    assert!(
        matches!(result, Err(PolicyError::Archive { .. })),
        "{result:?}"
    );
}
