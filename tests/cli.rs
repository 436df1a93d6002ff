//! The `warden` command line as a user meets it: help with examples, one
//! clear line on a bad configuration, and JSON logs on request.

mod support;

use std::process::{Command, Output};

use support::{GatewayLaunch, demo_upstream, warden_exe};

fn warden(args: &[&str]) -> Output {
    Command::new(warden_exe())
        .args(args)
        .output()
        .expect("run warden")
}

#[test]
fn help_names_the_commands_and_shows_an_example() {
    let top = warden(&["--help"]);
    let serve = warden(&["serve", "--help"]);

    let top = String::from_utf8_lossy(&top.stdout);
    let serve = String::from_utf8_lossy(&serve.stdout);
    assert!(top.contains("serve") && top.contains("dev"), "{top}");
    assert!(
        serve.contains("warden serve --config warden.toml"),
        "{serve}"
    );
}

#[test]
fn a_config_with_an_unknown_key_is_refused_in_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("warden.toml");
    std::fs::write(
        &config,
        "[gateway]\nlisten = \"127.0.0.1:0\"\nlisten_address = 1\n",
    )
    .expect("write config");

    let output = warden(&["serve", "--config", config.to_str().unwrap_or_default()]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("line 3, column 1"), "{stderr}");
    assert!(
        stderr.contains("unknown field `listen_address`"),
        "{stderr}"
    );
}

#[test]
fn a_config_without_identity_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("warden.toml");
    std::fs::write(&config, "[gateway]\nlisten = \"127.0.0.1:0\"\n").expect("write config");

    let output = warden(&["serve", "--config", config.to_str().unwrap_or_default()]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("missing table `[identity]`"), "{stderr}");
    assert!(stderr.contains("trust_domain"), "{stderr}");
}

#[test]
fn a_missing_jwt_bundle_is_named_at_start_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("warden.toml");
    let text = "[gateway]\nlisten = \"127.0.0.1:0\"\n[identity]\ntrust_domain = \"example.org\"\n\
                audience = \"spiffe://example.org/warden\"\njwt_bundle = \"/nonexistent/b.jwks\"\n";
    std::fs::write(&config, text).expect("write config");

    let output = warden(&["serve", "--config", config.to_str().unwrap_or_default()]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/b.jwks"), "{stderr}");
}

#[test]
fn dev_svid_refuses_an_id_that_is_not_a_spiffe_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("warden.toml");
    let text = format!(
        "[gateway]\ndata_dir = \"{}\"\n[identity]\ntrust_domain = \"example.org\"\n\
         audience = \"spiffe://example.org/warden\"\njwt_bundle = \"b.jwks\"\n",
        dir.path().join("data").display()
    );
    std::fs::write(&config, text).expect("write config");
    let config = config.to_str().unwrap_or_default();

    let refused = warden(&["dev", "svid", "--config", config, "--id", "agent-7"]);
    let issued = warden(&[
        "dev",
        "svid",
        "--config",
        config,
        "--id",
        "spiffe://example.org/a",
    ]);

    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--id `agent-7`"), "{stderr}");
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let token = String::from_utf8_lossy(&issued.stdout);
    assert_eq!(token.trim().split('.').count(), 3, "a compact JWS: {token}");
    assert!(dir.path().join("data/dev/jwt-bundle.json").exists());
}

#[test]
fn identity_commands_explain_themselves() {
    let bridge = String::from_utf8_lossy(&warden(&["bridge", "--help"]).stdout).into_owned();
    let svid = String::from_utf8_lossy(&warden(&["dev", "svid", "--help"]).stdout).into_owned();

    assert!(
        bridge.contains("warden bridge --url http://127.0.0.1:7420/mcp --svid"),
        "{bridge}"
    );
    assert!(
        svid.contains("warden dev svid --id spiffe://example.org/agent/demo"),
        "{svid}"
    );
}

#[test]
fn a_missing_config_file_is_named() {
    let output = warden(&["serve", "--config", "/nonexistent/warden.toml"]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read config file `/nonexistent/warden.toml`"),
        "{stderr}"
    );
}

#[test]
fn check_prints_the_embedded_defaults_without_serving() {
    let output = warden(&["serve", "--check"]);

    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("127.0.0.1:7420"), "{stdout}");
    assert!(stdout.contains("demo-upstream"), "{stdout}");
}

#[test]
fn json_logs_are_one_object_per_line() {
    let gateway = GatewayLaunch::new(demo_upstream("demo", ""))
        .env("WARDEN_LOG", "info")
        .json_logs()
        .start();

    let log = gateway.log();
    let lines: Vec<_> = log.lines().filter(|line| !line.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "the gateway logged at start-up");
    for line in lines {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
        assert!(
            event["level"].is_string() && event["message"].is_string(),
            "{line}"
        );
    }
}

#[test]
fn every_shipped_example_config_is_valid() {
    let examples = support::workspace_root().join("examples");
    let mut checked = 0;

    for entry in std::fs::read_dir(&examples)
        .expect("examples folder")
        .flatten()
    {
        let path = entry.path();
        if path
            .extension()
            .is_some_and(|extension| extension == "toml")
        {
            let output = warden(&[
                "serve",
                "--check",
                "--config",
                path.to_str().unwrap_or_default(),
            ]);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "{}: {stderr}", path.display());
            checked += 1;
        }
    }

    assert!(
        checked > 0,
        "no example configuration found in {}",
        examples.display()
    );
}

#[test]
fn sigterm_stops_the_gateway_and_its_upstreams() {
    let mut gateway = GatewayLaunch::new(demo_upstream("demo", "")).start();
    let children = gateway.children();
    assert_eq!(
        children.len(),
        1,
        "the demo upstream runs as a child: {children:?}"
    );

    let status = gateway.terminate();

    assert!(status.success(), "clean exit: {status}\n{}", gateway.log());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::path::Path::new(&format!("/proc/{}", children[0])).exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "upstream child outlived the gateway"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
