//! The limits suite (issue "Trust", every host-side buffer bounded): a robot
//! (`tests/fixtures/hoarder`) grows, one dossier at a time, each count it
//! controls (state keys and bytes, log lines, evidence files and bytes,
//! spool bytes, live handles, the length of names and reasons the host
//! stores). Each must be refused with a `limit` error the robot sees, leave a
//! deny record where it is a capability call, and the run must go on to the
//! next dossier and print its summary.

mod common;

use std::collections::BTreeMap;

use common::Env;
use pont_test_artifacts::{fixture_manifest, wasm};
use rusqlite::Connection;

/// Hoards refused with a `limit` error, with the audit record's capability.
const LIMITED: [(&str, &str); 7] = [
    ("state-keys", "state"),
    ("state-bytes", "state"),
    ("evidence-bytes", "log"),
    ("evidence-count", "log"),
    ("spool", "blob"),
    ("spool-read", "files"),
    ("handles", "blob"),
];

/// The hoards in queue order (evidence first by bytes, then names, then count:
/// they share the run's evidence limits).
const HOARDS: [&str; 13] = [
    "state-keys",
    "state-bytes",
    "log-flood",
    "evidence-bytes",
    "evidence-names",
    "evidence-count",
    "spool",
    "spool-read",
    "handles",
    "long-name",
    "long-reason",
    "long-failure",
    "long-wait",
];

const LIMITS: &str = "[limits]\nstate-keys = 5\nstate-mb = 1\nlog-lines-per-item = 50\n\
    evidence-per-run = 5\nevidence-mb-per-run = 1\nspool-mb = 2\nhandles-per-item = 20\n";

struct Setup {
    env: Env,
    config: std::path::PathBuf,
    /// Hoard → dossier number.
    numbers: BTreeMap<&'static str, i64>,
}

