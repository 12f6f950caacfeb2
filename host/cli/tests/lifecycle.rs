//! A dossier's life across passes and runs, with the real `pont` binary:
//! the `waiting` outcome (no attempt used, no slot held, served by the run
//! when it ends soon, left to a later run otherwise, sent to review past
//! `max-wait-hours`), and episodes (a dossier the applicant changed is
//! handled again, and its mutations are deduplicated per episode).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::Env;
use pont_sandbox::model::State;
use pont_sandbox::seed::robot_instructeur_email;
use pont_sandbox::{ApplicantEdit, ChampEdit, ChampValue as ApplicantValue, Sandbox};
use pont_test_artifacts::{fixture_manifest, wasm};
use rusqlite::Connection;

/// The scripted robot on an explicit list of dossiers, with no DS.
fn config(env: &Env, queue: &str, settings: &str) -> PathBuf {
    let manifest = manifest(env, &[]);
    let extra = format!(
        "[grant]\nlog = true\nstate = true\n\n[queue]\n{queue}\nretry-backoff-ms = 10\n\n[settings]\n{settings}\n"
    );
    env.config(&wasm("scripted"), &manifest, &extra)
}

/// The scripted robot's manifest asking for `state` and the DS actions
/// given (none: no DS at all).
fn manifest(env: &Env, ds: &[&str]) -> PathBuf {
    let mut text: String = std::fs::read_to_string(fixture_manifest("scripted"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("ds ="))
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str("state = true\n");
    if !ds.is_empty() {
        let quoted: Vec<String> = ds.iter().map(|a| format!("{a:?}")).collect();
        text.push_str(&format!("ds = [{}]\n", quoted.join(", ")));
    }
    let path = env.path("pont.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Rows of a journal query, as strings.
fn rows(journal: &Path, sql: &str) -> Vec<Vec<String>> {
    let c = Connection::open(journal).unwrap();
    let mut st = c.prepare(sql).unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        (0..n)
            .map(|i| {
                r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                    rusqlite::types::Value::Text(t) => t,
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Null => "NULL".into(),
                    other => format!("{other:?}"),
                })
            })
            .collect()
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// The queue: dossier → (status, attempts).
fn queue(journal: &Path) -> BTreeMap<i64, (String, u32)> {
    rows(journal, "SELECT number, status, attempts FROM queue")
        .into_iter()
        .map(|r| (r[0].parse().unwrap(), (r[1].clone(), r[2].parse().unwrap())))
        .collect()
}

#[test]
fn short_waits_are_served_by_the_run_without_using_attempts_or_slots() {
    let env = Env::new();
    let cfg = config(
        &env,
        "dossiers = [1, 2, 3, 4, 5, 6]\nmax-attempts = 1",
        "wait = \"1,2,3\"\nwait-ms = \"150\"\nwaits = \"2\"",
    );
    let ran = env.pont(&[
        "run",
        "--allow-unsigned",
        "--json",
        "--parallel",
        "2",
        s(&cfg),
    ]);
    ran.assert_no_panic();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let summary = ran.json();
    assert_eq!(summary["done"], 6, "{summary}");
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["waiting"], 0);
    // With max-attempts = 1, a wait that used an attempt would end in review.
    for (n, (status, attempts)) in queue(&env.path("journal.sqlite")) {
        assert_eq!((status.as_str(), attempts), ("done", 1), "dossier {n}");
    }
    let passes = rows(
        &env.path("journal.sqlite"),
        "SELECT number, attempt, pass, outcome FROM items WHERE number <= 3 ORDER BY number, pass",
    );
    let waits = passes.iter().filter(|r| r[3] == "waiting").count();
    assert_eq!(waits, 6, "two waiting passes each: {passes:?}");
    assert!(passes.iter().all(|r| r[1] == "1"), "{passes:?}");
    assert!(
        !ran.stderr.contains("failed"),
        "a wait was logged as a failure: {}",
        ran.stderr
    );
}

#[test]
fn a_long_wait_is_left_to_a_later_run_and_listed_with_its_deadline() {
    let env = Env::new();
    let cfg = config(
        &env,
        "dossiers = [7, 8]\nwait-in-run-secs = 1",
        "wait = \"7\"\nwait-ms = \"3600000\"",
    );
    let ran = env.pont(&["run", "--allow-unsigned", "--json", s(&cfg)]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let summary = ran.json();
    assert_eq!(
        (summary["done"].as_u64(), summary["waiting"].as_u64()),
        (Some(1), Some(1))
    );
    let item = summary["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["number"] == 7)
        .unwrap()
        .clone();
    assert_eq!(item["status"], "waiting");
    let until = item["wake_at"].as_str().expect("a deadline");
    let until = chrono::DateTime::parse_from_rfc3339(until).unwrap();
    let ahead = until.to_utc() - chrono::Utc::now();
    assert!(ahead > chrono::Duration::minutes(55), "{ahead}");
    // The next run does not feed it before its time, and says so.
    let again = env.pont(&["run", "--allow-unsigned", "--json", s(&cfg)]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let again = again.json();
    assert_eq!(again["items"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(again["waiting_later"], 1);
    let runs = env.pont(&["runs", s(&cfg)]);
    assert!(runs.stdout.contains("waiting (1):"), "{}", runs.stdout);
    assert!(
        runs.stdout.contains("dossier        7  until 20"),
        "{}",
        runs.stdout
    );
}

#[test]
fn waiting_past_max_wait_hours_goes_to_review() {
    let env = Env::new();
    // 0.0005 h is 1.8 s: a wait of 10 s ends past it.
    let cfg = config(
        &env,
        "dossiers = [9]\nmax-wait-hours = 0.0005",
        "wait = \"9\"\nwait-ms = \"10000\"",
    );
    let ran = env.pont(&["run", "--allow-unsigned", "--json", s(&cfg)]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let summary = ran.json();
    assert_eq!(summary["needs_review"], 1, "{summary}");
    let reason = summary["items"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("waited too long"), "{reason}");
    assert_eq!(queue(&env.path("journal.sqlite"))[&9].0, "review");
}

#[test]
fn a_bad_wait_setting_is_refused_with_the_key_named() {
    let env = Env::new();
    let cfg = config(&env, "dossiers = [1]\nmax-wait-hours = -3", "");
    let ran = env.pont(&["run", "--allow-unsigned", s(&cfg)]);
    assert_ne!(ran.code, 0);
    assert!(
        ran.stderr.contains("queue.max-wait-hours"),
        "{}",
        ran.stderr
    );
    let cfg = config(&env, "dossiers = [1]\nreprocess = \"sometimes\"", "");
    let ran = env.pont(&["run", "--allow-unsigned", s(&cfg)]);
    assert_ne!(ran.code, 0);
    assert!(ran.stderr.contains("queue.reprocess"), "{}", ran.stderr);
}

const DEMARCHE: i64 = 101;
const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";

/// The sandbox with `dossiers` en construction in démarche 101.
async fn world(dossiers: usize) -> Sandbox {
    common::seeded_sandbox(DEMARCHE, dossiers, 5, State::EnConstruction).await
}

/// The scripted robot in its `episodes` mode on démarche 101.
fn episode_config(env: &Env, sb: &Sandbox, reprocess: &str) -> PathBuf {
    let manifest = manifest(env, &["read", "passer-en-instruction", "repasser"]);
    let extra = format!(
        "[ds]\nendpoint = \"{}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{}\"\nrequests-per-minute = 100000\n\n\
         [grant]\nlog = true\nstate = true\n\n\
         [grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\", \"passer-en-instruction\", \"repasser\"]\n\n\
         [queue]\ndemarche = {DEMARCHE}\nstates = [\"en_construction\", \"en_instruction\"]\nreprocess = \"{reprocess}\"\n\n\
         [settings]\nepisodes = \"true\"\n",
        sb.ds_url(),
        robot_instructeur_email(DEMARCHE).unwrap()
    );
    env.config(&wasm("scripted"), &manifest, &extra)
}

async fn run(cfg: &Path) -> serde_json::Value {
    let cfg = cfg.to_path_buf();
    let ran = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_pont"))
            .args(["run", "--allow-unsigned", "--json", s(&cfg)])
            .env(TOKEN_VAR, "sandbox-rw-all")
            .env("PONT_LOG", "warn")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{stderr}");
    serde_json::from_slice(&ran.stdout).unwrap()
}

/// How often the simulator applied each operation to `number`.
fn applied(sb: &Sandbox, number: i64) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for m in sb.world().mutation_log() {
        if m.applied && m.dossier == Some(number) {
            *out.entry(m.operation).or_insert(0) += 1;
        }
    }
    out
}

/// The applicant changes their project's title, as they would in DS.
fn applicant_edits(sb: &Sandbox, number: i64) {
    // DS dates have whole seconds: an edit in the second of the robot's
    // last read would not be later than it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let edit = ChampEdit::label(
        "Intitulé du projet",
        ApplicantValue::Text("Projet corrigé".into()),
    );
    sb.applicant_edit(number, ApplicantEdit::Champs(vec![edit]))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passer_repasser_edit_passer_sends_both_passages_once_each() {
    let sb = world(2).await;
    let env = Env::new();
    let cfg = episode_config(&env, &sb, "on-change");
    let first = run(&cfg).await;
    assert_eq!(first["done"], 2, "{first}");
    let numbers: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    let (edited, untouched) = (numbers[0], numbers[1]);
    // Nothing changed but the robot's own mutations: no new episode.
    let quiet = run(&cfg).await;
    assert_eq!(quiet["items"].as_array().unwrap().len(), 0, "{quiet}");
    applicant_edits(&sb, edited);
    let second = run(&cfg).await;
    let items = second["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{second}");
    assert_eq!(items[0]["number"], edited);
    let reason = items[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("episode 2 (l'usager a modifié"),
        "{reason}"
    );
    let ops = applied(&sb, edited);
    assert_eq!(ops.get("dossierPasserEnInstruction"), Some(&2), "{ops:?}");
    assert_eq!(
        ops.get("dossierRepasserEnConstruction"),
        Some(&1),
        "{ops:?}"
    );
    let ops = applied(&sb, untouched);
    assert_eq!(ops.get("dossierPasserEnInstruction"), Some(&1), "{ops:?}");
    // The robot's passage of episode 2 is not itself a change.
    let after = run(&cfg).await;
    assert_eq!(after["items"].as_array().unwrap().len(), 0, "{after}");
    let episodes = rows(
        &env.path("journal.sqlite"),
        &format!("SELECT episode, status FROM queue WHERE number = {edited}"),
    );
    assert_eq!(episodes, vec![vec!["2".to_string(), "done".to_string()]]);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprocess_never_keeps_a_settled_dossier_settled() {
    let sb = world(1).await;
    let env = Env::new();
    let cfg = episode_config(&env, &sb, "never");
    let first = run(&cfg).await;
    assert_eq!(first["done"], 1, "{first}");
    let number = first["items"][0]["number"].as_i64().unwrap();
    applicant_edits(&sb, number);
    let second = run(&cfg).await;
    assert_eq!(second["items"].as_array().unwrap().len(), 0, "{second}");
    assert_eq!(
        applied(&sb, number).get("dossierPasserEnInstruction"),
        Some(&1)
    );
    sb.shutdown().await;
}

/// A small deterministic generator for the kill moments.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

/// Run `pont` on `cfg` and SIGKILL it after `after`, unless it ends first.
/// Returns whether it was killed.
async fn run_and_kill(cfg: &Path, after: std::time::Duration) -> bool {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(["run", "--allow-unsigned", "--parallel", "2", s(cfg)])
        .env(TOKEN_VAR, "sandbox-rw-all")
        .env("PONT_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while started.elapsed() < after {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    let _ = child.wait();
    true
}

/// The applicant edits up to `count` dossiers whose first episode is done
/// (the robot handed them back en construction). Returns the edited ones.
fn edit_some(sb: &Sandbox, journal: &Path, count: usize) -> Vec<i64> {
    if !journal.exists() {
        return Vec::new();
    }
    let settled = rows(
        journal,
        "SELECT number FROM queue WHERE status = 'done' AND episode = 1 ORDER BY number",
    );
    let mut edited = Vec::new();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for r in settled.iter().take(count) {
        let n: i64 = r[0].parse().unwrap();
        let edit = ChampEdit::label("Intitulé du projet", ApplicantValue::Text(format!("v{n}")));
        if sb
            .applicant_edit(n, ApplicantEdit::Champs(vec![edit]))
            .is_ok()
        {
            edited.push(n);
        }
    }
    edited
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkills_over_episodes_and_waits_lose_nothing_and_repeat_nothing_per_episode() {
    let sb = world(300).await;
    sb.world().set_faults(pont_sandbox::Faults {
        latency_ms: 25,
        seed: 3,
        ..pont_sandbox::Faults::default()
    });
    let numbers: Vec<i64> = sb.world().lock().dossiers.keys().copied().collect();
    let waiting: Vec<String> = numbers.iter().step_by(7).map(i64::to_string).collect();
    let env = Env::new();
    let cfg = episode_config(&env, &sb, "on-change");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "episodes = \"true\"\n",
        &format!(
            "episodes = \"true\"\nwait = \"{}\"\nwait-ms = \"100\"\n",
            waiting.join(",")
        ),
    );
    std::fs::write(&cfg, text).unwrap();
    let journal = env.path("journal.sqlite");
    let mut rng = Lcg(2026);
    let (mut kills, mut edited) = (0, Vec::new());
    for _ in 0..10 {
        let after = std::time::Duration::from_millis(300 + rng.next(1500));
        kills += usize::from(run_and_kill(&cfg, after).await);
        edited.extend(edit_some(&sb, &journal, 4));
    }
    assert_eq!(kills, 10, "every run is killed mid-way");
    assert!(
        !edited.is_empty(),
        "no dossier reached its first episode's end"
    );
    for _ in 0..6 {
        if run(&cfg).await["items"].as_array().unwrap().is_empty() {
            break;
        }
    }
    // Nothing lost: every dossier settled or with a person, none left running.
    let q = rows(&journal, "SELECT number, status, episode FROM queue");
    assert_eq!(q.len(), 300);
    for r in &q {
        assert!(["done", "review"].contains(&r[1].as_str()), "{r:?}");
    }
    // Nothing twice in an episode: at most one passage per episode, one
    // hand-back in all (episode 1 only), and each edited dossier that is
    // done was passed in both of its episodes.
    for r in &q {
        let n: i64 = r[0].parse().unwrap();
        let episodes: usize = r[2].parse().unwrap();
        let ops = applied(&sb, n);
        let passed = ops.get("dossierPasserEnInstruction").copied().unwrap_or(0);
        assert!(
            passed <= episodes,
            "dossier {n}: {passed} passages in {episodes} episode(s)"
        );
        assert!(
            ops.get("dossierRepasserEnConstruction")
                .copied()
                .unwrap_or(0)
                <= 1,
            "{n}: {ops:?}"
        );
        if edited.contains(&n) && r[1] == "done" {
            assert_eq!((episodes, passed), (2, 2), "dossier {n}: {ops:?}");
        }
    }
    sb.shutdown().await;
}
