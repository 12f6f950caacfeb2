//! `pont run` end to end: the hello robot, refusals, and robots that
//! misbehave (loops, memory bombs, panics).

mod common;

use common::Env;
use pont_test_artifacts::{fixture_manifest, plugin_manifest, wasm};

const HELLO_GRANTS: &str =
    "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [11, 12, 13]\n";

#[test]
fn hello_greets_each_dossier_and_every_call_is_audited() {
    let env = Env::new();
    let cfg = env.config(&wasm("hello"), &plugin_manifest("hello"), HELLO_GRANTS);
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap(), "--json"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let report = ran.json();
    assert_eq!(report["done"], 3);
    assert_eq!(report["failed"], 0);
    let reasons: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "greeted dossier 11 (1 so far)",
            "greeted dossier 12 (2 so far)",
            "greeted dossier 13 (3 so far)"
        ]
    );

    // Per item hello calls state get (last), get+set (increment), set (last), then log.
    let audit = env.audit();
    assert_eq!(audit.len(), 15, "{audit:#?}");
    for (i, rec) in audit.iter().enumerate() {
        let item = 11 + (i / 5) as i64;
        assert_eq!(rec["item"], item);
        assert_eq!(rec["decision"], "allow");
        assert_eq!(rec["run"], report["run_id"]);
        assert_eq!(rec["plugin"], report["plugin_sha256"]);
    }
    let calls: Vec<String> = audit[..5]
        .iter()
        .map(|r| {
            format!(
                "{}.{} {}",
                r["capability"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["target"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            "state.get last-dossier",
            "state.get greeted",
            "state.set greeted",
            "state.set last-dossier",
            "log.log.info "
        ]
    );

    // The state survives the run: a second run continues the count. The
    // dossiers already greeted are not run again; only the new one is.
    let cfg = env.config(
        &wasm("hello"),
        &plugin_manifest("hello"),
        &HELLO_GRANTS.replace("[11, 12, 13]", "[11, 12, 13, 14]"),
    );
    let again = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap(), "--json"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let again = again.json();
    assert_eq!(again["items"].as_array().unwrap().len(), 1);
    assert_eq!(again["already_handled"], 3);
    assert_eq!(again["items"][0]["reason"], "greeted dossier 14 (4 so far)");
    assert!(
        env.path("cache").read_dir().unwrap().any(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "cwasm"))
    );
}

#[test]
fn hello_log_lines_reach_the_journal() {
    let env = Env::new();
    let cfg = env.config(
        &wasm("hello"),
        &plugin_manifest("hello"),
        &format!("{HELLO_GRANTS}\n[settings]\ngreeting = \"Salut\"\n"),
    );
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.contains("3 done"), "{}", ran.stdout);
    let conn = rusqlite::Connection::open(env.path("journal.sqlite")).unwrap();
    let mut stmt = conn
        .prepare("SELECT item, level, message FROM logs ORDER BY id")
        .unwrap();
    let lines: Vec<(i64, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        lines[0],
        (11, "info".to_string(), "Salut, dossier 11!".to_string())
    );
    assert_eq!(lines.len(), 3);
    let items: i64 = conn
        .query_row(
            "SELECT count(*) FROM items WHERE status = 'done'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(items, 3);
}

#[test]
fn a_request_not_granted_refuses_the_start_and_lists_what_is_missing() {
    let env = Env::new();
    let cfg = env.config(
        &wasm("hello"),
        &plugin_manifest("hello"),
        "[grant]\nlog = true\n\n[limits]\nmemory-mb = 8\n",
    );
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap()]);
    assert_eq!(ran.code, 5, "{}", ran.stderr);
    let line = ran.error_line();
    assert!(
        line.contains("robot `hello` requests what its config does not grant"),
        "{line}"
    );
    assert!(line.contains("state store (grant.state)"), "{line}");
    assert!(
        line.contains("memory 16 MiB (limits.memory-mb is 8)"),
        "{line}"
    );
    assert!(env.audit().is_empty(), "nothing ran");
}

#[test]
fn a_robot_that_loops_forever_is_stopped_at_its_deadline_and_the_run_goes_on() {
    let env = Env::new();
    let extra = "[grant]\nlog = true\n\n[limits]\nitem-timeout-secs = 1\n\n[queue]\ndossiers = [1, 2]\nmax-attempts = 1\n";
    let cfg = env.config(&wasm("looper"), &fixture_manifest("looper"), extra);
    let started = std::time::Instant::now();
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap(), "--json"]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    ran.assert_no_panic();
    let report = ran.json();
    assert_eq!(report["failed"], 2);
    for item in report["items"].as_array().unwrap() {
        assert_eq!(item["outcome"], "system");
        assert_eq!(item["reason"], "deadline of 1 s exceeded");
    }
    assert!(
        started.elapsed().as_secs() < 30,
        "stopped near its deadline"
    );
}

#[test]
fn a_robot_allocating_past_its_cap_traps_and_the_host_reports_it() {
    let env = Env::new();
    let extra = "[grant]\nlog = true\n\n[limits]\nmemory-mb = 16\n\n[queue]\ndossiers = [1]\nmax-attempts = 1\n";
    let cfg = env.config(&wasm("memhog"), &fixture_manifest("memhog"), extra);
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap(), "--json"]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    ran.assert_no_panic();
    let item = &ran.json()["items"][0];
    assert_eq!(item["outcome"], "system");
    assert_eq!(item["reason"], "memory cap of 16 MiB exceeded");
}

#[test]
fn a_panicking_robot_fails_that_item_only() {
    let env = Env::new();
    let extra = "[grant]\nlog = true\n\n[queue]\ndossiers = [1, 2, 3]\nmax-attempts = 1\n";
    let cfg = env.config(&wasm("panicker"), &fixture_manifest("panicker"), extra);
    let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap(), "--json"]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let report = ran.json();
    let outcomes: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["done", "system", "done"]);
    let reason = report["items"][1]["reason"].as_str().unwrap();
    assert!(reason.starts_with("robot trapped"), "{reason}");
    // The panic message the robot printed is in the journal, as stderr.
    let conn = rusqlite::Connection::open(env.path("journal.sqlite")).unwrap();
    let stderr: String = conn
        .query_row(
            "SELECT group_concat(message, ' ') FROM logs WHERE item = 2 AND level = 'stderr'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stderr.contains("index out of bounds"), "{stderr}");
}

#[test]
fn the_audit_of_a_run_verifies_and_a_tampered_one_names_the_record() {
    let env = Env::new();
    let cfg = env.config(&wasm("hello"), &plugin_manifest("hello"), HELLO_GRANTS);
    assert_eq!(
        env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap()])
            .code,
        0
    );
    let audit = env.path("audit.jsonl");
    let ok = env.pont(&["audit", "verify", audit.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(
        ok.stdout.contains("intact (15 records, sealed)"),
        "{}",
        ok.stdout
    );

    let text = std::fs::read_to_string(&audit).unwrap();
    let tampered = text.replacen("\"target\":\"greeted\"", "\"target\":\"greated\"", 1);
    assert_ne!(tampered, text);
    std::fs::write(&audit, tampered).unwrap();
    let bad = env.pont(&["audit", "verify", audit.to_str().unwrap()]);
    assert_eq!(bad.code, 8, "{}", bad.stderr);
    assert!(
        bad.error_line().contains("record 2 (line 2) was altered"),
        "{}",
        bad.stderr
    );
}
