//! `pont serve` as an operator runs it, a real process against the sandbox:
//! two robots on their schedules (a seconds-level cron and `every`), a run
//! triggered over the API and one by a signed webhook, an overlapping slot
//! skipped and counted, `/metrics` accepted by `promtool check metrics`
//! with the expected values, an alert on a failed run received on
//! loopback, and the API's and the webhooks' refusals. Then `--check`.

mod common;
mod serve_common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use pont_sandbox::Sandbox;
use pont_sandbox::model::State;
use pont_sandbox::seed::robot_instructeur_email;
use serve_common::*;

const DEMARCHE: i64 = 101;

/// Three robots: `clerk` works démarche 101 in DS every 2 s (cron with
/// seconds), `slow` has one dossier whose in-run wait makes its first run
/// last 2.5 s while its schedule comes every second, and `broken` is not
/// signed and not allowed to run unsigned, so each of its runs fails.
fn service_config(dir: &Path, sb: &Sandbox, alert_url: &str) -> PathBuf {
    let clerk = format!(
        "[ds]\nendpoint = \"{}\"\ntoken = {{ env = \"{DS_TOKEN_VAR}\" }}\ninstructeur = \"{}\"\nrequests-per-minute = 100000\n\n\
         [grant]\nlog = true\n\n[grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\", \"passer-en-instruction\", \"accepter\"]\n\n\
         [queue]\ndemarche = {DEMARCHE}\nstates = [\"en_construction\"]\n\n[settings]\nds = \"true\"\n",
        sb.ds_url(),
        robot_instructeur_email(DEMARCHE).unwrap()
    );
    let scripted = pont_test_artifacts::fixture_manifest("scripted");
    robot_config(dir, "clerk", &scripted, &clerk);
    let no_ds = no_ds_manifest(dir);
    let slow = "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [1]\n\n[settings]\nwait = \"1\"\nwait-ms = \"2500\"\n";
    robot_config(dir, "slow", &no_ds, slow);
    robot_config(
        dir,
        "broken",
        &no_ds,
        "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [2]\n",
    );
    let text = format!(
        "listen = \"127.0.0.1:0\"\ngrace-secs = 10\n\n[api]\ntoken = {{ env = \"PONT_TEST_API_TOKEN\" }}\n\n\
         [webhooks]\nsecret = {{ env = \"PONT_TEST_WEBHOOK_SECRET\" }}\n\n[alerts]\nurl = \"{alert_url}\"\nattempts = 2\n\n\
         [[robot]]\nname = \"clerk\"\nconfig = \"clerk/robot.toml\"\ncron = \"*/2 * * * * *\"\nallow-unsigned = true\n\n\
         [[robot]]\nname = \"slow\"\nconfig = \"slow/robot.toml\"\nevery = \"1s\"\nallow-unsigned = true\n\n\
         [[robot]]\nname = \"broken\"\nconfig = \"broken/robot.toml\"\nevery = \"2s\"\n"
    );
    let path = dir.join("service.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn metrics(c: &reqwest::Client, s: &Served) -> String {
    c.get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A webhook call to `robot`, signed with `secret` unless `None`.
async fn hook(
    c: &reqwest::Client,
    s: &Served,
    id: &str,
    timestamp: i64,
    secret: Option<&str>,
) -> reqwest::StatusCode {
    let body = br#"{"event":"dossier_depose","dossier":1}"#;
    let mut req = c.post(s.url("/hooks/clerk")).body(body.to_vec());
    if let Some(secret) = secret {
        let key = pont_serve::webhook::key_from_secret(secret).unwrap();
        req = req
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                pont_serve::webhook::sign(&key, id, timestamp, body),
            );
    }
    req.send().await.unwrap().status()
}

async fn refusals(c: &reqwest::Client, s: &Served) {
    let trigger = s.url("/api/robots/clerk/runs");
    let none = c.post(&trigger).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = c
        .post(&trigger)
        .bearer_auth("jeton-de-test-0123456788")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().contains_key("www-authenticate"));
    let listed = c
        .get(s.url("/api/robots"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 401);
    let now = chrono::Utc::now().timestamp();
    assert_eq!(hook(c, s, "msg_a", now, None).await, 401, "unsigned");
    let other = "whsec_QW5vdGhlciBzZWNyZXQgZW50aXJlbHk=";
    assert_eq!(
        hook(c, s, "msg_b", now, Some(other)).await,
        401,
        "wrong key"
    );
    assert_eq!(
        hook(c, s, "msg_c", now - 600, Some(WEBHOOK_SECRET)).await,
        401,
        "stale"
    );
    assert_eq!(
        hook(c, s, "msg_d", now, Some(WEBHOOK_SECRET)).await,
        202,
        "signed"
    );
    assert_eq!(
        hook(c, s, "msg_d", now, Some(WEBHOOK_SECRET)).await,
        409,
        "replayed"
    );
}

/// Trigger `robot` over the API (a run going answers 409: try again).
async fn trigger(c: &reqwest::Client, s: &Served, robot: &str) -> String {
    for _ in 0..100 {
        let r = c
            .post(s.url(&format!("/api/robots/{robot}/runs")))
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .unwrap();
        if r.status() == 202 {
            let body: serde_json::Value = r.json().await.unwrap();
            return body["run_id"].as_str().unwrap().to_string();
        }
        assert_eq!(r.status(), 409);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the API never started a run of {robot}");
}

async fn run_record(c: &reqwest::Client, s: &Served, id: &str) -> serde_json::Value {
    let url = s.url(&format!("/api/runs/{id}"));
    c.get(url)
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_robots_on_schedules_with_api_hooks_metrics_and_alerts() {
    let sb = common::seeded_sandbox(DEMARCHE, 3, 7, State::EnConstruction).await;
    let dir = tempfile::tempdir().unwrap();
    let (alert_url, alerts) = alert_receiver().await;
    let config = service_config(dir.path(), &sb, &alert_url);
    let s = serve(&config);
    let c = client();
    refusals(&c, &s).await;
    let api_run = trigger(&c, &s, "clerk").await;
    let m = |text: &str, name: &str, labels: &[(&str, &str)]| value(text, name, labels);
    let mut text = String::new();
    eventually(
        Duration::from_secs(40),
        "both schedules ran, a slot skipped, an alert",
        async || {
            text = metrics(&c, &s).await;
            m(
                &text,
                "pont_runs_started_total",
                &[("robot", "clerk"), ("trigger", "schedule")],
            ) >= 1.0
                && m(
                    &text,
                    "pont_runs_total",
                    &[("robot", "slow"), ("result", "ok")],
                ) >= 1.0
                && m(&text, "pont_schedule_skipped_total", &[("robot", "slow")]) >= 1.0
                && m(
                    &text,
                    "pont_runs_total",
                    &[("robot", "clerk"), ("result", "ok")],
                ) >= 3.0
                && !alerts.lock().unwrap().is_empty()
        },
    )
    .await;
    promtool_check(&text);
    // The values: the three dossiers were handled once, by whichever run
    // came first; the API and the webhook each started one run.
    assert_eq!(
        m(
            &text,
            "pont_items_total",
            &[("robot", "clerk"), ("outcome", "done")]
        ),
        3.0,
        "{text}"
    );
    assert_eq!(
        m(
            &text,
            "pont_item_duration_seconds_count",
            &[("robot", "clerk")]
        ),
        3.0
    );
    assert_eq!(
        m(
            &text,
            "pont_items_total",
            &[("robot", "slow"), ("outcome", "done")]
        ),
        1.0
    );
    assert_eq!(
        m(
            &text,
            "pont_runs_started_total",
            &[("robot", "clerk"), ("trigger", "api")]
        ),
        1.0
    );
    assert_eq!(
        m(
            &text,
            "pont_runs_started_total",
            &[("robot", "clerk"), ("trigger", "hook")]
        ),
        1.0
    );
    assert!(
        m(
            &text,
            "pont_runs_total",
            &[("robot", "broken"), ("result", "error")]
        ) >= 1.0
    );
    assert_eq!(m(&text, "pont_robot_degraded", &[("robot", "broken")]), 1.0);
    assert_eq!(m(&text, "pont_robot_degraded", &[("robot", "clerk")]), 0.0);
    assert_eq!(m(&text, "pont_review_queue", &[("robot", "clerk")]), 0.0);
    assert!(
        m(
            &text,
            "pont_last_success_timestamp_seconds",
            &[("robot", "clerk")]
        ) > 1.7e9
    );
    for reason in ["unsigned", "bad-signature", "stale", "replayed", "accepted"] {
        assert_eq!(
            m(&text, "pont_webhooks_total", &[("result", reason)]),
            1.0,
            "{reason}"
        );
    }
    assert_eq!(
        m(&text, "pont_api_refused_total", &[("reason", "wrong")]),
        2.0
    );
    assert_eq!(
        m(&text, "pont_api_refused_total", &[("reason", "missing")]),
        1.0
    );
    // The API's run, as its summary JSON.
    let record = run_record(&c, &s, &api_run).await;
    assert_eq!(record["trigger"], "api", "{record}");
    if record["status"] != "running" {
        assert_eq!(record["status"], "ok", "{record}");
        assert_eq!(record["summary"]["run_id"], api_run.as_str());
    }
    // The alert, as the receiver got it.
    let alert = alerts.lock().unwrap()[0].clone();
    assert_eq!(alert["kind"], "run-failed", "{alert}");
    assert_eq!(alert["robot"], "broken");
    assert!(
        alert["text"].as_str().unwrap().contains("not trusted"),
        "{alert}"
    );
    let health: serde_json::Value = c
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    // Nothing done twice in DS.
    let accepted = sb
        .world()
        .mutation_log()
        .into_iter()
        .filter(|m| m.applied && m.operation == "dossierAccepter")
        .count();
    assert_eq!(accepted, 3);
    reload_drops_a_robot(&c, &s, &config).await;
    s.signal("-TERM");
    let mut s = s;
    let status = wait_exit(&mut s.child, Duration::from_secs(20));
    assert_eq!(status, Some(0), "{}", s.log_text());
    sb.shutdown().await;
}

/// SIGHUP with `broken` removed: the service keeps going with two robots.
async fn reload_drops_a_robot(c: &reqwest::Client, s: &Served, config: &Path) {
    let text = std::fs::read_to_string(config).unwrap();
    let kept = &text[..text.find("[[robot]]\nname = \"broken\"").unwrap()];
    std::fs::write(config, kept).unwrap();
    s.signal("-HUP");
    let mut names = Vec::new();
    eventually(Duration::from_secs(10), "the reload applied", async || {
        let r = c
            .get(s.url("/api/robots"))
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .unwrap();
        let list: serde_json::Value = r.json().await.unwrap();
        names = list
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        names.len() == 2
    })
    .await;
    assert_eq!(names, ["clerk", "slow"]);
}

fn wait_exit(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn check_lists_every_problem_on_its_own_line_and_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let no_ds = no_ds_manifest(dir.path());
    robot_config(
        dir.path(),
        "good",
        &no_ds,
        "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [1]\n",
    );
    // A grant the manifest does not request is fine; a request not granted is not.
    robot_config(
        dir.path(),
        "ungranted",
        &no_ds,
        "[grant]\nlog = true\n\n[queue]\ndossiers = [1]\n",
    );
    let text = "[[robot]]\nname = \"good\"\nconfig = \"good/robot.toml\"\nevery = \"15m\"\n\n\
                [[robot]]\nname = \"ungranted\"\nconfig = \"ungranted/robot.toml\"\ncron = \"0 8 * * 1-5\"\ntimezone = \"Europe/Paris\"\n\n\
                [[robot]]\nname = \"missing\"\nconfig = \"nowhere/robot.toml\"\nevery = \"1h\"\n";
    let path = dir.path().join("service.toml");
    std::fs::write(&path, text).unwrap();
    let ran = common::run_pont(&["serve", "--check", path.to_str().unwrap()], &[]);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    let lines: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("pont: error: "))
        .collect();
    assert_eq!(lines.len(), 2, "{}", ran.stderr);
    assert!(
        lines[0].contains("robot `ungranted`") && lines[0].contains("state"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("robot `missing`") && lines[1].contains("nowhere"),
        "{}",
        lines[1]
    );
    // The service config's own mistakes, one line, naming the key.
    for (bad, says) in [
        (
            "[[robot]]\nname = \"a\"\nconfig = \"good/robot.toml\"\ncron = \"61 * * * *\"\n",
            "cron",
        ),
        (
            "[[robot]]\nname = \"a\"\nconfig = \"good/robot.toml\"\nevery = \"soon\"\n",
            "every",
        ),
        ("listen = \"everywhere\"\n", "listen"),
        (
            "[[robot]]\nname = \"a\"\nconfig = \"good/robot.toml\"\nevery = \"1h\"\ncolour = \"blue\"\n",
            "colour",
        ),
        (
            "[[robot]]\nname = \"a b\"\nconfig = \"good/robot.toml\"\nevery = \"1h\"\n",
            "name",
        ),
        (
            "[[robot]]\nname = \"a\"\nconfig = \"good/robot.toml\"\nevery = \"1h\"\ntimezone = \"Mars/Olympus\"\n",
            "timezone",
        ),
    ] {
        std::fs::write(&path, bad).unwrap();
        let ran = common::run_pont(&["serve", "--check", path.to_str().unwrap()], &[]);
        assert_eq!(ran.code, 4, "{bad}: {}", ran.stderr);
        ran.assert_no_panic();
        assert!(ran.error_line().contains(says), "{bad}: {}", ran.stderr);
    }
    std::fs::write(
        &path,
        "[[robot]]\nname = \"good\"\nconfig = \"good/robot.toml\"\nevery = \"15m\"\n",
    )
    .unwrap();
    let ran = common::run_pont(&["serve", "--check", path.to_str().unwrap()], &[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_merged_beside_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let no_ds = no_ds_manifest(dir.path());
    let robot = "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [1]\n";
    robot_config(dir.path(), "good", &no_ds, robot);
    let text = "listen = \"127.0.0.1:0\"\n\n[console]\naccounts = \"users.toml\"\n\n\
                [[robot]]\nname = \"good\"\nconfig = \"good/robot.toml\"\nevery = \"1h\"\nallow-unsigned = true\n";
    let path = dir.path().join("service.toml");
    std::fs::write(&path, text).unwrap();
    let s = serve(&path);
    let c = client();
    let login = c.get(s.url("/console/connexion")).send().await.unwrap();
    assert_eq!(login.status(), 200, "{}", s.log_text());
    assert!(login.text().await.unwrap().contains("<form"));
    let health = c.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let api = c.get(s.url("/api/robots")).send().await.unwrap();
    assert_eq!(api.status(), 401, "no token configured: the API is closed");
}
