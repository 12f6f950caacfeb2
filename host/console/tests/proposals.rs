//! Four-eyes decisions in the console (issue 20). The `refuser` robot
//! refuses dossiers under `[approval] required = ["refuser"]`: a real run
//! against the DS sandbox records one proposal per dossier and sends
//! nothing. Then an agent decides, in a real Chromium (the acceptance test)
//! or over plain HTTP as an attacker or a careless client would (CSRF,
//! decided twice, hostile and oversized text, secrets).

mod common;

use std::sync::Arc;

use common::tab::{Tab, role};
use common::*;
use pont_browser::{Browser, BrowserConfig, Locator};
use pont_console::{Options, RobotEntry};
use pont_runtime::approval::{Proposal, ProposalStatus};
use pont_runtime::journal::{Journal, QueueStatus};

fn loopback() -> Options {
    Options::for_listen_addr("127.0.0.1:0".parse().unwrap())
}

/// The console over the world's robot, served on loopback.
async fn console(world: &World, service: Arc<FakeService>) -> String {
    let robot = RobotEntry::from_config("refuser", &world.config).unwrap();
    let state = state_with(&world.accounts(), vec![robot], service, loopback());
    format!("http://{}", serve(state).await)
}

/// The dossier as the sandbox holds it now: its state, the motivation of
/// its decision and who took it.
fn in_ds(world: &World, n: i64) -> (String, Option<String>, Option<String>) {
    let d = world.sb.world().dossier(n).unwrap();
    let by = d.traitements.last().and_then(|t| t.email.clone());
    (format!("{:?}", d.state), d.motivation.clone(), by)
}

/// The refusals the sandbox applied, by dossier.
fn refusals(world: &World) -> Vec<i64> {
    let mut out: Vec<i64> = world
        .sb
        .world()
        .mutation_log()
        .into_iter()
        .filter(|m| m.operation == "dossierRefuser" && m.applied)
        .filter_map(|m| m.dossier)
        .collect();
    out.sort();
    out
}

/// The agent's records in the robot's audit file: (action, dossier).
fn agent_actions(world: &World) -> Vec<(String, i64)> {
    records(&world.audit())
        .into_iter()
        .filter(|r| r["actor"] == AGENT)
        .map(|r| {
            let action = r["action"].as_str().unwrap().to_string();
            (action, r["item"].as_i64().unwrap_or(-1))
        })
        .collect()
}

async fn approve(tab: &Tab, p: &Proposal) {
    let name = format!("Approuver la proposition {} (dossier {})", p.id, p.number);
    tab.click(role("button", &name)).await;
    let notice = format!(
        "La proposition {} (dossier {}) est approuvée et envoyée à DS.",
        p.id, p.number
    );
    tab.text_with(Locator::Css("p.avis".into()), &notice).await;
}

async fn reject(tab: &Tab, p: &Proposal, reason: &str) {
    let (id, n) = (p.id, p.number);
    let label = format!("Motif du rejet de la proposition {id} (dossier {n})");
    tab.fill(Locator::Label(label), reason).await;
    let name = format!("Rejeter la proposition {id} (dossier {n})");
    tab.click(role("button", &name)).await;
    let notice =
        format!("La proposition {id} est rejetée ; le dossier {n} est dans la file de revue.");
    tab.text_with(Locator::Css("p.avis".into()), &notice).await;
}

