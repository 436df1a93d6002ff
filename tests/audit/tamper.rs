//! Every kind of damage to a real log is found by `warden audit verify`,
//! which names the record and the kind of damage and exits non-zero.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::{GatewayLaunch, TestAgent, demo_upstream};
use crate::{config_of, log_of, stderr, stdout, warden_audit};

/// A log of a few calls, closed with a final checkpoint; returns a copy of
/// it, the gateway's public keys, and the gateway (which owns the files).
async fn closed_log() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let mut gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let (agent, _events) = TestAgent::connect_with_task(&gateway, "writer", &["demo.*"]).await;
    for text in ["one", "two", "three"] {
        agent.call("demo.echo", json!({ "text": text })).await;
    }
    drop(agent);
    assert!(gateway.terminate().success(), "{}", gateway.log());

    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("audit.jsonl");
    std::fs::copy(log_of(&gateway), &log).expect("copy the log");
    let keys = warden_audit(&["public-keys", "--config", &config_of(&gateway)]);
    assert!(keys.status.success(), "{}", stderr(&keys));
    let keys_file = dir.path().join("keys.json");
    std::fs::write(&keys_file, &keys.stdout).expect("write keys");
    (dir, log, keys_file)
}

fn verify(log: &Path, keys: &Path) -> std::process::Output {
    warden_audit(&[
        "verify",
        "--log",
        &log.display().to_string(),
        "--keys",
        &keys.display().to_string(),
    ])
}

fn lines(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).expect("read log");
    text.lines().map(str::to_owned).collect()
}

fn write_lines(log: &Path, lines: &[String]) {
    std::fs::write(log, format!("{}\n", lines.join("\n"))).expect("write log");
}

fn refused(output: &std::process::Output) -> String {
    assert!(
        !output.status.success(),
        "verify passed: {}",
        stdout(output)
    );
    let error = stderr(output);
    assert_eq!(error.trim().lines().count(), 1, "one line: {error}");
    error
}

#[tokio::test]
async fn an_untouched_log_verifies_with_its_final_checkpoint() {
    let (_dir, log, keys) = closed_log().await;

    let output = verify(&log, &keys);

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("checkpoints"),
        "{}",
        stdout(&output)
    );
    assert!(
        !stdout(&output).contains("not yet signed"),
        "the close signed the tail"
    );
}

#[tokio::test]
async fn every_kind_of_tampering_is_named_with_its_record() {
    let (dir, log, keys) = closed_log().await;
    let original = lines(&log);
    let call = original
        .iter()
        .position(|line| line.contains("\"kind\":\"tool.call\""))
        .expect("a tool.call record");
    let line_no = call + 1;

    let flipped = {
        let mut copy = original.clone();
        copy[call] = copy[call].replacen("demo.echo", "demo.ecHo", 1);
        copy
    };
    let deleted = {
        let mut copy = original.clone();
        copy.remove(call);
        copy
    };
    let inserted = {
        let mut copy = original.clone();
        copy.insert(call + 1, original[call].clone());
        copy
    };
    let swapped = {
        let mut copy = original.clone();
        copy.swap(call, call + 1);
        copy
    };
    let cases: [(&str, Vec<String>, usize, &str); 4] = [
        (
            "flipped",
            flipped,
            line_no,
            "was altered after it was written",
        ),
        (
            "deleted",
            deleted,
            line_no,
            "record(s) were deleted before this line",
        ),
        ("inserted", inserted, line_no + 1, "a copy was inserted"),
        ("swapped", swapped, line_no, "records were reordered"),
    ];

    for (name, damaged, line, expected) in cases {
        let path = dir.path().join(format!("{name}.jsonl"));
        write_lines(&path, &damaged);
        let error = refused(&verify(&path, &keys));
        assert!(error.contains(&format!("line {line} ")), "{name}: {error}");
        assert!(error.contains(expected), "{name}: {error}");
    }

    let text = std::fs::read_to_string(&log).expect("read");
    let truncated = dir.path().join("truncated.jsonl");
    std::fs::write(&truncated, &text[..text.len() - 40]).expect("write");
    let error = refused(&verify(&truncated, &keys));
    assert!(error.contains("ends in the middle of a record"), "{error}");
}

#[tokio::test]
async fn checkpoints_are_refused_under_foreign_or_unknown_keys() {
    let (dir, log, _keys) = closed_log().await;
    let (_other_dir, _other_log, other_keys) = closed_log().await;
    let renamed = dir.path().join("renamed.json");
    let text = std::fs::read_to_string(&other_keys).expect("read keys");
    std::fs::write(&renamed, text.replace("\"a1\"", "\"a7\"")).expect("write keys");

    let foreign = refused(&verify(&log, &other_keys));
    let unknown = refused(&verify(&log, &renamed));

    assert!(
        foreign.contains("signature by key `a1` does not verify"),
        "{foreign}"
    );
    assert!(
        unknown.contains("signed by key `a1`, which the public keys lack"),
        "{unknown}"
    );
}
