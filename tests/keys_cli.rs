//! `warden keys` and `warden token inspect`, run as a user would: on a real
//! data directory, with tokens minted by the capability library against the
//! key ring the command created.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use warden_capability::{KeyRing, TaskGrant, ToolPattern, mint_task_capability, to_base64};

fn warden(config: &Path, args: &[&str]) -> Output {
    Command::new(support::warden_exe())
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("run warden")
}

/// A configuration whose data directory is `dir/data`.
fn config_in(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("warden.toml");
    let text = format!(
        "[gateway]\ndata_dir = \"{}\"\n[identity]\ntrust_domain = \"example.org\"\n\
         audience = \"spiffe://example.org/warden\"\njwt_bundle = \"b.jwks\"\n",
        dir.join("data").display()
    );
    std::fs::write(&config, text).expect("write config");
    config
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn keys_are_created_once_rotated_and_exported_with_their_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_in(dir.path());

    let init = warden(&config, &["keys", "init"]);
    let again = warden(&config, &["keys", "init"]);
    let rotate = warden(&config, &["keys", "rotate"]);
    let export = warden(&config, &["keys", "export"]);

    assert!(init.status.success(), "{}", stderr(&init));
    assert!(stdout(&init).contains("active key k1"), "{}", stdout(&init));
    assert!(
        !again.status.success(),
        "a second init must not replace the keys"
    );
    assert_eq!(
        stderr(&again).trim_end().lines().count(),
        1,
        "{}",
        stderr(&again)
    );
    assert!(rotate.status.success(), "{}", stderr(&rotate));
    assert!(stdout(&rotate).contains("key k2 is now active; k1 is retired"));
    let exported: serde_json::Value =
        serde_json::from_str(&stdout(&export)).expect("export is JSON");
    let text = exported.to_string();
    assert!(text.contains("\"k1\"") && text.contains("\"k2\""), "{text}");
    assert!(
        !text.contains("private"),
        "no private key is exported: {text}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("data/keys"))
            .expect("keys dir")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key ring is owner-only: {mode:o}");
    }
}

#[test]
fn a_token_is_inspected_block_by_block_with_its_signature_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_in(dir.path());
    assert!(warden(&config, &["keys", "init"]).status.success());
    let ring = KeyRing::open(&dir.path().join("data/keys")).expect("open the key ring");
    let grant = TaskGrant {
        task_id: "t-42".to_owned(),
        identity: "spiffe://example.org/agent/reviewer".to_owned(),
        tools: vec![ToolPattern::parse("demo.get_ticket").expect("tool pattern")],
        constraints: Vec::new(),
        expires_at: SystemTime::now() + Duration::from_secs(600),
    };
    let token = mint_task_capability(&ring, &grant).expect("mint");
    let file = dir.path().join("capability.b64");
    std::fs::write(&file, to_base64(&token).expect("base64")).expect("write token");
    let file = file.to_str().unwrap_or_default();

    let text = warden(&config, &["token", "inspect", file]);
    let json = warden(&config, &["token", "inspect", file, "--json"]);
    let garbage = dir.path().join("garbage.b64");
    std::fs::write(&garbage, "not a token").expect("write garbage");
    let refused = warden(
        &config,
        &["token", "inspect", garbage.to_str().unwrap_or_default()],
    );

    assert!(text.status.success(), "{}", stderr(&text));
    let shown = stdout(&text);
    assert!(shown.contains("signature: valid"), "{shown}");
    assert!(
        shown.contains("identity(\"spiffe://example.org/agent/reviewer\")"),
        "{shown}"
    );
    assert!(shown.contains("task(\"t-42\")"), "{shown}");
    assert!(shown.contains("demo.get_ticket"), "{shown}");
    assert!(shown.contains("revocation id"), "{shown}");
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(parsed["signature"]["status"], "valid");
    assert_eq!(parsed["root_key_id"], "k1");
    assert!(!refused.status.success());
    assert_eq!(
        stderr(&refused).trim_end().lines().count(),
        1,
        "{}",
        stderr(&refused)
    );
}
