//! The console's acceptance test (issue 19): a real headless Chromium,
//! started the way robots' browsers are (`pont-browser`: chromedriver and
//! Chromium as an unprivileged account when the host is root), logs in to
//! the console served on loopback, opens the dashboard and a run, retries a
//! review item and dismisses another with a reason, each by its label or
//! its button's accessible name, as a keyboard or screen-reader user would
//! find them. The journal state comes from a real run of the scripted robot
//! against the DS sandbox. The audit log then names the agent for both
//! decisions and still verifies, also after a later run appended to it.

mod common;

use std::sync::Arc;

use common::tab::{Tab, role};
use common::*;
use pont_browser::{Browser, BrowserConfig, Locator};
use pont_console::{Options, RobotEntry};
use pont_runtime::journal::{Journal, QueueStatus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_logs_in_opens_a_run_retries_one_dossier_and_dismisses_another() {
    let world = world(4).await;
    let (retried, dismissed) = (world.numbers[0], world.numbers[1]);
    let service = Arc::new(FakeService::default());
    let robot = RobotEntry::from_config("scripted", &world.config).unwrap();
    let state = state_with(
        &world.accounts(),
        vec![robot],
        service.clone(),
        Options::for_listen_addr("127.0.0.1:0".parse().unwrap()),
    );
    let addr = serve(state).await;
    let base = format!("http://{addr}");

    let browser = Browser::launch(BrowserConfig::default()).await.unwrap();
    let tab = Tab::open(&browser, world.dir.path(), base).await;
    // A page asks to log in first.
    tab.log_in().await;

    // The dashboard: the last run, the next one, the review queue, the budget.
    let card = tab
        .text_with(Locator::Css("section.robot".into()), "scripted")
        .await;
    assert!(card.contains("scripted"), "{card}");
    assert!(card.contains("2 dossier(s) à revoir"), "{card}");
    assert!(card.contains("04/05/2031 03:02:01 UTC"), "{card}");
    assert!(card.contains("2 traité(s)"), "{card}");
    assert!(card.contains("Budgets de la dernière exécution"), "{card}");
    assert!(!card.contains(DS_TOKEN), "{card}");

    // The run: its dossiers and outcomes, its ledger, its log.
    tab.click(Locator::Css("section.robot a[href*='/executions/']".into()))
        .await;
    tab.text_with(Locator::Css("h1".into()), "Exécution ").await;
    let run_page = tab.text(Locator::Css("main".into())).await;
    for n in &world.numbers {
        assert!(
            run_page.contains(&n.to_string()),
            "{n} missing:\n{run_page}"
        );
    }
    assert!(run_page.contains("à revoir"), "{run_page}");
    assert!(run_page.contains("Registre des sorties"), "{run_page}");
    assert!(
        run_page.contains(&format!("dossier {retried}, attempt 1")),
        "{run_page}"
    );

    // The review queue, reached from the dashboard's link.
    tab.goto("/console/").await;
    tab.click(role("link", "2 dossier(s) à revoir")).await;
    tab.click(role("button", &format!("Relancer le dossier {retried}")))
        .await;
    let notice = format!("Le dossier {retried} est remis dans la file");
    tab.text_with(Locator::Css("p.avis".into()), &notice).await;
    let reason = "traité à la main <b>au guichet</b>";
    tab.fill(
        Locator::Label(format!("Motif pour écarter le dossier {dismissed}")),
        reason,
    )
    .await;
    tab.click(role("button", &format!("Écarter le dossier {dismissed}")))
        .await;
    let notice = format!("Le dossier {dismissed} est écarté");
    tab.text_with(Locator::Css("p.avis".into()), &notice).await;
    assert!(tab.url().await.contains("/revue"), "{}", tab.url().await);
    let queue = tab.text(Locator::Css("main".into())).await;
    assert!(queue.contains("Aucun dossier n’attend de revue"), "{queue}");

    // The dossier's history shows the dismissal and the DS mutations of an accepted one.
    tab.goto(&format!(
        "/console/robots/scripted/dossiers/{}",
        world.numbers[2]
    ))
    .await;
    let history = tab
        .text_with(Locator::Css("main".into()), "Épisode 1")
        .await;
    assert!(history.contains("Épisode 1"), "{history}");
    assert!(history.contains("dossierAccepter"), "{history}");
    tab.s.close().await;
    browser.shutdown().await;

    // The journal holds both decisions, the service was asked for a run.
    let journal = Journal::open(&world.journal()).unwrap();
    let q = |n| journal.queue_entry("scripted", n).unwrap().unwrap();
    assert_eq!(q(retried).status, QueueStatus::Pending);
    assert_eq!(q(dismissed).status, QueueStatus::Dismissed);
    assert_eq!(q(dismissed).reason.as_deref(), Some(reason));
    assert_eq!(
        *service.requested.lock().unwrap(),
        vec!["scripted".to_string()]
    );

    // The audit log names the agent for both, and verifies.
    let people: Vec<_> = records(&world.audit())
        .into_iter()
        .filter(|r| r["actor"] == AGENT)
        .collect();
    let actions: Vec<_> = people
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_string(),
                r["item"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("review.retry".to_string(), retried),
            ("review.dismiss".to_string(), dismissed)
        ]
    );
    assert_eq!(people[1]["reason"], reason);
    verify(&world);
    // The login is in the console's own audit file.
    let logins = records(&world.path("users.toml.audit.jsonl"));
    assert!(
        logins
            .iter()
            .any(|r| r["action"] == "login" && r["decision"] == "allow" && r["actor"] == AGENT),
        "{logins:?}"
    );

    // A later run takes the retried dossier again and appends after the
    // agent's records: one chain still.
    let report = run(&world).await;
    assert_eq!(
        report.items.iter().map(|i| i.number).collect::<Vec<_>>(),
        vec![retried]
    );
    let intact = verify(&world);
    assert!(intact.sealed, "{intact:?}");
}
