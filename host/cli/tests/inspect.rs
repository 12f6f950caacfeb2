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

#[test]
fn inspect_flags_imports_the_host_does_not_provide() {
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
            .any(|l| l.contains("wasi:sockets/tcp") && l.contains("NOT PROVIDED")),
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
