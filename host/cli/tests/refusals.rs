//! Bad input of every kind gets one line naming the problem and its own exit
//! code, never a panic.

mod common;

use common::Env;
use pont_test_artifacts::{fixture_manifest, plugin_manifest, wasm};

const GRANTS: &str = "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [1]\n";

#[test]
fn a_component_importing_sockets_is_refused_before_instantiation() {
    let env = Env::new();
    let cfg = env.config(
        &wasm("sockets"),
        &fixture_manifest("sockets"),
        GRANTS.replace("state = true\n", "").as_str(),
    );
    let ran = env.pont(&["run", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 6, "{}", ran.stderr);
    ran.assert_no_panic();
    let line = ran.error_line();
    assert!(line.contains("imports `wasi:sockets/"), "{line}");
    assert!(line.contains("which this host does not provide"), "{line}");
    assert!(env.audit().is_empty(), "refused before anything ran");
}

#[test]
fn a_malformed_wasm_is_named() {
    let env = Env::new();
    let bad = env.path("broken.wasm");
    std::fs::write(&bad, b"\0asm\x0d\0\x01\0garbage").unwrap();
    let cfg = env.config(&bad, &plugin_manifest("hello"), GRANTS);
    let ran = env.pont(&["run", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 6, "{}", ran.stderr);
    ran.assert_no_panic();
    let line = ran.error_line();
    assert!(line.contains("broken.wasm"), "{line}");
    assert!(line.contains("not a valid component"), "{line}");
}

#[test]
fn a_manifest_with_an_unknown_key_is_named() {
    let env = Env::new();
    let manifest = env.path("pont.toml");
    let text = std::fs::read_to_string(plugin_manifest("hello"))
        .unwrap()
        .replace("[requests]", "[requests]\nsockets = true");
    std::fs::write(&manifest, text).unwrap();
    let cfg = env.config(&wasm("hello"), &manifest, GRANTS);
    let ran = env.pont(&["run", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    let line = ran.error_line();
    assert!(line.contains("manifest"), "{line}");
    assert!(line.contains("pont.toml"), "{line}");
    assert!(line.contains("unknown field `sockets`"), "{line}");
}

#[test]
fn a_config_missing_a_required_field_is_named() {
    let env = Env::new();
    let cfg = env.path("robot.toml");
    std::fs::write(
        &cfg,
        format!("[plugin]\npath = \"x.wasm\"\n\n[paths]\njournal = \"j.sqlite\"\n\n{GRANTS}"),
    )
    .unwrap();
    let ran = env.pont(&["run", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    let line = ran.error_line();
    assert!(line.contains("robot config"), "{line}");
    assert!(line.contains("missing field `audit`"), "{line}");
}

#[test]
fn a_missing_config_file_is_named() {
    let env = Env::new();
    let ran = env.pont(&["run", env.path("nope.toml").to_str().unwrap()]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(ran.error_line().contains("nope.toml"));
}

#[test]
fn a_plugin_that_differs_from_its_pinned_digest_does_not_start() {
    let env = Env::new();
    let cfg = env.config(&wasm("hello"), &plugin_manifest("hello"), GRANTS);
    let pin = format!("sha256 = \"{}\"\n", "ab".repeat(32));
    let text = std::fs::read_to_string(&cfg).unwrap().replacen(
        "\n\n[paths]",
        &format!("\n{pin}\n[paths]"),
        1,
    );
    std::fs::write(&cfg, text).unwrap();
    let ran = env.pont(&["run", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 7, "{}", ran.stderr);
    assert!(
        ran.error_line().contains("but the robot config pins"),
        "{}",
        ran.stderr
    );
    assert!(env.audit().is_empty(), "nothing ran");
}