async fn modify(tab: &Tab, p: &Proposal, motivation: &str) {
    let (id, n) = (p.id, p.number);
    let label = format!("Votre motivation pour la proposition {id} (dossier {n})");
    tab.fill(Locator::Label(label), motivation).await;
    let name = format!("Approuver avec ma motivation la proposition {id} (dossier {n})");
    tab.click(role("button", &name)).await;
    let notice = format!(
        "La proposition {id} (dossier {n}) est approuvée avec votre motivation et envoyée à DS."
    );
    tab.text_with(Locator::Css("p.avis".into()), &notice).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_approves_seven_rejects_two_and_modifies_one_in_chromium() {
    let world = approval_world(10, "review").await;
    let proposals = pending(&world);
    assert_eq!(proposals.len(), 10);
    add_agent_instructeur(&world.accounts());
    let base = console(&world, Arc::new(FakeService::default())).await;
    let browser = Browser::launch(BrowserConfig::default()).await.unwrap();
    let tab = Tab::open(&browser, world.dir.path(), base).await;
    tab.log_in().await;

    // The dashboard counts them and links to them.
    let link = "10 proposition(s) à décider";
    tab.text_with(Locator::Css("section.robot".into()), link)
        .await;
    tab.click(role("link", link)).await;
    let page = tab
        .text_with(Locator::Css("main".into()), "À décider")
        .await;
    let first = &proposals[0];
    for fact in [
        format!(
            "Proposition {} : refuser le dossier {}",
            first.id, first.number
        ),
        robot_motivation(first.number),
        "en instruction".to_string(),
        first.hash.clone(),
    ] {
        assert!(page.contains(&fact), "{fact} missing:\n{page}");
    }

    let modified =
        "Après vérification par un agent : l’attestation fiscale manque <b>toujours</b>.";
    let rejected = "le robot a lu une pièce périmée";
    for p in &proposals[..7] {
        approve(&tab, p).await;
    }
    for p in &proposals[7..9] {
        reject(&tab, p, rejected).await;
    }
    modify(&tab, &proposals[9], modified).await;
    let page = tab.text(Locator::Css("main".into())).await;
    assert!(
        page.contains("Aucune proposition n’attend de décision."),
        "{page}"
    );
    assert!(
        page.contains("Les 10 dernières propositions décidées"),
        "{page}"
    );
    assert!(page.contains(modified), "{page}");
    assert_eq!(
        page.matches(&format!("{AGENT} (console)")).count(),
        10,
        "{page}"
    );
    tab.s.close().await;
    browser.shutdown().await;

    // DS got exactly the 8 approved refusals, with the approved
    // motivations, sent as the agent's instructeur.
    let mut sent: Vec<i64> = proposals[..7]
        .iter()
        .chain(&proposals[9..])
        .map(|p| p.number)
        .collect();
    sent.sort();
    assert_eq!(refusals(&world), sent);
    assert_eq!(world.sb.world().mutation_log().len(), 8);
    for p in &proposals[..7] {
        let want = Some(robot_motivation(p.number));
        let by = Some(AGENT_INSTRUCTEUR.to_string());
        assert_eq!(in_ds(&world, p.number), ("Refuse".into(), want, by));
    }
    let (state, motivation, _) = in_ds(&world, proposals[9].number);
    assert_eq!(
        (state.as_str(), motivation.as_deref()),
        ("Refuse", Some(modified))
    );
    // The two rejected ones are untouched in DS and in the review queue.
    let journal = Journal::open(&world.journal()).unwrap();
    for p in &proposals[7..9] {
        assert_eq!(in_ds(&world, p.number).0, "EnInstruction");
        let q = journal.queue_entry("refuser", p.number).unwrap().unwrap();
        assert_eq!(q.status, QueueStatus::Review, "{q:?}");
        assert!(q.reason.unwrap_or_default().contains(rejected));
    }
    let status = |p: &Proposal| journal.proposal("refuser", p.id).unwrap().unwrap().status;
    assert!(
        proposals[..7]
            .iter()
            .all(|p| status(p) == ProposalStatus::Executed)
    );
    assert_eq!(status(&proposals[9]), ProposalStatus::Executed);

    // The audit names the agent for each decision, in order, and verifies.
    let decisions: Vec<(String, i64)> = agent_actions(&world)
        .into_iter()
        .filter(|(a, _)| a != "approval.execute")
        .collect();
    let mut want: Vec<(String, i64)> = Vec::new();
    want.extend(
        proposals[..7]
            .iter()
            .map(|p| ("approval.approve".into(), p.number)),
    );
    want.extend(
        proposals[7..9]
            .iter()
            .map(|p| ("approval.reject".into(), p.number)),
    );
    want.push(("approval.modify".into(), proposals[9].number));
    assert_eq!(decisions, want);
    let executions = agent_actions(&world)
        .into_iter()
        .filter(|(a, _)| a == "approval.execute")
        .count();
    assert_eq!(executions, 8);
    let intact = verify(&world);
    assert!(intact.sealed, "{intact:?}");
}

/// POST a form declared as `len` bytes long (1 MiB and more) but send only
/// its first 128 KiB, then read the answer: a console that stops reading at
/// its limit answers before the client is done (a client sending it all
/// would meet a closed connection instead of the page).
async fn oversized_post(
    c: &Client,
    path: &str,
    field: &str,
    csrf: &str,
    len: usize,
) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = c.base.trim_start_matches("http://").to_string();
    let cookie = c.cookie.clone().unwrap();
    let mut body = format!("csrf={csrf}&{field}=");
    while body.len() < 128 * 1024 {
        body.push_str("%3Cb%3E");
    }
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: pont_console={cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len}\r\n\
         Connection: close\r\n\r\n"
    );
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let _ = s
            .write_all(head.as_bytes())
            .and_then(|()| s.write_all(body.as_bytes()));
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    let status = answer.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, answer)
}

