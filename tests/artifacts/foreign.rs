//! Robots written in Python and JavaScript, built for the tests with the
//! toolchains their authors use: `componentize-py` (pip) and
//! `componentize-js` (npm; `scripts/setup` installs both). Each goes to
//! `<guests>/foreign/<name>.wasm`, rebuilt only when the hash of its inputs
//! (its directory, the Python SDK, the WIT, the tool's version) changes: a
//! Python component takes about 15 s to make.
//!
//! A missing tool is a warning, not a failed build: the Rust robots still
//! build, and the tests that need a foreign robot fail naming what to install.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::process::Command;

enum Lang {
    Python,
    JavaScript,
}

/// (name, language, directory from the repository root, entry file).
const ROBOTS: &[(&str, Lang, &str, &str)] = &[
    (
        "coherence-agents-py",
        Lang::Python,
        "plugins/coherence-agents-py",
        "robot.py",
    ),
    (
        "escape-py",
        Lang::Python,
        "tests/fixtures/escape-py",
        "robot.py",
    ),
    (
        "bench-py",
        Lang::Python,
        "tests/fixtures/bench-py",
        "robot.py",
    ),
    (
        "hello-js",
        Lang::JavaScript,
        "tests/fixtures/hello-js",
        "robot.js",
    ),
];

/// Directories whose files are build outputs or caches, never inputs.
pub const SKIPPED: &[&str] = &["target", "__pycache__", "node_modules"];

/// Build every foreign robot whose inputs changed; returns the output directory.
pub fn build_all(root: &Path, guests: &Path) -> PathBuf {
    let out = guests.join("foreign");
    std::fs::create_dir_all(&out).expect("creating the foreign robots' directory");
    for (name, lang, dir, entry) in ROBOTS {
        let tool = match lang {
            Lang::Python => python_tool(),
            Lang::JavaScript => js_tool(),
        };
        let Some((mut cmd, version)) = tool else {
            println!(
                "cargo::warning=not building {name}: {} is not installed (run scripts/setup)",
                tool_name(lang)
            );
            continue;
        };
        let dir = root.join(dir);
        let mut inputs = vec![dir.clone(), root.join("wit")];
        if matches!(lang, Lang::Python) {
            inputs.push(root.join("sdk/python/pont_sdk"));
        }
        let hash = format!("{:016x}", hash_inputs(&inputs, &version));
        let wasm = out.join(format!("{name}.wasm"));
        let stamp = out.join(format!("{name}.hash"));
        if wasm.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|h| h == hash) {
            continue;
        }
        let tmp = out.join(format!("{name}.wasm.tmp"));
        match lang {
            Lang::Python => cmd.args(python_args(root, &dir, entry, &tmp)),
            Lang::JavaScript => cmd.args(js_args(root, &dir, entry, &tmp)),
        };
        run(&mut cmd, name);
        std::fs::rename(&tmp, &wasm).expect("moving the built component");
        std::fs::write(&stamp, hash).expect("writing the input hash");
    }
    out
}

fn tool_name(lang: &Lang) -> &'static str {
    match lang {
        Lang::Python => "componentize-py",
        Lang::JavaScript => "componentize-js (npm, with node)",
    }
}

/// A command with a clean environment: a snapshotting toolchain must not
/// capture the build's variables into the component, and cargo's must not
/// leak into the tools.
fn clean(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear().env("PYTHONDONTWRITEBYTECODE", "1");
    for key in ["PATH", "HOME"] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd
}

/// `componentize-py` and its version, if installed.
fn python_tool() -> Option<(Command, String)> {
    println!("cargo::rerun-if-env-changed=PONT_COMPONENTIZE_PY");
    let program =
        std::env::var_os("PONT_COMPONENTIZE_PY").unwrap_or_else(|| "componentize-py".into());
    let version = clean(&program).arg("--version").output().ok()?;
    version.status.success().then(|| {
        (
            clean(&program),
            String::from_utf8_lossy(&version.stdout).into_owned(),
        )
    })
}

/// `node` running componentize-js's CLI, and the package's version, if installed.
fn js_tool() -> Option<(Command, String)> {
    println!("cargo::rerun-if-env-changed=PONT_COMPONENTIZE_JS");
    let cli = std::env::var_os("PONT_COMPONENTIZE_JS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| {
                PathBuf::from(h).join(
                    ".cache/pont/node/node_modules/@bytecodealliance/componentize-js/src/cli.js",
                )
            })
        })?;
    let package = cli.parent()?.parent()?.join("package.json");
    let version = std::fs::read_to_string(package).ok()?;
    let node_ok = clean("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    node_ok.then(|| {
        let mut cmd = clean("node");
        cmd.arg(cli);
        (cmd, version)
    })
}

fn python_args(root: &Path, dir: &Path, entry: &str, out: &Path) -> Vec<std::ffi::OsString> {
    let module = entry.trim_end_matches(".py");
    let mut args: Vec<std::ffi::OsString> = vec!["-q".into(), "-d".into()];
    args.push(root.join("wit").into());
    args.extend([
        "-w".into(),
        "pont:robot/robot".into(),
        "componentize".into(),
    ]);
    args.push(module.into());
    args.extend(["-p".into(), dir.into(), "-p".into()]);
    args.push(root.join("sdk/python").into());
    args.extend(["-o".into(), out.into()]);
    args
}

fn js_args(root: &Path, dir: &Path, entry: &str, out: &Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = vec![dir.join(entry).into(), "-w".into()];
    args.push(root.join("wit").into());
    // No fetch (the robot has no HTTP grant), no fetch-event (not a server).
    args.extend(["-n", "robot", "-d", "http", "fetch-event", "-o"].map(Into::into));
    args.push(out.into());
    args
}

fn run(cmd: &mut Command, name: &str) {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run the toolchain for {name}: {e}"));
    assert!(
        output.status.success(),
        "building {name} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The hash of every input file (path and content) and the tool's version.
fn hash_inputs(dirs: &[PathBuf], version: &str) -> u64 {
    let mut files = Vec::new();
    for d in dirs {
        collect(d, &mut files);
    }
    files.sort();
    let mut h = DefaultHasher::new();
    h.write(version.as_bytes());
    for f in files {
        h.write(f.to_string_lossy().as_bytes());
        h.write(&std::fs::read(&f).unwrap_or_default());
    }
    h.finish()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let skip = path
            .file_name()
            .is_some_and(|n| SKIPPED.iter().any(|s| n == *s));
        if skip {
            continue;
        }
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