fn setup() -> Setup {
    let env = Env::new();
    let data = env.path("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("big.bin"), vec![0u8; 3 * 1024 * 1024]).unwrap();
    let numbers: BTreeMap<&str, i64> = HOARDS
        .iter()
        .enumerate()
        .map(|(i, h)| (*h, 1 + i as i64))
        .collect();
    let settings: String = numbers
        .iter()
        .map(|(h, n)| format!("\"{n}\" = \"{h}\"\n"))
        .collect();
    let queue: Vec<String> = (1..=HOARDS.len()).map(|n| n.to_string()).collect();
    let extra = format!(
        "[grant]\nlog = true\nstate = true\n\n\
         [grant.mounts.data]\npath = \"data\"\naccess = \"read-only\"\n\n\
         {LIMITS}\n[queue]\ndossiers = [{}]\nmax-attempts = 1\n\n[settings]\n{settings}",
        queue.join(", ")
    );
    let config = env.config(&wasm("hoarder"), &fixture_manifest("hoarder"), &extra);
    Setup {
        env,
        config,
        numbers,
    }
}

#[test]
fn every_robot_count_is_bounded_refused_audited_and_the_run_goes_on() {
    let s = setup();
    let ran = s.env.pont(&[
        "run",
        "--json",
        "--allow-unsigned",
        &s.config.display().to_string(),
    ]);
    ran.assert_no_panic();
    // The host lived to the end: one item failed on purpose (`long-failure`).
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let summary = ran.json();
    let items = summary["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        HOARDS.len(),
        "the run went through every hoard"
    );
    let item = |hoard: &str| {
        let n = s.numbers[hoard];
        items.iter().find(|i| i["number"] == n).unwrap().clone()
    };
    let reason = |hoard: &str| item(hoard)["reason"].as_str().unwrap().to_string();
    let audit = s.env.audit();
    for (hoard, capability) in LIMITED {
        let r = reason(hoard);
        assert!(
            item(hoard)["status"] == "done" && r.contains(": Error::Limit(\""),
            "{hoard} was not refused at a limit: {r}"
        );
        assert!(
            r.contains("limits."),
            "{hoard}: the error names no key: {r}"
        );
        let n = s.numbers[hoard];
        assert!(
            audit.iter().any(|a| a["item"] == n
                && a["decision"] == "deny"
                && a["capability"] == capability
                && a["reason"].as_str().unwrap().contains("limits.")),
            "{hoard}: no deny record for {capability}"
        );
    }
    // The counts stopped where the config says.
    assert!(reason("state-keys").starts_with("stopped after 5:"));
    assert!(reason("state-bytes").starts_with("stopped after 1:"));
    assert!(reason("evidence-bytes").starts_with("stopped after 1:"));
    // Five per run: one kept by evidence-bytes, one by evidence-names.
    assert!(reason("evidence-count").starts_with("stopped after 3:"));
    assert!(reason("spool").starts_with("stopped after 2:"));
    let handles: usize = reason("handles")["stopped after ".len()..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((10..=20).contains(&handles), "{handles} handles");
    check_evidence(&s, &reason("evidence-names"));
    check_log_flood(&s);
    check_long_texts(&s, &reason);
    // The audit trail is intact.
    let verify = s.env.pont(&[
        "audit",
        "verify",
        &s.env.path("audit.jsonl").display().to_string(),
    ]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
}

/// A robot's evidence never lands on the host's own names, and a second
/// piece under one name is refused, not written over the first.
fn check_evidence(s: &Setup, names: &str) {
    assert!(
        names.starts_with("second refused: Error::Invalid("),
        "evidence under a taken name: {names}"
    );
    let db = Connection::open(s.env.path("journal.sqlite")).unwrap();
    let paths: Vec<(String, i64)> = db
        .prepare("SELECT path, size FROM evidence WHERE item = ?1")
        .unwrap()
        .query_map([s.numbers["evidence-names"]], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    let (path, size) = &paths[0];
    assert!(path.ends_with("-robot-browser-failure-0.png"), "{path}");
    assert_eq!(std::fs::metadata(path).unwrap().len(), 10);
    assert_eq!(*size, 10);
}

/// Past 50 lines, the rest are dropped and one line says how many.
fn check_log_flood(s: &Setup) {
    let db = Connection::open(s.env.path("journal.sqlite")).unwrap();
    let lines: Vec<String> = db
        .prepare("SELECT message FROM logs WHERE item = ?1 ORDER BY id")
        .unwrap()
        .query_map([s.numbers["log-flood"]], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(lines.len(), 51, "{} lines kept", lines.len());
    assert_eq!(lines[49], "line 49");
    assert!(
        lines[50].starts_with("4950 log lines dropped") && lines[50].contains("log-lines-per-item"),
        "{}",
        lines[50]
    );
}

/// A 50 MB mount name writes a bounded audit record, and reasons the robot
/// chose are kept bounded in the journal and the summary.
fn check_long_texts(s: &Setup, reason: &dyn Fn(&str) -> String) {
    let n = s.numbers["long-name"];
    let text = std::fs::read_to_string(s.env.path("audit.jsonl")).unwrap();
    let audit_bytes: usize = text
        .lines()
        .filter(|l| l.contains(&format!("\"item\":{n},")))
        .map(str::len)
        .sum();
    assert!(
        audit_bytes < 8 * 1024,
        "{audit_bytes} bytes of audit for the long name"
    );
    let record = s
        .env
        .audit()
        .into_iter()
        .find(|a| a["item"] == n && a["decision"] == "deny")
        .expect("the long name was denied and audited");
    let target = record["target"].as_str().unwrap();
    assert!(target.len() < 1100, "{} bytes of target", target.len());
    assert!(target.ends_with("…[truncated, 52428800 bytes]"), "{target}");
    let r = reason("long-name");
    assert!(r.starts_with("stopped after 0"), "{r}");
    for hoard in ["long-reason", "long-failure", "long-wait"] {
        let r = reason(hoard);
        assert!(r.len() < 5000, "{hoard}: {} bytes of reason", r.len());
        assert!(r.ends_with("…[truncated, 1048576 bytes]"), "{hoard}: {r}");
    }
    let db = Connection::open(s.env.path("journal.sqlite")).unwrap();
    for table in ["items", "queue"] {
        let longest: i64 = db
            .query_row(
                &format!("SELECT MAX(length(reason)) FROM {table}"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(longest < 5000, "{longest} bytes of reason in {table}");
    }
}
