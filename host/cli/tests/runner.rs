//! The runner's promises, shown against the DS simulator with the real
//! `pont` binary: every dossier gets exactly one final outcome, no DS
//! mutation is sent twice (under injected faults, and across SIGKILLs),
//! failures are retried or not as their kind says, and the review queue
//! hands dossiers back to people.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Env, Ran};
use pont_sandbox::model::State;
use pont_sandbox::seed::robot_instructeur_email;
use pont_sandbox::{Faults, Sandbox};
use pont_test_artifacts::{fixture_manifest, wasm};
use rusqlite::Connection;

const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";
const DEMARCHE: i64 = 101;

/// The sandbox with `dossiers` en construction in démarche 101, and a rate
/// limit out of the way (the limiter has its own tests).
async fn world(dossiers: usize) -> Sandbox {
    common::seeded_sandbox(DEMARCHE, dossiers, 11, State::EnConstruction).await
}

/// A config running the scripted robot; `queue` and `settings` are TOML
/// lines for their sections.
fn config(
    env: &Env,
    sb: Option<&Sandbox>,
    manifest: &Path,
    queue: &str,
    settings: &str,
) -> PathBuf {
    let ds = match sb {
        Some(sb) => format!(
            "[ds]\nendpoint = \"{}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{}\"\nrequests-per-minute = 100000\n\n[grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\", \"passer-en-instruction\", \"accepter\"]\n\n",
            sb.ds_url(),
            robot_instructeur_email(DEMARCHE).unwrap()
        ),
        None => String::new(),
    };
    let extra = format!(
        "{ds}[grant]\nlog = true\n\n[queue]\n{queue}\nretry-backoff-ms = 10\n\n[report]\nbaseline-minutes = 5\n\n[settings]\n{settings}\n"
    );
    // [grant] must come before [grant.ds] in TOML only for readability;
    // both orders parse.
    env.config(&wasm("scripted"), manifest, &extra)
}

