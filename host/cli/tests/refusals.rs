//! Bad input of every kind gets one line naming the problem and its own exit
//! code, never a panic.

mod common;

use common::Env;
use pont_test_artifacts::{plugin_manifest, wasm};

const GRANTS: &str = "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [1]\n";

/// An import that is no standard WASI interface and no Pont capability (here
/// a made-up raw network interface, in a component written as text) is
/// refused before anything runs. (Sockets are linked and always denied: see
/// `foreign_robots.rs`.)
#[test]
fn a_component_importing_an_unknown_interface_is_refused_before_instantiation() {
    let env = Env::new();
    let wat = env.path("raw.wat");
    std::fs::write(
        &wat,
        r#"(component (import "evil:net/raw@0.1.0" (instance (export "connect" (func)))))"#,
    )
    .unwrap();
    let cfg = env.config(&wat, &plugin_manifest("hello"), GRANTS);
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 6, "{}", ran.stderr);
    ran.assert_no_panic();
    let line = ran.error_line();
    assert!(line.contains("imports `evil:net/raw@0.1.0`"), "{line}");
    assert!(line.contains("which this host does not provide"), "{line}");
    assert!(env.audit().is_empty(), "refused before anything ran");
}

#[test]
fn a_malformed_wasm_is_named() {
    let env = Env::new();
    let bad = env.path("broken.wasm");
    std::fs::write(&bad, b"\0asm\x0d\0\x01\0garbage").unwrap();
    let cfg = env.config(&bad, &plugin_manifest("hello"), GRANTS);
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap()]);
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
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap()]);
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
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap()]);
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
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 7, "{}", ran.stderr);
    assert!(
        ran.error_line().contains("but the robot config pins"),
        "{}",
        ran.stderr
    );
    assert!(env.audit().is_empty(), "nothing ran");
}

#[test]
fn an_unsigned_plugin_does_not_start_without_the_development_flag() {
    let env = Env::new();
    let cfg = env.config(&wasm("hello"), &plugin_manifest("hello"), GRANTS);
    let ran = env.pont(&["run", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 7, "{}", ran.stderr);
    let line = ran.error_line();
    assert!(line.contains("is not trusted"), "{line}");
    assert!(line.contains("--allow-unsigned"), "{line}");
    assert!(env.audit().is_empty(), "nothing ran");

    let dev = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap(), "--json"]);
    assert_eq!(dev.code, 0, "{}", dev.stderr);
    assert!(
        dev.stderr.contains("DEVELOPMENT MODE"),
        "never silently: {}",
        dev.stderr
    );
    assert!(
        dev.json()["signature"]
            .as_str()
            .unwrap()
            .starts_with("NOT VERIFIED")
    );
}

#[test]
fn a_signed_plugin_runs_and_one_signed_by_an_untrusted_key_does_not() {
    let env = Env::new();
    // Sign a copy of hello with its manifest, with a fresh key.
    let plugin = env.path("hello.wasm");
    let manifest = env.path("pont.toml");
    std::fs::copy(wasm("hello"), &plugin).unwrap();
    std::fs::copy(plugin_manifest("hello"), &manifest).unwrap();
    let (sk, pk) = (env.path("k.key"), env.path("k.pub"));
    let keygen = env.pont(&[
        "keygen",
        "--secret-key",
        sk.to_str().unwrap(),
        "--public-key",
        pk.to_str().unwrap(),
    ]);
    assert_eq!(keygen.code, 0, "{}", keygen.stderr);
    let line = keygen
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("for a robot config: trusted-keys = [\""))
        .unwrap()
        .trim_end_matches("\"]");
    assert_eq!(
        env.pont(&[
            "sign",
            "--key",
            sk.to_str().unwrap(),
            plugin.to_str().unwrap()
        ])
        .code,
        0
    );
    let verify = env.pont(&[
        "verify",
        "--public-key",
        pk.to_str().unwrap(),
        plugin.to_str().unwrap(),
    ]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(
        verify.stdout.contains("covered by trusted comment"),
        "{}",
        verify.stdout
    );

    let cfg = env.config(&plugin, &manifest, GRANTS);
    let text = std::fs::read_to_string(&cfg).unwrap().replacen(
        "\n\n[paths]",
        &format!("\ntrusted-keys = [\"{line}\"]\n\n[paths]"),
        1,
    );
    std::fs::write(&cfg, &text).unwrap();
    let ran = env.pont(&["run", cfg.to_str().unwrap(), "--json"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.json()["signature"]
            .as_str()
            .unwrap()
            .starts_with("signature verified: signed by trusted key")
    );

    // Another key signs: the config does not trust it.
    let (sk2, pk2) = (env.path("other.key"), env.path("other.pub"));
    assert_eq!(
        env.pont(&[
            "keygen",
            "--secret-key",
            sk2.to_str().unwrap(),
            "--public-key",
            pk2.to_str().unwrap()
        ])
        .code,
        0
    );
    assert_eq!(
        env.pont(&[
            "sign",
            "--key",
            sk2.to_str().unwrap(),
            plugin.to_str().unwrap()
        ])
        .code,
        0
    );
    let ran = env.pont(&["run", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 7, "{}", ran.stderr);
    assert!(
        ran.error_line().contains("not a trusted key"),
        "{}",
        ran.stderr
    );

    // A manifest changed after signing is refused too.
    assert_eq!(
        env.pont(&[
            "sign",
            "--key",
            sk.to_str().unwrap(),
            plugin.to_str().unwrap()
        ])
        .code,
        0
    );
    std::fs::write(
        &manifest,
        std::fs::read_to_string(&manifest)
            .unwrap()
            .replace("memory-mb = 16", "memory-mb = 17"),
    )
    .unwrap();
    let ran = env.pont(&["run", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 7, "{}", ran.stderr);
    assert!(
        ran.error_line()
            .contains("not the manifest that was signed"),
        "{}",
        ran.stderr
    );
}
