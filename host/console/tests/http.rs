//! The console over plain HTTP, as an attacker or a careless client would
//! use it: hostile strings from a journal, requests without or with a
//! wrong CSRF token, forged and expired session cookies, wrong passwords.
//! The journal is seeded with the runtime's journal API (a run, items under
//! review, log lines), which is how hostile text gets in without a robot
//! written for it; `real_run` uses a real run against the DS sandbox.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use pont_console::session::Lifetimes;
use pont_console::{NoService, Options, RobotEntry};
use pont_runtime::journal::{ItemRecord, Journal, LogLine, QueueStatus};

const HOSTILE_LOG: &str = "<script>alert('log')</script>";
const HOSTILE_REASON: &str = "\"><img src=x onerror=alert(1)>";
const RUN: &str = "20261201T120000.000Z-abc123";

/// A journal with one run of robot `clerk`: dossiers 1 and 2 under review
/// (2 with a hostile reason), a hostile log line.
fn seed(dir: &std::path::Path) -> RobotEntry {
    let journal = Journal::open(&dir.join("journal.sqlite")).unwrap();
    journal.start_run(RUN, "clerk", "00", "robot.toml").unwrap();
    for (n, reason) in [(1, "needs a person"), (2, HOSTILE_REASON)] {
        journal.claim(RUN, "clerk", n, None).unwrap();
        let item = ItemRecord {
            run_id: RUN,
            number: n,
            episode: 1,
            attempt: 1,
            pass: 1,
            status: "needs-review",
            outcome: "needs-review",
            reason,
            started_at: "2026-12-01T12:00:00.000Z",
            duration_ms: 12,
            browser_actions: 0,
            tools: 0,
            wake_at: None,
            wait_ms: 0,
            basis: None,
        };
        journal
            .settle("clerk", QueueStatus::Review, &item, "")
            .unwrap();
    }
    let line = LogLine {
        item: Some(1),
        level: "info".into(),
        message: HOSTILE_LOG.into(),
        fields: "{}".into(),
    };
    journal.log(RUN, &line).unwrap();
    RobotEntry::from_paths(
        "clerk",
        "clerk",
        &dir.join("journal.sqlite"),
        &dir.join("audit.jsonl"),
    )
    .unwrap()
}

async fn console(dir: &std::path::Path, options: Options) -> Client {
    let robot = seed(dir);
    let state = state_with(
        &dir.join("users.toml"),
        vec![robot],
        Arc::new(NoService),
        options,
    );
    Client::new(serve(state).await)
}

fn loopback() -> Options {
    Options::for_listen_addr("127.0.0.1:8080".parse().unwrap())
}

#[tokio::test]
async fn hostile_strings_from_the_journal_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = console(dir.path(), loopback()).await;
    assert_eq!(c.login(AGENT, PASSWORD).await.status, 303);
    let pages = [
        format!("/console/robots/clerk/executions/{RUN}"),
        "/console/robots/clerk/dossiers/1".to_string(),
        "/console/robots/clerk/dossiers/2".to_string(),
        "/console/robots/clerk/revue".to_string(),
    ];
    for page in &pages {
        let a = c.get(page).await;
        assert_eq!(a.status, 200, "{page}: {}", a.body);
        assert!(
            !a.body.contains("<script"),
            "{page}: raw script tag:\n{}",
            a.body
        );
        assert!(!a.body.contains("<img"), "{page}: raw img tag:\n{}", a.body);
        assert!(a.body.contains("<html lang=\"fr\">"), "{page}");
    }
    let run = c.get(&pages[0]).await.body;
    assert!(
        run.contains("&lt;script&gt;alert(&#x27;log&#x27;)&lt;&#x2f;script&gt;"),
        "{run}"
    );
    let review = c.get(&pages[3]).await.body;
    assert!(
        review.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "{review}"
    );
    // A dismissal reason typed by an agent is shown escaped too.
    let csrf = c.csrf().await;
    let a = c
        .post(
            "/console/robots/clerk/revue/1/ecarter",
            &[("csrf", &csrf), ("motif", "<script>x</script>")],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let history = c.get("/console/robots/clerk/dossiers/1").await.body;
    assert!(
        history.contains("&lt;script&gt;x&lt;&#x2f;script&gt;"),
        "{history}"
    );
    assert!(!history.contains("<script"), "{history}");
}

