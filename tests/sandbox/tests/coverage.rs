//! The simulator serves (nearly) all of DS's schema: `ds-conformance coverage` against a
//! started sandbox must report at least 95 % of the real schema's fields, every Query and
//! Mutation field and every concrete Champ type. Skipped, with a message, only when python3
//! with graphql-core or the tool is missing.

mod common;

use common::{RW, small};

fn tool() -> Option<std::path::PathBuf> {
    let tool = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/tools/ds-conformance");
    let probe = std::process::Command::new("python3")
        .args(["-c", "import graphql"])
        .status();
    if !probe.map(|s| s.success()).unwrap_or(false) || !tool.exists() {
        eprintln!(
            "SKIPPED ds_conformance_coverage: python3 with graphql-core or {} is missing",
            tool.display()
        );
        return None;
    }
    Some(tool)
}

/// `(served, total)` of one kind in the tool's verdict line, e.g. `fields 930/970 (96%)`.
fn counts(line: &str, kind: &str) -> (u32, u32) {
    let rest = line
        .split(&format!("{kind} "))
        .nth(1)
        .unwrap_or_else(|| panic!("no {kind:?} in {line:?}"));
    let frac = rest.split_whitespace().next().unwrap_or_default();
    let (a, b) = frac
        .split_once('/')
        .unwrap_or_else(|| panic!("bad {frac:?}"));
    (a.parse().unwrap(), b.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_conformance_coverage_at_least_95() {
    let Some(tool) = tool() else { return };
    let env = small().await;
    let url = env.sb.ds_url();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(tool)
            .args(["coverage", &url, RW, "--missing", "--min", "95"])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    let verdict = stdout.lines().last().unwrap_or_default();
    assert!(verdict.ends_with("; ok"), "{verdict}");
    for kind in ["query fields", "mutation fields", "champ types"] {
        let (served, total) = counts(verdict, kind);
        assert_eq!(served, total, "{kind} not all served:\n{stdout}");
    }
    let (served, total) = counts(verdict, "fields");
    assert!(served * 100 >= total * 95, "{verdict}");
}
