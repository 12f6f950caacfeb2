//! The demo's trust path without the demo's release build: `scripts/demo-sign`
//! makes the demo key once and signs a robot, the committed example config
//! trusts that key where the demo writes it, and the run says the signature
//! was verified, with no development mode. A plugin or manifest changed after
//! signing is refused, and half a key is never replaced.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Env, Ran};
use pont_test_artifacts::{plugin_manifest, wasm};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The layout the example configs expect, in a temporary directory: the
/// hello config copied verbatim under `examples/hello`, the test build of its
/// component where the demo builds it, its manifest under `plugins/hello`.
struct Demo {
    env: Env,
}

impl Demo {
    fn new() -> Self {
        let demo = Self { env: Env::new() };
        let copy = |from: &Path, to: &Path| {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(from, to).unwrap();
        };
        copy(&wasm("hello"), &demo.wasm());
        copy(&plugin_manifest("hello"), &demo.manifest());
        copy(&repo().join("examples/hello/robot.toml"), &demo.config());
        demo
    }

    fn wasm(&self) -> PathBuf {
        self.env
            .path("target/guests/wasm32-wasip2/release/hello.wasm")
    }

    fn manifest(&self) -> PathBuf {
        self.env.path("plugins/hello/pont.toml")
    }

    fn config(&self) -> PathBuf {
        self.env.path("examples/hello/robot.toml")
    }

    fn key(&self, name: &str) -> PathBuf {
        self.env.path(".pont/keys").join(name)
    }

    /// What `scripts/demo` runs to sign a robot.
    fn sign(&self) -> Ran {
        let out = Command::new("bash")
            .arg(repo().join("scripts/demo-sign"))
            .arg(env!("CARGO_BIN_EXE_pont"))
            .arg(self.env.path(".pont/keys"))
            .arg(self.wasm())
            .arg(self.manifest())
            .output()
            .expect("running scripts/demo-sign");
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// What `scripts/demo` runs: the example config, no development flag.
    fn run(&self) -> Ran {
        let cache = self.env.path("cache");
        self.env.pont(&[
            "run",
            "--cache-dir",
            cache.to_str().unwrap(),
            self.config().to_str().unwrap(),
        ])
    }
}

fn assert_no_development_mode(ran: &Ran) {
    for text in [&ran.stdout, &ran.stderr] {
        assert!(
            !text.contains("DEVELOPMENT MODE") && !text.contains("NOT VERIFIED"),
            "{text}"
        );
    }
}

#[test]
fn the_demo_signs_hello_and_its_example_config_runs_it_verified() {
    let demo = Demo::new();
    let signed = demo.sign();
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let key_id = signed
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("demo: key id:"))
        .expect("a new key is announced")
        .trim()
        .to_string();
    let mode = std::fs::metadata(demo.key("demo.key"))
        .unwrap()
        .permissions();
    assert_eq!(mode.mode() & 0o777, 0o600, "the secret key is private");

    let ran = demo.run();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_no_development_mode(&ran);
    let summary = ran
        .stdout
        .lines()
        .find(|l| l.starts_with("plugin:"))
        .expect("the summary names the plugin's trust");
    assert!(
        summary.contains(&format!(
            "signature verified: signed by trusted key {key_id}"
        )),
        "{summary}"
    );
    assert!(ran.stdout.contains("3 done"), "{}", ran.stdout);

    // A second demo signs again with the same key, and still verifies.
    let secret = std::fs::read(demo.key("demo.key")).unwrap();
    let again = demo.sign();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("made earlier"), "{}", again.stderr);
    assert_eq!(std::fs::read(demo.key("demo.key")).unwrap(), secret);
    let rerun = demo.run();
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_no_development_mode(&rerun);
    assert!(
        rerun.stdout.contains("signature verified"),
        "{}",
        rerun.stdout
    );
}