/// The three forms of proposal `id`.
fn forms(id: i64) -> [String; 3] {
    let at = |verb: &str| format!("/console/robots/refuser/propositions/{id}/{verb}");
    [at("approuver"), at("rejeter"), at("modifier")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_need_the_csrf_token_and_a_decided_proposal_stays_decided() {
    let world = approval_world(2, "review").await;
    let proposals = pending(&world);
    let service = Arc::new(FakeService::default());
    let base = console(&world, service.clone()).await;
    let mut c = Client::new(base.trim_start_matches("http://").parse().unwrap());
    assert_eq!(c.login(AGENT, PASSWORD).await.status, 303);
    let csrf = c.csrf().await;
    let p = &proposals[0];
    for form in forms(p.id) {
        for fields in [
            vec![("motif", "x"), ("motivation", "y")],
            vec![("csrf", "0000"), ("motif", "x"), ("motivation", "y")],
        ] {
            let a = c.post(&form, &fields).await;
            assert_eq!(a.status, 403, "{form} {fields:?}: {}", a.body);
        }
    }
    assert_eq!(pending(&world).len(), 2, "nothing was decided");
    assert!(
        agent_actions(&world).is_empty(),
        "nothing audited for the agent"
    );

    // Approved once, as the robot's instructeur (the account names none)
    // with the agent in the audit; a second decision is refused, clearly.
    let [approve, reject, modify] = forms(p.id);
    let a = c.post(&approve, &[("csrf", &csrf)]).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let to = a.location.unwrap();
    assert!(to.contains("envoi=envoye"), "{to}");
    let robot = pont_sandbox::seed::robot_instructeur_email(DEMARCHE);
    assert_eq!(in_ds(&world, p.number).2, robot);
    for (form, fields) in [
        (&approve, vec![("csrf", csrf.as_str())]),
        (&reject, vec![("csrf", csrf.as_str()), ("motif", "non")]),
        (
            &modify,
            vec![("csrf", csrf.as_str()), ("motivation", "autre")],
        ),
    ] {
        let a = c.post(form, &fields).await;
        assert_eq!(a.status, 409, "{form}: {}", a.body);
        assert!(
            a.body.contains(&format!(
                "La proposition {} est déjà décidée (envoyée à DS)",
                p.id
            )),
            "{}",
            a.body
        );
    }
    assert_eq!(refusals(&world), vec![p.number], "sent once");
    let denied = records(&world.audit())
        .into_iter()
        .filter(|r| r["actor"] == AGENT && r["decision"] == "deny")
        .count();
    assert_eq!(denied, 3, "each refused decision is audited as a denial");
    let approve_audit = records(&world.audit())
        .into_iter()
        .find(|r| r["actor"] == AGENT && r["action"] == "approval.approve")
        .unwrap();
    assert_eq!(approve_audit["capability"], "console", "{approve_audit}");

    // A proposal that does not exist, or is not a number.
    let [missing, ..] = forms(9999);
    assert_eq!(c.post(&missing, &[("csrf", &csrf)]).await.status, 404);
    let a = c
        .post(
            "/console/robots/refuser/propositions/abc/approuver",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(a.status, 404);
    assert!(service.requested.lock().unwrap().is_empty());

    // The applicant writes after the proposal: the approved refusal is not
    // sent, the page says why, and the dossier goes back to the robot.
    let changed = &proposals[1];
    let edit = pont_sandbox::ApplicantEdit::message("J’envoie la pièce manquante.");
    world
        .sb
        .world()
        .applicant_edit(changed.number, edit)
        .unwrap();
    let [approve, ..] = forms(changed.id);
    let a = c.post(&approve, &[("csrf", &csrf)]).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let page = c.get(&a.location.unwrap()).await.body;
    assert!(
        page.contains("n’est pas envoyée : le dossier a changé dans DS"),
        "{page}"
    );
    assert_eq!(
        refusals(&world),
        vec![p.number],
        "the changed dossier is not refused"
    );
    assert_eq!(in_ds(&world, changed.number).0, "EnInstruction");
    assert_eq!(
        *service.requested.lock().unwrap(),
        vec!["refuser".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_and_oversized_text_is_escaped_or_refused_and_no_secret_shows() {
    let world = approval_world(3, "robot").await;
    let proposals = pending(&world);
    let service = Arc::new(FakeService::default());
    let base = console(&world, service.clone()).await;
    let mut c = Client::new(base.trim_start_matches("http://").parse().unwrap());
    assert_eq!(c.login(AGENT, PASSWORD).await.status, 303);
    let csrf = c.csrf().await;
    let [_, reject, modify] = forms(proposals[0].id);

    // Refused with a clear page, nothing decided: no reason, a reason or a
    // motivation over the desk's limits, a 1 MiB body.
    let long_reason = "r".repeat(pont_runtime::approval::REASON_MAX + 1);
    let long_motivation = "m".repeat(pont_runtime::approval::MOTIVATION_MAX + 1);
    for (form, field, text, status, says) in [
        (
            &reject,
            "motif",
            "   ",
            400,
            "Le motif du rejet est obligatoire.",
        ),
        (
            &reject,
            "motif",
            long_reason.as_str(),
            400,
            "plus que les 2000 permis",
        ),
        (
            &modify,
            "motivation",
            "",
            400,
            "Le texte de la motivation est obligatoire.",
        ),
        (
            &modify,
            "motivation",
            long_motivation.as_str(),
            400,
            "plus que les 10000 permis",
        ),
    ] {
        let a = c.post(form, &[("csrf", &csrf), (field, text)]).await;
        assert_eq!(a.status, status, "{form} {}: {}", text.len(), a.body);
        assert!(a.body.contains(says), "{}", a.body);
        assert!(a.body.len() < 10_000, "the refusal does not echo the text");
    }
    for (form, field) in [(&modify, "motivation"), (&reject, "motif")] {
        let (status, answer) = oversized_post(&c, form, field, &csrf, 1 << 20).await;
        assert_eq!(status, 413, "{answer}");
        assert!(
            answer.contains("Formulaire trop long (64 Kio au plus)"),
            "{answer}"
        );
    }
    assert_eq!(pending(&world).len(), 3, "nothing was decided");

    // Markup in a motivation and a reason is sent and kept as text, shown escaped.
    let hostile = "<script>alert('m')</script>\"><img src=x onerror=alert(1)>";
    let a = c
        .post(&modify, &[("csrf", &csrf), ("motivation", hostile)])
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(
        in_ds(&world, proposals[0].number).1.as_deref(),
        Some(hostile)
    );
    let [_, reject_1, _] = forms(proposals[1].id);
    let a = c
        .post(&reject_1, &[("csrf", &csrf), ("motif", hostile)])
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(a.location.unwrap().contains("fait=rejete-robot"));
    // on-reject = "robot": the dossier goes back to the robot, a run is asked for.
    let journal = Journal::open(&world.journal()).unwrap();
    let q = journal
        .queue_entry("refuser", proposals[1].number)
        .unwrap()
        .unwrap();
    assert_eq!(q.status, QueueStatus::Pending, "{q:?}");
    assert_eq!(
        *service.requested.lock().unwrap(),
        vec!["refuser".to_string()]
    );

    let page = c.get("/console/robots/refuser/propositions").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("<script") && !page.body.contains("<img"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("&lt;script&gt;alert(&#x27;m&#x27;)&lt;&#x2f;script&gt;"),
        "{}",
        page.body
    );
    for path in ["/console/", "/console/robots/refuser/propositions"] {
        let body = c.get(path).await.body;
        for secret in [DS_TOKEN, "ds-token", "robot.toml", "$argon2id$"] {
            assert!(!body.contains(secret), "{path} shows {secret}");
        }
    }
    verify(&world);
}

/// Two agents approve and reject the same proposal at the same instant:
/// one decision wins, the other is refused, DS gets one refusal at most.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_deciding_at_once_make_one_decision() {
    let world = approval_world(1, "review").await;
    let p = pending(&world).remove(0);
    let other = "agent.martin";
    pont_console::accounts::Accounts::new(&world.accounts())
        .add(other, PASSWORD, false)
        .unwrap();
    let base = console(&world, Arc::new(FakeService::default())).await;
    let addr = base.trim_start_matches("http://").parse().unwrap();
    let (mut a, mut b) = (Client::new(addr), Client::new(addr));
    assert_eq!(a.login(AGENT, PASSWORD).await.status, 303);
    assert_eq!(b.login(other, PASSWORD).await.status, 303);
    let (csrf_a, csrf_b) = (a.csrf().await, b.csrf().await);
    let [approve, reject, _] = forms(p.id);
    let form_a = [("csrf", csrf_a.as_str())];
    let form_b = [("csrf", csrf_b.as_str()), ("motif", "je refuse")];
    let (ra, rb) = tokio::join!(a.post(&approve, &form_a), b.post(&reject, &form_b));
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [303, 409], "{}\n{}", ra.body, rb.body);
    // One decision, at most one refusal, one audit chain. Sending right
    // after the decision may be left to the robot's next run, which sends
    // what is still approved.
    assert!(refusals(&world).len() <= 1);
    verify(&world);
    run(&world).await;
    let now = Journal::open(&world.journal())
        .unwrap()
        .proposal("refuser", p.id)
        .unwrap()
        .unwrap();
    let sent = refusals(&world);
    if ra.status == 303 {
        assert_eq!(
            (now.status, sent),
            (ProposalStatus::Executed, vec![p.number])
        );
        assert_eq!(now.decided_by.as_deref(), Some(AGENT));
    } else {
        assert_eq!((now.status, sent), (ProposalStatus::Rejected, vec![]));
        assert_eq!(now.decided_by.as_deref(), Some(other));
    }
    verify(&world);
}
