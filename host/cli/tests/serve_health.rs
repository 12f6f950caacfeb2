//! What `pont serve` tells an operator beyond the runs themselves, a real
//! process against the sandbox: the DS requests and 429s of a token counted
//! as DS answered them (checked against the sandbox's own counts), the
//! egress budgets beside what the last run sent, the review-queue and
//! no-success alerts firing and resolving, and `/api/runs/{id}` finding a
//! run that `pont run` made before the service started.

mod common;
mod serve_common;

use std::time::Duration;

use pont_sandbox::Faults;
use pont_sandbox::model::State;
use pont_sandbox::seed::robot_instructeur_email;
use serve_common::*;

const DEMARCHE: i64 = 101;
const BUDGET: u64 = 1_000_000;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn get(c: &reqwest::Client, s: &Served, path: &str) -> reqwest::Response {
    c.get(s.url(path))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap()
}

async fn metrics(c: &reqwest::Client, s: &Served) -> String {
    get(c, s, "/metrics").await.text().await.unwrap()
}

fn service(dir: &std::path::Path, robots: &str, extra: &str) -> std::path::PathBuf {
    let text = format!(
        "listen = \"127.0.0.1:0\"\ngrace-secs = 5\n\n[api]\ntoken = {{ env = \"PONT_TEST_API_TOKEN\" }}\n\n{extra}\n{robots}"
    );
    let path = dir.join("service.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn robot(name: &str, every: &str, unsigned: bool) -> String {
    format!(
        "[[robot]]\nname = \"{name}\"\nconfig = \"{name}/robot.toml\"\nevery = \"{every}\"\nallow-unsigned = {unsigned}\n\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_requests_and_429s_are_counted_per_token_beside_the_budgets() {
    let sb = common::seeded_sandbox(DEMARCHE, 3, 7, State::EnConstruction).await;
    // Two 429s in a row, in a one-second window so their wait is short.
    sb.world().set_rate_limit(100_000, 1);
    sb.world().set_faults(Faults {
        burst_429: 2,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let clerk = format!(
        "[ds]\nendpoint = \"{}\"\ntoken = {{ env = \"{DS_TOKEN_VAR}\" }}\ninstructeur = \"{}\"\nrequests-per-minute = 100000\n\n\
         [grant]\nlog = true\n\n[grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\", \"passer-en-instruction\", \"accepter\"]\n\n\
         [budgets]\nds = {BUDGET}\n\n[queue]\ndemarche = {DEMARCHE}\nstates = [\"en_construction\"]\n\n[settings]\nds = \"true\"\n",
        sb.ds_url(),
        robot_instructeur_email(DEMARCHE).unwrap()
    );
    let scripted = pont_test_artifacts::fixture_manifest("scripted");
    robot_config(dir.path(), "clerk", &scripted, &clerk);
    let s = serve(&service(dir.path(), &robot("clerk", "1h", true), ""));
    let c = client();
    let r = c
        .post(s.url("/api/robots/clerk/runs"))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", s.log_text());
    let id = r.json::<serde_json::Value>().await.unwrap()["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut text = String::new();
    eventually(
        Duration::from_secs(40),
        "the triggered run ended",
        async || {
            text = metrics(&c, &s).await;
            value(&text, "pont_runs_total", &[("robot", "clerk")]) >= 1.0
        },
    )
    .await;
    promtool_check(&text);
    let labels = [("robot", "clerk"), ("token", "env:PONT_TEST_DS_TOKEN")];
    let counts: Vec<_> = sb
        .world()
        .request_counts()
        .into_iter()
        .filter(|c| c.token == "sandbox-rw-all")
        .collect();
    let allowed: u64 = counts.iter().map(|c| u64::from(c.allowed)).sum();
    let throttled: u64 = counts.iter().map(|c| u64::from(c.throttled)).sum();
    assert_eq!(throttled, 2, "the sandbox answered 429 twice");
    let requests = value(&text, "pont_ds_requests_total", &labels);
    assert_eq!(requests, (allowed + throttled) as f64, "{text}");
    assert!(requests >= 5.0, "a listing and three dossiers: {requests}");
    assert_eq!(value(&text, "pont_ds_rate_limited_total", &labels), 2.0);
    assert!(
        !text.contains("sandbox-rw-all"),
        "the token's value is never a label"
    );
    let ds_line = format!("DS {}", sb.ds_url());
    let line = [("robot", "clerk"), ("destination", ds_line.as_str())];
    assert_eq!(
        value(&text, "pont_egress_budget_bytes", &line),
        BUDGET as f64
    );
    let record: serde_json::Value = get(&c, &s, &format!("/api/runs/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let ledger = record["summary"]["ledger"].as_array().unwrap();
    let sent: u64 = ledger
        .iter()
        .filter(|l| l["destination"] == ds_line.as_str())
        .map(|l| l["bytes"].as_u64().unwrap())
        .sum();
    assert!(sent > 0, "the run's mutations left for DS: {record}");
    assert_eq!(
        value(&text, "pont_egress_last_run_bytes", &line),
        sent as f64
    );
}

/// `picky` sends dossier 1 to review on each of its runs (every second);
/// `idle` never runs in the test (its interval is an hour), so it has no
/// run to its end for longer than `no-success`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_queue_and_no_success_alerts_fire_and_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let no_ds = no_ds_manifest(dir.path());
    let picky = "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [1, 2]\n\n[settings]\nreview = \"1\"\n";
    let config = robot_config(dir.path(), "picky", &no_ds, picky);
    robot_config(
        dir.path(),
        "idle",
        &no_ds,
        "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [3]\n",
    );
    let (alert_url, alerts) = alert_receiver().await;
    let extra = format!(
        "[health]\nreview-threshold = 0\nno-success = \"3s\"\n\n[alerts]\nurl = \"{alert_url}\"\nattempts = 2\n"
    );
    let robots = robot("picky", "1s", true) + &robot("idle", "1h", true);
    let s = serve(&service(dir.path(), &robots, &extra));
    let has = |kind: &str, state: &str, robot: &str| {
        alerts
            .lock()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == kind && a["state"] == state && a["robot"] == robot)
    };
    eventually(Duration::from_secs(30), "both alerts fire", async || {
        has("review-queue", "firing", "picky") && has("no-success", "firing", "idle")
    })
    .await;
    let c = client();
    let text = metrics(&c, &s).await;
    assert_eq!(
        value(&text, "pont_review_queue", &[("robot", "picky")]),
        1.0
    );
    assert_eq!(
        value(&text, "pont_robot_degraded", &[("robot", "idle")]),
        1.0
    );
    let health = get(&c, &s, "/healthz").await.text().await.unwrap();
    assert!(health.contains("review queue holds 1"), "{health}");
    // A person takes the dossier out of the queue: the alert resolves.
    let ran = common::run_pont(
        &[
            "review",
            "dismiss",
            config.to_str().unwrap(),
            "1",
            "--reason",
            "vu",
        ],
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    eventually(
        Duration::from_secs(20),
        "the review alert resolves",
        async || has("review-queue", "resolved", "picky"),
    )
    .await;
    let firing = alerts.lock().unwrap().clone();
    let review = firing
        .iter()
        .find(|a| a["kind"] == "review-queue" && a["state"] == "firing")
        .unwrap();
    assert!(
        review["text"].as_str().unwrap().contains("picky"),
        "{review}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_runs_finds_a_run_made_before_the_service_in_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let no_ds = no_ds_manifest(dir.path());
    let config = robot_config(
        dir.path(),
        "good",
        &no_ds,
        "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [1]\n",
    );
    let ran = common::run_pont(
        &[
            "run",
            "--allow-unsigned",
            config.to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let id = ran.json()["run_id"].as_str().unwrap().to_string();
    let s = serve(&service(dir.path(), &robot("good", "1h", true), ""));
    let c = client();
    let r = get(&c, &s, &format!("/api/runs/{id}")).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["robot"], "good", "{body}");
    assert_eq!(body["status"], "finished", "{body}");
    assert_eq!(body["run_id"], id.as_str());
    let unknown = get(&c, &s, "/api/runs/no-such-run").await;
    assert_eq!(unknown.status(), 404);
    let refused = c
        .get(s.url(&format!("/api/runs/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        401,
        "the journal fallback is behind the token too"
    );
}