#[test]
fn a_plugin_or_manifest_changed_after_signing_is_refused() {
    let demo = Demo::new();
    assert_eq!(demo.sign().code, 0);
    let original = std::fs::read(demo.wasm()).unwrap();
    // A custom section appended: still a component, no longer what was signed.
    let mut changed = original.clone();
    changed.extend_from_slice(&[0, 4, 3, b'x', b'y', b'z']);
    std::fs::write(demo.wasm(), &changed).unwrap();
    let ran = demo.run();
    assert_eq!(ran.code, 7, "{}", ran.stderr);
    ran.assert_no_panic();
    let line = ran.error_line();
    assert!(line.contains("hello.wasm is not trusted"), "{line}");
    assert!(
        line.contains("the signature does not match the file"),
        "{line}"
    );
    assert!(
        !demo.env.path(".pont/hello/audit.jsonl").exists(),
        "nothing ran"
    );

    std::fs::write(demo.wasm(), &original).unwrap();
    let manifest = std::fs::read_to_string(demo.manifest()).unwrap();
    std::fs::write(demo.manifest(), format!("{manifest}\n# edited\n")).unwrap();
    let ran = demo.run();
    assert_eq!(ran.code, 7, "{}", ran.stderr);
    let line = ran.error_line();
    assert!(line.contains("not the manifest that was signed"), "{line}");
}

#[test]
fn the_demo_never_replaces_half_a_key_and_a_missing_key_file_is_named() {
    let demo = Demo::new();
    assert_eq!(demo.sign().code, 0);
    let secret = std::fs::read(demo.key("demo.key")).unwrap();
    std::fs::remove_file(demo.key("demo.pub")).unwrap();

    let signed = demo.sign();
    assert_eq!(signed.code, 1, "{}", signed.stderr);
    assert!(
        signed.stderr.contains("not replacing a key"),
        "{}",
        signed.stderr
    );
    assert_eq!(std::fs::read(demo.key("demo.key")).unwrap(), secret);
    assert!(!demo.key("demo.pub").exists());

    let ran = demo.run();
    assert_eq!(ran.code, 7, "{}", ran.stderr);
    let line = ran.error_line();
    assert!(line.contains("plugin.trusted-key-files"), "{line}");
    assert!(line.contains("demo.pub"), "{line}");
}

/// The robots `scripts/demo` signs and runs, read from the script itself.
fn demo_robots() -> Vec<String> {
    let script = std::fs::read_to_string(repo().join("scripts/demo")).unwrap();
    let list = script
        .lines()
        .find_map(|l| l.strip_prefix("robots=("))
        .expect("scripts/demo lists its robots")
        .trim_end_matches(')');
    let mut robots: Vec<String> = list.split_whitespace().map(String::from).collect();
    robots.push("hello".into());
    robots
}

#[test]
fn every_example_config_trusts_the_demo_key_and_names_what_the_demo_signs() {
    let robots = demo_robots();
    let mut examples = 0;
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        let path = dir.join("robot.toml");
        if !path.exists() {
            continue;
        }
        examples += 1;
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        assert!(robots.contains(&name), "scripts/demo does not sign {name}");
        let config = pont_policy::RobotConfig::load(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            config.trusted_key_files,
            [dir.join("../../.pont/keys/demo.pub")],
            "{name}"
        );
        let component = format!(
            "../../target/guests/wasm32-wasip2/release/{}.wasm",
            name.replace('-', "_")
        );
        assert_eq!(config.plugin, dir.join(component), "{name}");
        let manifest = format!("../../plugins/{name}/pont.toml");
        assert_eq!(config.manifest, dir.join(manifest), "{name}");
    }
    assert_eq!(examples, robots.len(), "{robots:?}");
}

#[test]
fn the_demo_scripts_parse() {
    for script in ["scripts/demo", "scripts/demo-sign"] {
        let out = Command::new("bash")
            .arg("-n")
            .arg(repo().join(script))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