/// The scripted robot's manifest without its DS requests, for runs that
/// need no DS.
fn plain_manifest(env: &Env) -> PathBuf {
    let text = std::fs::read_to_string(fixture_manifest("scripted"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("ds ="))
        .collect::<Vec<_>>()
        .join("\n");
    let path = env.path("pont.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn pont(args: &[&str]) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(args)
        .env(TOKEN_VAR, "sandbox-rw-all")
        .env("PONT_LOG", "warn")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn pont_async(args: Vec<String>) -> Ran {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        pont(&args)
    })
    .await
    .unwrap()
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// The queue table: dossier → (status, attempts).
fn queue(journal: &Path) -> BTreeMap<i64, (String, u32)> {
    let c = Connection::open(journal).unwrap();
    let mut st = c
        .prepare("SELECT number, status, attempts FROM queue")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// (dossier, operation) pairs the simulator applied more than once.
fn applied_twice(sb: &Sandbox) -> Vec<(i64, String)> {
    let mut seen = BTreeMap::new();
    for m in sb.world().mutation_log() {
        if m.applied
            && let Some(d) = m.dossier
        {
            *seen.entry((d, m.operation)).or_insert(0) += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k)
        .collect()
}

const FINAL: [&str; 4] = ["done", "skipped", "failed", "review"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_dossiers_under_faults_each_get_one_outcome_and_no_mutation_twice() {
    let sb = world(1000).await;
    sb.world().set_faults(Faults {
        // 12 % of requests fail: enough to exercise every retry path, low
        // enough that five failures in a row on one listing page (which
        // ends the run, as a DS outage would) stay negligible (~3e-4).
        error_rate: 0.06,
        drop_rate: 0.03,
        drop_after_rate: 0.03,
        seed: 7,
        ..Faults::default()
    });
    let env = Env::new();
    let cfg = config(
        &env,
        Some(&sb),
        &fixture_manifest("scripted"),
        &format!("demarche = {DEMARCHE}\nstates = [\"en_construction\"]\nmax-attempts = 4"),
        "ds = \"true\"",
    );
    let ran = pont_async(vec![
        "run".into(),
        "--allow-unsigned".into(),
        "--json".into(),
        "--parallel".into(),
        "4".into(),
        s(&cfg),
    ])
    .await;
    assert!(
        ran.code == 0 || ran.code == 3,
        "{}\n{}",
        ran.code,
        ran.stderr
    );
    ran.assert_no_panic();
    let q = queue(&env.path("journal.sqlite"));
    assert_eq!(q.len(), 1000, "every dossier is in the journal once");
    for (n, (status, _)) in &q {
        assert!(FINAL.contains(&status.as_str()), "dossier {n} is {status}");
    }
    let done = q.values().filter(|(st, _)| st == "done").count();
    assert!(done >= 950, "only {done} of 1000 done under 12% faults");
    assert_eq!(applied_twice(&sb), Vec::<(i64, String)>::new());
    // Accepted dossiers are exactly those the journal says are done.
    for (n, (status, _)) in &q {
        let state = sb.world().dossier(*n).unwrap().state;
        if status == "done" {
            assert_eq!(state, State::Accepte, "dossier {n}");
        }
    }
    let summary = ran.json();
    assert_eq!(summary["items"].as_array().unwrap().len(), 1000);
    // A second run finds nothing left to do.
    sb.world().set_faults(Faults::default());
    let again = pont_async(vec![
        "run".into(),
        "--allow-unsigned".into(),
        "--json".into(),
        s(&cfg),
    ])
    .await;
    let again_json = again.json();
    assert_eq!(
        again_json["items"].as_array().unwrap().len(),
        0,
        "{}",
        again.stderr
    );
    assert_eq!(applied_twice(&sb), Vec::<(i64, String)>::new());
}

/// Tiny deterministic generator for the kill moments.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_ten_moments_loses_nothing_and_redoes_nothing() {
    let sb = world(300).await;
    sb.world().set_faults(Faults {
        latency_ms: 20,
        seed: 3,
        ..Faults::default()
    });
    let env = Env::new();
    let cfg = config(
        &env,
        Some(&sb),
        &fixture_manifest("scripted"),
        &format!("demarche = {DEMARCHE}\nstates = [\"en_construction\"]"),
        "ds = \"true\"",
    );
    let journal = env.path("journal.sqlite");
    let mut rng = Lcg(2026);
    let mut kills = 0;
    for _ in 0..10 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pont"))
            .args(["run", "--allow-unsigned", "--parallel", "2", &s(&cfg)])
            .env(TOKEN_VAR, "sandbox-rw-all")
            .env("PONT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let wait = Duration::from_millis(300 + rng.next(1500));
        let started = Instant::now();
        let mut finished = false;
        while started.elapsed() < wait {
            if child.try_wait().unwrap().is_some() {
                finished = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if !finished {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let _ = child.wait();
    }
    assert_eq!(kills, 10, "every run is killed mid-way");
    // Run until the queue is drained (bounded).
    for _ in 0..5 {
        let ran = pont_async(vec![
            "run".into(),
            "--allow-unsigned".into(),
            "--json".into(),
            s(&cfg),
        ])
        .await;
        ran.assert_no_panic();
        if ran.json()["items"].as_array().unwrap().is_empty() {
            break;
        }
    }
    let q = queue(&journal);
    assert_eq!(q.len(), 300, "every dossier is in the journal once");
    for (n, (status, _)) in &q {
        assert!(FINAL.contains(&status.as_str()), "dossier {n} is {status}");
    }
    assert_eq!(applied_twice(&sb), Vec::<(i64, String)>::new());
    // Interrupted dossiers wait for a person and were not run again.
    let c = Connection::open(&journal).unwrap();
    let interrupted: Vec<(i64, String)> = c
        .prepare("SELECT number, run_id FROM queue WHERE status = 'review' AND reason LIKE 'interrupted%'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (n, run) in &interrupted {
        let later: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM items i JOIN runs r ON r.id = i.run_id
                 WHERE i.number = ?1 AND r.started_at > (SELECT started_at FROM runs WHERE id = ?2)",
                rusqlite::params![n, run],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(later, 0, "interrupted dossier {n} was run again");
    }
    let listed = pont(&["review", "list", "--json", &s(&cfg)]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(
        listed.json().as_array().unwrap().len(),
        q.values().filter(|(st, _)| st == "review").count()
    );
    // Every dossier not under review is accepted in DS, exactly once.
    for (n, (status, _)) in &q {
        if status == "done" {
            assert_eq!(sb.world().dossier(*n).unwrap().state, State::Accepte);
        }
    }
}

#[test]
fn a_panic_fails_one_item_and_the_others_complete() {
    let env = Env::new();
    let cfg = config(
        &env,
        None,
        &plain_manifest(&env),
        "dossiers = [1, 2, 3]\nmax-attempts = 1",
        "panic = \"2\"",
    );
    let ran = pont(&["run", "--allow-unsigned", "--json", &s(&cfg)]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let q = queue(&env.path("journal.sqlite"));
    assert_eq!(q[&1].0, "done");
    assert_eq!(q[&2].0, "review");
    assert_eq!(q[&3].0, "done");
    let items = ran.json()["items"].clone();
    assert_eq!(items[1]["outcome"], "system");
    assert!(
        items[1]["reason"]
            .as_str()
            .unwrap()
            .contains("robot trapped"),
        "{}",
        items[1]
    );
}

#[test]
fn business_is_final_system_is_retried_then_reviewed_then_retried_by_a_person() {
    let env = Env::new();
    let manifest = plain_manifest(&env);
    let cfg = config(
        &env,
        None,
        &manifest,
        "dossiers = [1, 2, 3]\nmax-attempts = 3",
        "business = \"1\"\nsystem = \"2\"",
    );
    let ran = pont(&["run", "--allow-unsigned", "--json", &s(&cfg)]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let journal = env.path("journal.sqlite");
    let q = queue(&journal);
    assert_eq!(q[&1], ("failed".to_string(), 1), "business: not retried");
    assert_eq!(q[&2], ("review".to_string(), 3), "system: three attempts");
    assert_eq!(q[&3], ("done".to_string(), 1));
    let c = Connection::open(&journal).unwrap();
    let attempts: Vec<u32> = c
        .prepare("SELECT attempt FROM items WHERE number = 2 ORDER BY attempt")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(attempts, [1, 2, 3]);

    let listed = pont(&["review", "list", "--json", &s(&cfg)]);
    let listed = listed.json();
    let numbers: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2]);
    let shown = pont(&["review", "show", &s(&cfg), "2"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown.stdout.contains("application down for dossier 2"),
        "{}",
        shown.stdout
    );

    // A run does not pick up what waits for a person.
    let again = pont(&["run", "--allow-unsigned", "--json", &s(&cfg)]);
    assert_eq!(again.json()["items"].as_array().unwrap().len(), 0);
    assert_eq!(again.json()["already_handled"], 3);

    // The operator fixes the application, then retries the dossier.
    let cfg = config(
        &env,
        None,
        &manifest,
        "dossiers = [1, 2, 3]\nmax-attempts = 3",
        "business = \"1\"",
    );
    let retried = pont(&[
        "review",
        "retry",
        "--allow-unsigned",
        "--json",
        &s(&cfg),
        "2",
    ]);
    assert_eq!(retried.code, 0, "{}", retried.stderr);
    let items = retried.json()["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(
        (items[0]["number"].as_i64(), items[0]["status"].as_str()),
        (Some(2), Some("done"))
    );
    assert_eq!(queue(&journal)[&2], ("done".to_string(), 1));
    // Retrying something that is not under review is refused.
    let refused = pont(&["review", "retry", "--allow-unsigned", &s(&cfg), "3"]);
    assert_eq!(refused.code, 1);
    assert!(refused.error_line().contains("not in the review queue"));
    let runs = pont(&["runs", "--json", &s(&cfg)]);
    assert_eq!(runs.json().as_array().unwrap().len(), 3);
}

#[test]
fn report_gives_the_numbers_the_journal_holds() {
    let env = Env::new();
    let cfg = config(
        &env,
        None,
        &plain_manifest(&env),
        "dossiers = [1, 2, 3, 4, 5, 6]",
        "review = \"5\"\nskip = \"6\"",
    );
    let ran = pont(&["run", "--allow-unsigned", "--json", &s(&cfg)]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let c = Connection::open(env.path("journal.sqlite")).unwrap();
    let durations: Vec<i64> = c
        .prepare("SELECT duration_ms FROM items WHERE status = 'done' ORDER BY number")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(durations.len(), 4);
    let mean_minutes = durations.iter().sum::<i64>() as f64 / 4.0 / 60_000.0;
    let out = pont(&[
        "report",
        &s(&cfg),
        "--since",
        "2000-01-01",
        "--until",
        "2100-01-01",
        "--format",
        "csv",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut lines = out.stdout.lines();
    let headers: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| row[headers.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("robot"), "scripted");
    assert_eq!(col("dossiers"), "4");
    assert_eq!(col("unfinished"), "1");
    assert_eq!(col("human min"), "5");
    let robot_min: f64 = col("robot min").parse().unwrap_or(0.0);
    assert!(
        (robot_min - mean_minutes).abs() < 0.01,
        "{robot_min} vs {mean_minutes}"
    );
    let saved: f64 = col("hours saved").parse().unwrap();
    let expected = 4.0 * (5.0 - mean_minutes) / 60.0;
    assert!((saved - expected).abs() < 0.01, "{saved} vs {expected}");
    let set: BTreeSet<&str> = headers.iter().copied().collect();
    assert!(set.contains("clicks") && set.contains("tools"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_robot_pages_through_a_thousand_dossiers_and_sees_each_once() {
    let sb = world(1000).await;
    let env = Env::new();
    let cfg = config(
        &env,
        Some(&sb),
        &fixture_manifest("scripted"),
        "dossiers = [1]",
        &format!("list = \"{DEMARCHE}\""),
    );
    let ran = pont_async(vec![
        "run".into(),
        "--allow-unsigned".into(),
        "--json".into(),
        s(&cfg),
    ])
    .await;
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        ran.json()["items"][0]["reason"],
        "1000 dossiers in 10 pages, 1000 distinct"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_an_accepted_dossier_reaches_the_robot_as_a_typed_error() {
    let sb = world(2).await;
    let client = pont_ds::DsClient::builder(sb.ds_url(), "sandbox-rw-all")
        .build()
        .unwrap();
    let page = client
        .dossiers(
            &crate::common::ds_permits::listing(DEMARCHE),
            DEMARCHE,
            &pont_ds::DossierFilter::default(),
            None,
        )
        .await
        .unwrap();
    let n = page.items[0].number;
    let queue_line = format!("dossiers = [{n}]\nmax-attempts = 1");
    let first = Env::new();
    let cfg = config(
        &first,
        Some(&sb),
        &fixture_manifest("scripted"),
        &queue_line,
        "ds = \"true\"",
    );
    let ran = pont_async(vec![
        "run".into(),
        "--allow-unsigned".into(),
        "--json".into(),
        s(&cfg),
    ])
    .await;
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // Another journal (another operator's robot) tries the same decision.
    let second = Env::new();
    let cfg = config(
        &second,
        Some(&sb),
        &fixture_manifest("scripted"),
        &queue_line,
        "ds = \"true\"",
    );
    let ran = pont_async(vec![
        "run".into(),
        "--allow-unsigned".into(),
        "--json".into(),
        s(&cfg),
    ])
    .await;
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let item = &ran.json()["items"][0];
    assert_eq!(item["outcome"], "business");
    assert!(
        item["reason"]
            .as_str()
            .unwrap()
            .starts_with("accepter: DsError::AlreadyInState(")
            && item["reason"]
                .as_str()
                .unwrap()
                .contains("Le dossier est déjà accepté"),
        "{item}"
    );
    let accepted = sb
        .world()
        .mutation_log()
        .into_iter()
        .filter(|m| m.dossier == Some(n) && m.operation == "dossierAccepter")
        .map(|m| m.applied)
        .collect::<Vec<_>>();
    assert_eq!(accepted, [true, false], "sent twice, applied once");
}
