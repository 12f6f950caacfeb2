//! Builds the guest workspaces (`plugins/` and `tests/fixtures/`) for
//! `wasm32-wasip2`, so that `cargo test` alone has every robot it needs.
//! The guests go to `target/guests`, outside this build script's OUT_DIR, so
//! the demo and the tests share one build.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "foreign.rs"]
mod foreign;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .join("../..")
        .canonicalize()
        .expect("repository root");
    let target_dir = guest_target_dir(&root);
    for workspace in ["plugins", "tests/fixtures"] {
        let dir = root.join(workspace);
        watch(&dir);
        build(&dir, &target_dir);
    }
    watch(&root.join("sdk"));
    watch(&root.join("wit"));
    let foreign = foreign::build_all(&root, &target_dir);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let release = target_dir.join("wasm32-wasip2/release");
    let code = format!(
        "/// Directory holding the built robot components.\npub const WASM_DIR: &str = {:?};\n/// The repository root.\npub const ROOT: &str = {:?};\n/// Directory holding the Python and JavaScript robots.\npub const FOREIGN_DIR: &str = {:?};\n",
        release.display().to_string(),
        root.display().to_string(),
        foreign.display().to_string()
    );
    std::fs::write(out.join("paths.rs"), code).expect("writing paths.rs");
}

/// The guests build beside the host's own output: under `CARGO_TARGET_DIR`
/// when the caller set one (CI keeps it outside the clone as a build cache),
/// otherwise under the repository's `target/`.
fn guest_target_dir(root: &Path) -> PathBuf {
    println!("cargo::rerun-if-env-changed=CARGO_TARGET_DIR");
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root.join("target"),
    }
    .join("guests")
}

/// Tell cargo to rerun when any source file of the guests changes.
fn watch(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path
            .file_name()
            .is_some_and(|n| foreign::SKIPPED.iter().any(|s| n == *s))
        {
            continue;
        }
        if path.is_dir() {
            watch(&path);
        } else {
            println!("cargo::rerun-if-changed={}", path.display());
        }
    }
}

fn build(workspace: &Path, target_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(target_dir);
    // The outer build's settings (rustc wrappers from clippy, flags, the
    // package's own variables) must not leak into the guest build.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().to_string();
        let keep = key == "CARGO_HOME" || key == "CARGO_MAKEFLAGS";
        let drop = key.starts_with("CARGO_")
            || key.starts_with("RUSTC")
            || matches!(
                key.as_str(),
                "RUSTFLAGS"
                    | "RUSTDOC"
                    | "CLIPPY_ARGS"
                    | "TARGET"
                    | "HOST"
                    | "OUT_DIR"
                    | "OPT_LEVEL"
                    | "PROFILE"
                    | "DEBUG"
                    | "NUM_JOBS"
            );
        if drop && !keep {
            cmd.env_remove(&key);
        }
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo for {}: {e}", workspace.display()));
    assert!(
        status.success(),
        "building the guests in {} failed (is the wasm32-wasip2 target installed? `rustup target add wasm32-wasip2`)",
        workspace.display()
    );
}