#[tokio::test]
async fn a_form_without_the_right_csrf_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = console(dir.path(), loopback()).await;
    // Even the login form needs its token.
    let _ = c.get("/console/connexion").await;
    let a = c
        .post(
            "/console/connexion",
            &[("nom", AGENT), ("mot_de_passe", PASSWORD)],
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(c.login(AGENT, PASSWORD).await.status, 303);
    let csrf = c.csrf().await;
    // Another agent's session and token.
    let mut other = Client::new(c.base.trim_start_matches("http://").parse().unwrap());
    assert_eq!(other.login(AGENT, PASSWORD).await.status, 303);
    let other_csrf = other.csrf().await;
    assert_ne!(csrf, other_csrf);
    let dismiss = "/console/robots/clerk/revue/1/ecarter";
    let retry = "/console/robots/clerk/revue/2/relancer";
    for form in [
        vec![("motif", "x")],
        vec![("csrf", ""), ("motif", "x")],
        vec![("csrf", "0000"), ("motif", "x")],
        vec![("csrf", other_csrf.as_str()), ("motif", "x")],
    ] {
        assert_eq!(c.post(dismiss, &form).await.status, 403, "{form:?}");
        assert_eq!(c.post(retry, &form).await.status, 403, "{form:?}");
    }
    // A body that is not a form at all.
    let raw = c
        .http
        .post(format!("{}{retry}", c.base))
        .header(
            "cookie",
            format!("pont_console={}", c.cookie.clone().unwrap()),
        )
        .body("{\"csrf\": true}")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 403);
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let status = |n| journal.queue_entry("clerk", n).unwrap().unwrap().status;
    assert_eq!(
        (status(1), status(2)),
        (QueueStatus::Review, QueueStatus::Review)
    );
    assert!(
        !dir.path().join("audit.jsonl").exists(),
        "nothing was decided, nothing audited"
    );
    // With its own token the same request goes through, audited.
    let a = c.post(retry, &[("csrf", &csrf)]).await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(status(2), QueueStatus::Pending);
    let written = records(&dir.path().join("audit.jsonl"));
    assert_eq!(written.len(), 1);
    assert_eq!(
        (written[0]["actor"].as_str(), written[0]["action"].as_str()),
        (Some(AGENT), Some("review.retry"))
    );
    // A dismissal without a reason is refused and changes nothing.
    let a = c.post(dismiss, &[("csrf", &csrf), ("motif", "   ")]).await;
    assert_eq!(a.status, 400);
    assert_eq!(status(1), QueueStatus::Review);
    // Deciding on a dossier no longer under review is refused, and audited as such.
    let a = c.post(retry, &[("csrf", &csrf)]).await;
    assert_eq!(a.status, 409, "{}", a.body);
    let last = records(&dir.path().join("audit.jsonl")).pop().unwrap();
    assert_eq!(last["decision"], "deny");
}

