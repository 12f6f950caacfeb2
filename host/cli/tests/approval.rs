//! Four-eyes decisions with the real `pont` binary against the sandbox: a
//! robot whose refusals need an agent's approval proposes them, nothing
//! reaches DS until an agent decides, and the host then sends exactly what
//! was approved, once, as the agent's instructeur when given, and never a
//! decision on a dossier that changed since it was proposed.

mod approval_kit;

use std::collections::BTreeMap;
use std::path::Path;

use approval_kit::{
    agent_instructeur, applicant_writes, config, numbers, pont_as, proposals, refusals, run, s,
    world,
};
use pont_sandbox::seed::robot_instructeur_email;
use rusqlite::Connection;

const REQUIRED: &str = "required = [\"refuser\"]";
const AGENT_TEXT: &str = "Refus décidé par l'agent : le justificatif fourni est illisible.";

/// Proposal id per dossier, from `pont review proposals`.
fn ids(cfg: &Path, status: &str) -> BTreeMap<i64, i64> {
    proposals(cfg)
        .iter()
        .filter(|p| p["status"] == status)
        .map(|p| (p["number"].as_i64().unwrap(), p["id"].as_i64().unwrap()))
        .collect()
}

fn queue_row(journal: &Path, number: i64) -> (String, i64) {
    let c = Connection::open(journal).unwrap();
    c.query_row(
        "SELECT status, episode FROM queue WHERE number = ?1",
        [number],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// `pont review <verb> <cfg> <args>` as `agent`; its exit code and output.
fn review(
    agent: &str,
    cfg: &Path,
    verb: &str,
    args: &[&str],
    vars: &[(&str, &str)],
) -> (i32, String) {
    let mut all = vec!["review", verb, s(cfg)];
    all.extend_from_slice(args);
    let out = pont_as(agent, &all, vars);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn audit(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Audit records of `action`: (actor, decision, target).
fn audited(dir: &Path, action: &str) -> Vec<(String, String, String)> {
    audit(dir)
        .iter()
        .filter(|r| r["action"] == action)
        .map(|r| {
            let f = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (f("actor"), f("decision"), f("target"))
        })
        .collect()
}

fn motivation(n: i64) -> String {
    format!("Pièce justificative manquante (dossier {n})")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_refusals_wait_for_agents_and_exactly_the_approved_ones_reach_ds() {
    let sb = world(11).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &sb, REQUIRED);
    let report = run(&cfg);
    let items = report["items"].as_array().unwrap();
    assert_eq!(items.len(), 11);
    assert!(items.iter().all(|i| i["status"] == "waiting"), "{items:?}");
    assert!(
        refusals(&sb).is_empty(),
        "nothing reaches DS before a decision"
    );
    let pending = proposals(&cfg);
    assert_eq!(pending.len(), 11);
    for p in &pending {
        let n = p["number"].as_i64().unwrap();
        assert_eq!(p["motivation"], motivation(n).as_str());
        assert_eq!(p["dossier_state"], "en_instruction");
        assert!(!p["based_on"].as_str().unwrap().is_empty());
        assert!(
            p["reasons"].as_str().unwrap().contains("refus proposé"),
            "{p}"
        );
        let evidence = p["evidence"].to_string();
        assert!(evidence.contains("refus motivé"), "{evidence}");
    }
    assert_eq!(audited(dir.path(), "approval.propose").len(), 11);

    let all = numbers(&sb);
    let by_number = ids(&cfg, "pending");
    let id = |n: i64| by_number[&n].to_string();
    let (approved, rejected, modified, changed) = (&all[..7], &all[7..9], all[9], all[10]);

    // The applicant writes after the proposal: the dossier is not the one proposed on.
    applicant_writes(&sb, changed);

    let approve: Vec<String> = approved.iter().map(|n| id(*n)).collect();
    let approve: Vec<&str> = approve.iter().map(String::as_str).collect();
    let (code, out) = review("alice", &cfg, "approve", &approve, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sent 7, stale 0"), "{out}");
    let reject: Vec<String> = rejected.iter().map(|n| id(*n)).collect();
    let (code, out) = review(
        "bob",
        &cfg,
        "reject",
        &[&reject[0], &reject[1], "--reason", "motif insuffisant"],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    let agent = agent_instructeur(&sb, modified);
    let modified_id = id(modified);
    let args = [
        modified_id.as_str(),
        "--motivation",
        AGENT_TEXT,
        "--instructeur",
        &agent,
    ];
    let (code, out) = review("carol", &cfg, "modify", &args, &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = review("alice", &cfg, "approve", &[&id(changed)], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sent 0, stale 1"), "{out}");

    // Exactly 8 refusals in DS, each once, with the approved motivations.
    let sent = refusals(&sb);
    assert_eq!(sent.len(), 8, "{sent:?}");
    let robot = robot_instructeur_email(approval_kit::DEMARCHE).unwrap();
    for n in approved {
        assert_eq!(sent[n], (1, motivation(*n), robot.clone()), "dossier {n}");
    }
    assert_eq!(sent[&modified], (1, AGENT_TEXT.to_string(), agent.clone()));
    assert!(
        !sent.contains_key(&changed),
        "a changed dossier is not refused"
    );

    let journal = dir.path().join("journal.sqlite");
    for n in rejected {
        assert_eq!(
            queue_row(&journal, *n).0,
            "review",
            "rejected {n} is in review"
        );
    }
    assert_eq!(
        queue_row(&journal, changed),
        ("pending".into(), 2),
        "back to the robot"
    );
    assert_eq!(queue_row(&journal, approved[0]).0, "done");

    // A decision on a decided proposal is refused, on one line.
    let (code, out) = review(
        "bob",
        &cfg,
        "reject",
        &[&id(approved[0]), "--reason", "trop tard"],
        &[],
    );
    assert_ne!(code, 0);
    assert!(out.contains("is already executed"), "{out}");

    // The audit names the agent of each decision and of each execution.
    let approvals = audited(dir.path(), "approval.approve");
    assert_eq!(
        approvals
            .iter()
            .filter(|a| a.0 == "alice" && a.1 == "allow")
            .count(),
        8
    );
    let rejections = audited(dir.path(), "approval.reject");
    assert_eq!(
        rejections
            .iter()
            .filter(|a| a.0 == "bob" && a.1 == "allow")
            .count(),
        2
    );
    assert_eq!(rejections.iter().filter(|a| a.1 == "deny").count(), 1);
    assert_eq!(audited(dir.path(), "approval.modify")[0].0, "carol");
    let executions = audited(dir.path(), "approval.execute");
    assert_eq!(executions.iter().filter(|e| e.1 == "allow").count(), 8);
    let stale = executions.iter().find(|e| e.1 == "deny").unwrap();
    assert!(stale.2.contains(&format!("dossier {changed}")), "{stale:?}");
    let verify = pont_as("operator", &["audit", "verify", "--config", s(&cfg)], &[]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // The next run hands the changed dossier back to the robot, which
    // proposes again for its new episode; nothing else moves.
    let report = run(&cfg);
    let numbers: Vec<i64> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![changed]);
    let again = ids(&cfg, "pending");
    assert_eq!(again.keys().copied().collect::<Vec<_>>(), vec![changed]);
    assert_eq!(refusals(&sb).len(), 8);

    // The report: 12 proposals, 11 decided (the stale one was approved).
    let out = pont_as(
        "operator",
        &["report", s(&cfg), "--since", "2000-01-01"],
        &[],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("| refuser | 12 | 11 | 72.7 % | 18.2 % | 9.1 % |"),
        "{text}"
    );
}

/// Run the robot on a fresh world of `n` dossiers; the config's dir, the
/// config and the proposal ids by dossier.
async fn proposed(
    n: usize,
) -> (
    pont_sandbox::Sandbox,
    tempfile::TempDir,
    std::path::PathBuf,
    Vec<i64>,
) {
    let sb = world(n).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &sb, REQUIRED);
    run(&cfg);
    let ids = ids(&cfg, "pending").into_values().collect();
    (sb, dir, cfg, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_between_approval_and_execution_sends_once_on_restart() {
    let (sb, _dir, cfg, ids) = proposed(2).await;
    let (first, second) = (ids[0].to_string(), ids[1].to_string());
    // Killed after the decision, before anything is sent.
    let crash = [("PONT_TEST_CRASH_AT", "approval-decided")];
    let (code, out) = review("alice", &cfg, "approve", &[&first], &crash);
    assert_ne!(code, 0, "{out}");
    assert!(refusals(&sb).is_empty());
    // Killed after DS applied it, before the journal heard back.
    let crash = [("PONT_TEST_CRASH_AT", "approval-sent")];
    let (code, out) = review("alice", &cfg, "approve", &[&second], &crash);
    assert_ne!(code, 0, "{out}");
    // The pass sends every approved proposal, oldest first: the first one
    // reached DS, then the process died.
    assert_eq!(refusals(&sb).len(), 1, "{:?}", refusals(&sb));
    // The restart finishes both without sending either again.
    run(&cfg);
    run(&cfg);
    let sent = refusals(&sb);
    assert!(sent.values().all(|(count, ..)| *count == 1), "{sent:?}");
    let tries = sb
        .world()
        .mutation_log()
        .iter()
        .filter(|m| m.operation == "dossierRefuser")
        .count();
    assert_eq!(tries, 2, "no second request reached DS");
    assert!(proposals(&cfg).iter().all(|p| p["status"] == "executed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_proposal_is_refused_and_never_sent() {
    let (sb, dir, cfg, ids) = proposed(2).await;
    let journal = Connection::open(dir.path().join("journal.sqlite")).unwrap();
    let tamper = |id: i64| {
        journal
            .execute(
                "UPDATE proposals SET motivation = 'Refus arbitraire' WHERE id = ?1",
                [id],
            )
            .unwrap();
    };
    // Changed before the decision: the agent cannot approve it.
    tamper(ids[0]);
    let (code, out) = review("alice", &cfg, "approve", &[&ids[0].to_string()], &[]);
    assert_ne!(code, 0);
    assert!(out.contains("does not match its hash"), "{out}");
    // Changed after the decision, before execution: not sent.
    let crash = [("PONT_TEST_CRASH_AT", "approval-decided")];
    review("alice", &cfg, "approve", &[&ids[1].to_string()], &crash);
    tamper(ids[1]);
    run(&cfg);
    assert!(refusals(&sb).is_empty(), "{:?}", refusals(&sb));
    let p = proposals(&cfg)
        .into_iter()
        .find(|p| p["id"] == ids[1])
        .unwrap();
    assert_eq!(p["status"], "failed");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("does not match its hash"),
        "{p}"
    );
    let denied = audited(dir.path(), "approval.execute");
    assert!(
        denied.iter().any(|e| e.0 == "alice" && e.1 == "deny"),
        "{denied:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_on_reject_robot_a_rejection_goes_back_to_the_robot() {
    let sb = world(1).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &sb,
        "required = [\"refuser\"]\non-reject = \"robot\"",
    );
    run(&cfg);
    let (n, id) = ids(&cfg, "pending").into_iter().next().unwrap();
    let args = [id.to_string(), "--reason".into(), "revoir le motif".into()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out) = review("bob", &cfg, "reject", &args, &[]);
    assert_eq!(code, 0, "{out}");
    let journal = dir.path().join("journal.sqlite");
    assert_eq!(queue_row(&journal, n), ("pending".into(), 2));
    // The robot has it again, in its new episode, and proposes anew.
    run(&cfg);
    let again: Vec<_> = proposals(&cfg)
        .into_iter()
        .filter(|p| p["status"] == "pending")
        .collect();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["episode"], 2);
    assert!(refusals(&sb).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_justificatif_is_kept_by_its_hash_and_sent_only_unchanged() {
    use sha2::Digest;
    let sb = world(2).await;
    let dir = tempfile::tempdir().unwrap();
    let settings = "justificatif = \"Relevé des pièces manquantes\"";
    let cfg = approval_kit::config_with(dir.path(), &sb, REQUIRED, settings);
    run(&cfg);
    let sha = hex::encode(sha2::Sha256::digest("Relevé des pièces manquantes"));
    let list = proposals(&cfg);
    assert!(
        list.iter()
            .all(|p| p["justificatif_sha256"] == sha.as_str()),
        "{list:?}"
    );
    let kept = dir.path().join("journal.proposals").join(&sha);
    assert!(kept.exists(), "the file outlives the run's spool");
    let (ok, changed) = (list[0]["id"].to_string(), list[1]["id"].to_string());
    let (code, out) = review("alice", &cfg, "approve", &[&ok], &[]);
    assert_eq!(code, 0, "{out}");
    let n = list[0]["number"].as_i64().unwrap();
    let file = sb
        .world()
        .dossier(n)
        .unwrap()
        .justificatif
        .clone()
        .expect("sent with it");
    assert_eq!(file.filename, "motif.txt");
    // The kept bytes change before the second is approved: not sent.
    std::fs::write(&kept, "autre chose").unwrap();
    let (code, out) = review("alice", &cfg, "approve", &[&changed], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("not sent 1"), "{out}");
    assert_eq!(refusals(&sb).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_to_the_applicant_waits_for_its_agent_and_goes_once() {
    let sb = world(1).await;
    let n = numbers(&sb)[0];
    let dir = tempfile::tempdir().unwrap();
    let body = "Merci de joindre votre avis d'imposition.";
    let settings = format!("message = {body:?}");
    let cfg = approval_kit::config_with(dir.path(), &sb, "required = [\"message\"]", &settings);
    let before = approval_kit::messages(&sb, n);
    run(&cfg);
    assert_eq!(approval_kit::messages(&sb, n), before, "held, not sent");
    let p = &proposals(&cfg)[0];
    assert_eq!(
        (p["action"].as_str(), p["motivation"].as_str()),
        (Some("message"), Some(body))
    );
    let (code, out) = review("alice", &cfg, "approve", &[&p["id"].to_string()], &[]);
    assert_eq!(code, 0, "{out}");
    run(&cfg);
    let after = approval_kit::messages(&sb, n);
    assert_eq!(after.iter().filter(|m| *m == body).count(), 1, "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_approval_section_is_a_one_line_config_error() {
    let sb = world(1).await;
    let dir = tempfile::tempdir().unwrap();
    for (section, needle) in [
        ("required = [\"refuse\"]", "unknown DS action `refuse`"),
        ("required = [\"accepter\"]", "`accepter` is not granted"),
        (
            "required = [\"refuser\"]\non-reject = \"nobody\"",
            "approval.on-reject",
        ),
    ] {
        let cfg = config(dir.path(), &sb, section);
        let out = pont_as("operator", &["run", "--allow-unsigned", s(&cfg)], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{stderr}");
        let line = stderr
            .lines()
            .find(|l| l.starts_with("pont: error: "))
            .unwrap();
        assert!(line.contains(needle), "{line}");
    }
    assert!(refusals(&sb).is_empty());
}
