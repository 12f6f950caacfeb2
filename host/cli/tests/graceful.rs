//! The graceful stop of `pont run`, with the real binary against the
//! sandbox: SIGTERM in the middle of 50 dossiers lets the running ones
//! finish and settle, marks the run `stopped` (exit 9), sends nothing to
//! review, and the next run continues with the rest; a second signal stops
//! at once (exit 143) and the next run applies the crash rules.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Env;
use pont_sandbox::Sandbox;
use pont_sandbox::model::State;
use pont_sandbox::seed::robot_instructeur_email;
use pont_test_artifacts::{fixture_manifest, wasm};
use rusqlite::Connection;

const DEMARCHE: i64 = 101;
const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";

/// The scripted robot as a clerk (en instruction, then accepted) on
/// démarche 101, whose `process` is not declared idempotent: a dossier a
/// crash interrupts goes to review, so one sent there by a stop would show.
fn clerk_config(env: &Env, sb: &Sandbox) -> PathBuf {
    let extra = format!(
        "[ds]\nendpoint = \"{}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{}\"\nrequests-per-minute = 100000\n\n\
         [grant]\nlog = true\n\n\
         [grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\", \"passer-en-instruction\", \"accepter\"]\n\n\
         [queue]\ndemarche = {DEMARCHE}\nstates = [\"en_construction\"]\n\n\
         [settings]\nds = \"true\"\n",
        sb.ds_url(),
        robot_instructeur_email(DEMARCHE).unwrap()
    );
    env.config(&wasm("scripted"), &fixture_manifest("scripted"), &extra)
}

/// 50 dossiers en construction, each DS request slowed down so that items
/// are surely running when the signal comes.
async fn slow_world(dossiers: usize, latency_ms: u64) -> Sandbox {
    let sb = common::seeded_sandbox(DEMARCHE, dossiers, 19, State::EnConstruction).await;
    sb.world().set_faults(pont_sandbox::Faults {
        latency_ms,
        seed: 19,
        ..pont_sandbox::Faults::default()
    });
    sb
}

fn spawn_run(cfg: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(["run", "--allow-unsigned", "--json", "--parallel", "2"])
        .arg(cfg)
        .env(TOKEN_VAR, "sandbox-rw-all")
        .env("PONT_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {name} failed");
}

fn count(journal: &Path, sql: &str) -> i64 {
    match Connection::open(journal) {
        Ok(c) => c.query_row(sql, [], |r| r.get(0)).unwrap_or(0),
        Err(_) => 0,
    }
}

/// Poll the journal (bounded) until `sql` counts at least `n`.
async fn until_count(journal: &Path, sql: &str, n: i64) {
    let started = Instant::now();
    while count(journal, sql) < n {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never reached {n}: {sql}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wait (bounded) for the child; returns its exit code, stdout and stderr.
async fn finish(child: Child) -> (i32, String, String) {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Dossier → how often the simulator applied `accepter` to it.
fn accepted(sb: &Sandbox) -> BTreeMap<i64, usize> {
    let mut out = BTreeMap::new();
    for m in sb.world().mutation_log() {
        if m.applied && m.operation == "dossierAccepter" {
            *out.entry(m.dossier.unwrap()).or_insert(0) += 1;
        }
    }
    out
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_running_items_finish_and_the_next_run_continues() {
    let sb = slow_world(50, 60).await;
    let env = Env::new();
    let cfg = clerk_config(&env, &sb);
    let journal = env.path("journal.sqlite");
    let child = spawn_run(&cfg);
    until_count(
        &journal,
        "SELECT count(*) FROM queue WHERE status = 'done'",
        6,
    )
    .await;
    // Two dossiers run at once and each takes several slowed DS calls: at
    // least one is claimed and unsettled now, whatever the timing.
    until_count(
        &journal,
        "SELECT count(*) FROM queue WHERE status = 'running'",
        1,
    )
    .await;
    let signalled = now();
    signal(&child, "-TERM");
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 9, "a stopped run exits 9:\n{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["status"], "stopped", "{summary}");
    assert_eq!(summary["to_review"], 0, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["abandoned"].as_array().unwrap().len(), 0);
    let done = summary["done"].as_i64().unwrap();
    assert!((7..50).contains(&done), "stopped mid-way: {summary}");
    // The running items finished after the signal and were settled.
    let after = count(
        &journal,
        &format!(
            "SELECT count(*) FROM items WHERE status = 'done' AND started_at < '{signalled}' AND finished_at > '{signalled}'"
        ),
    );
    assert!(after >= 1, "no item was running through the signal");
    let run_status: String = Connection::open(&journal)
        .unwrap()
        .query_row("SELECT status FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(run_status, "stopped");
    let q = "SELECT count(*) FROM queue WHERE status NOT IN ('done')";
    assert_eq!(
        count(&journal, q),
        0,
        "nothing running, retried or in review"
    );
    assert_eq!(count(&journal, "SELECT count(*) FROM queue"), done);
    // The next start continues where it stopped: the rest, once each.
    sb.world().set_faults(pont_sandbox::Faults::default());
    let (code, stdout, stderr) = finish(spawn_run(&cfg)).await;
    assert_eq!(code, 0, "{stderr}");
    let second: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(second["status"], "finished");
    assert_eq!(second["done"].as_i64().unwrap(), 50 - done, "{second}");
    assert_eq!(second["recovered"].as_array().unwrap().len(), 0);
    let accepted = accepted(&sb);
    assert_eq!(accepted.len(), 50);
    assert!(accepted.values().all(|n| *n == 1), "{accepted:?}");
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_and_the_crash_rules_apply() {
    // Each DS call takes 3 s: an item takes more than 6.
    let sb = slow_world(4, 3000).await;
    let env = Env::new();
    let cfg = clerk_config(&env, &sb);
    let journal = env.path("journal.sqlite");
    let child = spawn_run(&cfg);
    until_count(
        &journal,
        "SELECT count(*) FROM queue WHERE status = 'running'",
        1,
    )
    .await;
    signal(&child, "-TERM");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = Instant::now();
    signal(&child, "-TERM");
    let (code, _, stderr) = finish(child).await;
    assert_eq!(code, 143, "{stderr}");
    assert!(
        second.elapsed() < Duration::from_secs(2),
        "the second signal did not stop it at once"
    );
    assert!(stderr.contains("stopping at once"), "{stderr}");
    let running = "SELECT count(*) FROM queue WHERE status = 'running'";
    assert!(
        count(&journal, running) >= 1,
        "left as a crash would leave it"
    );
    // The next run finds them interrupted: not idempotent, so to review.
    sb.world().set_faults(pont_sandbox::Faults::default());
    let (_, stdout, stderr) = finish(spawn_run(&cfg)).await;
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("{e}: {stdout}\n{stderr}");
    });
    let recovered = summary["recovered"].as_array().unwrap();
    assert!(!recovered.is_empty(), "{summary}");
    assert!(recovered.iter().all(|r| r[1] == "review"), "{summary}");
    let first_run: String = Connection::open(&journal)
        .unwrap()
        .query_row(
            "SELECT status FROM runs ORDER BY started_at LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(first_run, "interrupted");
    sb.shutdown().await;
}