#[tokio::test]
async fn forged_and_expired_sessions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let lifetimes = Lifetimes {
        idle: Duration::from_millis(600),
        absolute: Duration::from_secs(60),
        anonymous: Duration::from_secs(60),
    };
    let mut c = console(
        dir.path(),
        Options {
            lifetimes,
            ..loopback()
        },
    )
    .await;
    // No cookie, a forged one: pages send to the login form, forms are refused.
    for cookie in [None, Some("f".repeat(64)), Some("<script>".to_string())] {
        c.cookie = cookie;
        let a = c.get("/console/").await;
        assert_eq!(
            (a.status, a.location.as_deref()),
            (303, Some("/console/connexion"))
        );
        let a = c.get("/console/robots/clerk/revue").await;
        assert_eq!(a.status, 303);
        let a = c
            .post("/console/robots/clerk/revue/1/relancer", &[("csrf", "f")])
            .await;
        assert_eq!(a.status, 403);
    }
    c.cookie = None;
    assert_eq!(c.login(AGENT, PASSWORD).await.status, 303);
    let csrf = c.csrf().await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    let a = c.get("/console/").await;
    assert_eq!(a.status, 303, "an idle session outlived its lifetime");
    let a = c
        .post("/console/robots/clerk/revue/1/relancer", &[("csrf", &csrf)])
        .await;
    assert_eq!(a.status, 403);
    // Logging out ends the session at once.
    assert_eq!(c.login(AGENT, PASSWORD).await.status, 303);
    let csrf = c.csrf().await;
    let kept = c.cookie.clone();
    assert_eq!(
        c.post("/console/deconnexion", &[("csrf", &csrf)])
            .await
            .status,
        303
    );
    c.cookie = kept;
    assert_eq!(c.get("/console/").await.status, 303);
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = console(dir.path(), loopback()).await;
    let a = c.login(AGENT, "pas le bon mot de passe").await;
    assert_eq!(a.status, 401);
    assert!(
        a.body.contains("Nom de compte ou mot de passe incorrect."),
        "{}",
        a.body
    );
    assert_eq!(c.get("/console/").await.status, 303, "not logged in");
    let a = c.login("personne", "pas le bon mot de passe").await;
    assert_eq!(a.status, 401);
    let audit = dir.path().join("users.toml.audit.jsonl");
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(
        !text.contains("pas le bon mot de passe"),
        "a password reached the audit log"
    );
    let logins = records(&audit);
    let seen: Vec<_> = logins
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap(),
                r["decision"].as_str().unwrap(),
                r["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (AGENT, "deny", "wrong password"),
            ("personne", "deny", "no such account")
        ]
    );
    assert_eq!(c.login(AGENT, PASSWORD).await.status, 303);
    let intact = pont_policy::verify_audit(&audit).unwrap();
    assert_eq!((intact.records, intact.sealed), (3, true));
}

#[tokio::test]
async fn cookies_are_http_only_strict_and_secure_unless_on_loopback() {
    for (listen, secure) in [
        ("127.0.0.1:8080", false),
        ("[::1]:8080", false),
        ("0.0.0.0:8080", true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let options = Options::for_listen_addr(listen.parse().unwrap());
        let mut c = console(dir.path(), options).await;
        let a = c.get("/console/connexion").await;
        let cookie = &a.set_cookie[0];
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        assert_eq!(cookie.contains("Secure"), secure, "{listen}: {cookie}");
        let id = c.cookie.clone().unwrap();
        assert_eq!(id.len(), 64);
        // Logging in gives a new session id: a planted one never logs in.
        let a = c.login(AGENT, PASSWORD).await;
        assert_eq!(a.status, 303);
        assert_ne!(c.cookie.as_deref(), Some(id.as_str()));
        assert!(a.set_cookie[0].contains("HttpOnly"));
    }
}

/// After a real run against the sandbox, no page carries the DS token, and
/// every page a robot links to renders.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_run_pages_hold_no_secret() {
    let world = world(3).await;
    let robot = RobotEntry::from_config("scripted", &world.config).unwrap();
    let state = state_with(
        &world.accounts(),
        vec![robot],
        Arc::new(NoService),
        loopback(),
    );
    let mut c = Client::new(serve(state).await);
    assert_eq!(c.login(AGENT, PASSWORD).await.status, 303);
    let run_id = Journal::open(&world.journal()).unwrap().runs(1).unwrap()[0]
        .id
        .clone();
    let mut pages = vec![
        "/console/".to_string(),
        "/console/audit".to_string(),
        "/console/robots/scripted/revue".to_string(),
        format!("/console/robots/scripted/executions/{run_id}"),
    ];
    pages.extend(
        world
            .numbers
            .iter()
            .map(|n| format!("/console/robots/scripted/dossiers/{n}")),
    );
    for page in &pages {
        let a = c.get(page).await;
        assert_eq!(a.status, 200, "{page}: {}", a.body);
        assert!(!a.body.contains(DS_TOKEN), "{page} shows the DS token");
        assert!(
            !a.body.contains("ds-token"),
            "{page} shows where the token lives"
        );
    }
    let audit = c.get("/console/audit").await.body;
    assert!(
        audit.contains("sceau conforme à celui du journal"),
        "{audit}"
    );
    assert_eq!(c.get("/console/robots/nobody/revue").await.status, 404);
    assert_eq!(
        c.get("/console/robots/scripted/dossiers/abc").await.status,
        404
    );
    assert_eq!(
        c.get("/console/robots/scripted/executions/none")
            .await
            .status,
        404
    );
}
