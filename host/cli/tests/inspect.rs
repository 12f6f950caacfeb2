//! `pont inspect` lists a component's WIT imports and exports and its SHA-256.

mod common;

use common::Env;
use pont_test_artifacts::{fixture_manifest, plugin_manifest, wasm};
use sha2::{Digest, Sha256};

#[test]
fn inspect_lists_hello_imports_exports_and_digest() {
    let env = Env::new();
    let path = wasm("hello");
    let ran = env.pont(&[
        "inspect",
        path.to_str().unwrap(),
        "--manifest",
        plugin_manifest("hello").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let v = ran.json();
    let digest = hex::encode(Sha256::digest(std::fs::read(&path).unwrap()));
    assert_eq!(v["sha256"], digest);
    let imports: Vec<&str> = v["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(imports.contains(&"pont:robot/log@0.1.0"), "{imports:?}");
    assert!(imports.contains(&"pont:robot/state@0.1.0"), "{imports:?}");
    assert!(
        v["imports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["provided"] == true)
    );
    let state = v["imports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "pont:robot/state@0.1.0")
        .unwrap();
    assert_eq!(state["items"], serde_json::json!(["get()", "set()"]));
    let exports: Vec<&str> = v["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(exports, ["init", "process", "finish"]);
    assert_eq!(v["manifest"]["name"], "hello");

    let text = env.pont(&[
        "inspect",
        path.to_str().unwrap(),
        "--manifest",
        plugin_manifest("hello").to_str().unwrap(),
    ]);
    assert!(
        text.stdout.contains(&format!("sha256:   {digest}")),
        "{}",
        text.stdout
    );
}

/// Sockets are linked (CPython imports them) but every call is refused: inspect says so.
#[test]
fn inspect_lists_sockets_as_linked_and_always_denied() {
    let env = Env::new();
    let ran = env.pont(&[
        "inspect",
        wasm("sockets").to_str().unwrap(),
        "--manifest",
        fixture_manifest("sockets").to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.contains("wasi:sockets/tcp") && l.contains("(linked, always denied)")),
        "{}",
        ran.stdout
    );
}

#[test]
fn help_is_there_for_every_command() {
    let env = Env::new();
    for args in [&["--help"][..], &["run", "--help"], &["inspect", "--help"]] {
        let ran = env.pont(args);
        assert_eq!(ran.code, 0);
        assert!(ran.stdout.contains("Usage: pont"), "{}", ran.stdout);
    }
    assert!(env.pont(&["run", "--help"]).stdout.contains("Exit codes:"));
}

/// `pont grant` drafts a config naming every request of the manifest, pinned to the plugin,
/// that does not run until the operator fills in what only they know; once filled, it parses.
#[test]
fn grant_drafts_a_config_that_spells_out_every_request_and_grants_nothing_unfilled() {
    let env = Env::new();
    let plugin = pont_test_artifacts::wasm("escape");
    let manifest = pont_test_artifacts::fixture_manifest("escape");
    let out = env.path("draft.toml");
    let ran = env.pont(&[
        "grant",
        &plugin.display().to_string(),
        "--manifest",
        &manifest.display().to_string(),
        "--output",
        &out.display().to_string(),
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let draft = std::fs::read_to_string(&out).unwrap();
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&plugin).unwrap()))
    };
    for needle in [
        format!("sha256 = \"{digest}\""),
        "[grant.http.echo]".into(),
        "[grant.http.by-name]".into(),
        "[grant.browser.chorus]".into(),
        "[grant.secrets.token]".into(),
        "[grant.mounts.data]".into(),
        "access = \"read-only\"".into(),
        "[grant.mounts.out]".into(),
        "actions = [\"read\"]".into(),
        "memory-mb = 64".into(),
    ] {
        assert!(draft.contains(&needle), "missing `{needle}` in:\n{draft}");
    }
    // Unfilled, it is refused, naming the first empty value.
    let run = env.pont(&["run", &out.display().to_string()]);
    assert_ne!(run.code, 0);
    assert!(
        run.error_line().contains("ds.instructeur"),
        "{}",
        run.error_line()
    );
    // A second draft never replaces the first.
    let again = env.pont(&[
        "grant",
        &plugin.display().to_string(),
        "--manifest",
        &manifest.display().to_string(),
        "--output",
        &out.display().to_string(),
    ]);
    assert_ne!(again.code, 0);
    // Filled in, it is a valid robot config.
    let filled = draft
        .replace("origin = \"\"", "origin = \"http://127.0.0.1:9\"")
        .replace("path = \"\"", "path = \"/srv/x\"")
        .replace(
            "instructeur = \"\"",
            "instructeur = \"robot@example.gouv.fr\"",
        )
        .replace("demarches = []", "demarches = [101]")
        .replace("apps = []", "apps = [\"chorus\"]");
    pont_policy::RobotConfig::parse(&filled, &out).unwrap();
}
