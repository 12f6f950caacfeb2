//! A robot's proposals (four-eyes decisions): the DS decisions its config
//! holds for an agent (`[approval] required`), each with the dossier's
//! facts as the journal has them, the exact mutation, the robot's reasons
//! and evidence; and the three decisions an agent takes on one: approve,
//! reject with a reason, or modify the motivation (then the decision is the
//! agent's own). The decisions are [`ProposalDesk`]'s, as for `pont review
//! approve|reject`, audited in the robot's audit file with the agent's name
//! before they take effect.
//!
//! What is shown comes from the journal only (no DS call from a page): the
//! dossier's number, démarche, state and last change as the robot read them
//! when it proposed. The applicant's name is not in the journal, so it is
//! not shown; the dossier's page in DS has it.
//!
//! After an approval the console sends what was approved at once, through
//! the runtime ([`execute_approved`], with the robot's config); a run of the
//! robot that holds its journal sends it at its start instead.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use pont_policy::OnReject;
use pont_runtime::approval::{
    ApprovalError, MOTIVATION_MAX, Person, Proposal, ProposalDesk, ProposalStatus, REASON_MAX,
    Verdict, execute_approved,
};
use pont_runtime::journal::{EvidenceRow, Journal};
use serde::{Deserialize, Serialize};

use super::{Page, error, forbidden, internal, not_found, with_journal};
use crate::PREFIX;
use crate::auth::{CsrfForm, Empty};
use crate::state::{ConsoleState, RobotEntry};

/// Pending proposals shown at once (oldest first), and decided ones (newest first).
const PENDING_MAX: u32 = 200;
const DECIDED_MAX: u32 = 100;
/// Evidence files listed per proposal.
const FILES_MAX: u32 = 100;

/// One pending proposal and the files its run kept for the dossier.
#[derive(Debug, Serialize)]
struct Pending {
    p: Proposal,
    files: Vec<EvidenceRow>,
}

/// What the page says after a decision (POST, then redirect, then GET):
/// codes from a closed set and numbers, never text from the request.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Notice {
    fait: String,
    proposition: Option<i64>,
    dossier: Option<i64>,
    envoi: String,
}

fn notice_text(n: &Notice) -> Option<String> {
    let (id, d) = (n.proposition?, n.dossier?);
    let what = match n.fait.as_str() {
        "approuve" => format!("La proposition {id} (dossier {d}) est approuvée"),
        "modifie" => {
            format!("La proposition {id} (dossier {d}) est approuvée avec votre motivation")
        }
        "rejete-revue" => {
            return Some(format!(
                "La proposition {id} est rejetée ; le dossier {d} est dans la file de revue."
            ));
        }
        "rejete-robot" => {
            return Some(format!(
                "La proposition {id} est rejetée ; le dossier {d} revient au robot avec votre motif."
            ));
        }
        _ => return None,
    };
    let sent = match n.envoi.as_str() {
        "envoye" => " et envoyée à DS.",
        "perime" => {
            " mais n’est pas envoyée : le dossier a changé dans DS depuis la proposition ; il revient au robot."
        }
        "echec" => " mais DS l’a refusée : elle n’est pas envoyée (voir les décisions ci-dessous).",
        "differe" => {
            " ; une exécution du robot ou un autre envoi est en cours : l’exécution suivante, demandée, l’envoie à DS."
        }
        _ => " ; la prochaine exécution du robot l’envoie à DS.",
    };
    Some(format!("{what}{sent}"))
}

/// Pending proposals with their files, and the latest decided ones.
fn load(journal: &Journal, robot: &RobotEntry) -> rusqlite::Result<(Vec<Pending>, Vec<Proposal>)> {
    let name = &robot.journal_robot;
    let pending = journal.proposals(name, Some(ProposalStatus::Pending), true, PENDING_MAX)?;
    let mut out = Vec::with_capacity(pending.len());
    for p in pending {
        let mut files = journal.dossier_evidence(name, p.number, FILES_MAX)?;
        files.retain(|f| f.run_id == p.run_id);
        out.push(Pending { p, files });
    }
    let mut decided = journal.proposals(name, None, false, DECIDED_MAX + PENDING_MAX)?;
    decided.retain(|p| p.status != ProposalStatus::Pending);
    decided.truncate(DECIDED_MAX as usize);
    Ok((out, decided))
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    agent: crate::auth::Agent,
    Path(robot): Path<String>,
    Query(notice): Query<Notice>,
) -> Response {
    let Some(entry) = state.robot(&robot) else {
        return not_found(&state);
    };
    let data = with_journal(&state, entry, load)
        .await
        .map(Option::unwrap_or_default);
    match data {
        Ok((pending, decided)) => {
            let ctx = context! {
                robot => robot, pending => pending, decided => decided,
                notice => notice_text(&notice),
                reason_max => REASON_MAX, motivation_max => MOTIVATION_MAX,
            };
            Page::for_agent(&agent).render(&state, "approval.html", ctx)
        }
        Err(r) => r,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RejectForm {
    motif: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ModifyForm {
    motivation: String,
}

/// A reason or motivation the desk will take, or the page saying why not
/// (the same limits as the desk's, in bytes, checked first so the agent
/// reads why in French).
fn checked(text: &str, what: &str, max: usize) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{what} est obligatoire."));
    }
    if text.len() > max {
        return Err(format!(
            "{what} fait {} octets, plus que les {max} permis ; raccourcissez-le.",
            text.len()
        ));
    }
    Ok(text.to_string())
}

pub(crate) async fn approve(
    State(state): State<ConsoleState>,
    Path((robot, id)): Path<(String, String)>,
    CsrfForm { session, .. }: CsrfForm<Empty>,
) -> Response {
    decide(&state, &robot, &id, session.user.clone(), Verdict::Approve).await
}

pub(crate) async fn reject(
    State(state): State<ConsoleState>,
    Path((robot, id)): Path<(String, String)>,
    CsrfForm { session, form }: CsrfForm<RejectForm>,
) -> Response {
    let reason = match checked(&form.motif, "Le motif du rejet", REASON_MAX) {
        Ok(r) => r,
        Err(m) => return error(&state, StatusCode::BAD_REQUEST, &m),
    };
    let verdict = Verdict::Reject { reason };
    decide(&state, &robot, &id, session.user.clone(), verdict).await
}

pub(crate) async fn modify(
    State(state): State<ConsoleState>,
    Path((robot, id)): Path<(String, String)>,
    CsrfForm { session, form }: CsrfForm<ModifyForm>,
) -> Response {
    let text = match checked(
        &form.motivation,
        "Le texte de la motivation",
        MOTIVATION_MAX,
    ) {
        Ok(t) => t,
        Err(m) => return error(&state, StatusCode::BAD_REQUEST, &m),
    };
    let verdict = Verdict::Modify { motivation: text };
    decide(&state, &robot, &id, session.user.clone(), verdict).await
}

/// Record the decision, send what was approved, and go back to the page
/// with a notice; or a page saying why not.
async fn decide(
    state: &ConsoleState,
    robot: &str,
    id: &str,
    agent: Option<String>,
    verdict: Verdict,
) -> Response {
    let Some(agent) = agent else {
        return forbidden(state);
    };
    let (Some(entry), Ok(id)) = (state.robot(robot), id.parse::<i64>()) else {
        return not_found(state);
    };
    let fait = done_code(&verdict, entry.on_reject);
    let rejected = matches!(verdict, Verdict::Reject { .. });
    let p = match record(state, entry.clone(), id, verdict, agent).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let envoi = if rejected {
        handed_back(state, &entry)
    } else {
        send(state, &entry, id).await
    };
    let query = format!(
        "fait={fait}&proposition={id}&dossier={}&envoi={envoi}",
        p.number
    );
    Redirect::to(&format!("{PREFIX}/robots/{robot}/propositions?{query}")).into_response()
}

/// The notice's code for what was decided.
fn done_code(verdict: &Verdict, on_reject: OnReject) -> &'static str {
    match verdict {
        Verdict::Approve => "approuve",
        Verdict::Modify { .. } => "modifie",
        Verdict::Reject { .. } if on_reject == OnReject::Robot => "rejete-robot",
        Verdict::Reject { .. } => "rejete-revue",
    }
}

/// After a rejection: a dossier handed back to the robot asks for a run,
/// as a retry from the review queue does. Nothing is sent.
fn handed_back(state: &ConsoleState, robot: &RobotEntry) -> &'static str {
    if robot.on_reject == OnReject::Robot {
        state.inner.service.request_run(&robot.name);
    }
    ""
}

/// The desk's decision, off the async threads, as the agent (and their DS
/// instructeur, when their account names one).
async fn record(
    state: &ConsoleState,
    robot: RobotEntry,
    id: i64,
    verdict: Verdict,
    agent: String,
) -> Result<Proposal, Response> {
    let s = state.clone();
    let done = tokio::task::spawn_blocking(move || {
        let instructeur = s
            .inner
            .accounts
            .find(&agent)
            .map_err(|e| ApprovalError::Config(e.to_string()))?
            .and_then(|a| a.instructeur);
        let Some(journal) = s.journal(&robot)? else {
            let name = robot.journal_robot.clone();
            return Err(ApprovalError::NotFound { id, robot: name });
        };
        let desk = ProposalDesk::new(journal, &robot.journal, &robot.audit, &robot.journal_robot)
            .with_on_reject(robot.on_reject);
        let who = Person {
            name: &agent,
            interface: "console",
            instructeur: instructeur.as_deref(),
        };
        desk.decide(id, verdict, who)
    })
    .await;
    match done {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(refusal(state, id, e)),
        Err(e) => Err(internal(state, "approval task", e)),
    }
}

/// The page for a decision the desk refused.
fn refusal(state: &ConsoleState, id: i64, e: ApprovalError) -> Response {
    let (status, message) = match &e {
        ApprovalError::NotFound { .. } => (
            StatusCode::NOT_FOUND,
            format!("La proposition {id} n’existe pas pour ce robot."),
        ),
        ApprovalError::AlreadyDecided { status, .. } => (
            StatusCode::CONFLICT,
            format!(
                "La proposition {id} est déjà décidée ({}) : un autre agent ou `pont review` l’a traitée. Rien n’a été changé.",
                status_fr(status)
            ),
        ),
        ApprovalError::Tampered { .. } => (
            StatusCode::CONFLICT,
            format!(
                "La proposition {id} ne correspond plus à son empreinte : elle est refusée et rien n’est envoyé."
            ),
        ),
        ApprovalError::Invalid(_) => (
            StatusCode::BAD_REQUEST,
            "Le motif ou la motivation n’est pas accepté : vide ou trop long.".to_string(),
        ),
        _ => return internal(state, "approval", e),
    };
    error(state, status, &message)
}

/// French for a proposal's status.
pub(crate) fn status_fr(s: &str) -> &str {
    match s {
        "pending" => "à décider",
        "approved" => "approuvée, envoi à venir",
        "rejected" => "rejetée",
        "executed" => "envoyée à DS",
        "stale" => "non envoyée : dossier modifié depuis la proposition",
        "failed" => "non envoyée : échec",
        "gone" => "disparue",
        other => other,
    }
}

/// Send the robot's approved proposals now; the notice's `envoi` code for
/// proposal `id`. A run is asked for when a dossier changed since its
/// proposal (it goes back to the robot), and when this pass could not send
/// (a run or another pass holds the journal, or it failed): the next run
/// sends what is still approved, before its first item.
async fn send(state: &ConsoleState, robot: &RobotEntry, id: i64) -> &'static str {
    let Some(config) = &robot.config else {
        return "";
    };
    match execute_approved(config).await {
        Ok(done) if done.deferred => {
            state.inner.service.request_run(&robot.name);
            return "differe";
        }
        Ok(done) if done.stale > 0 => {
            state.inner.service.request_run(&robot.name);
        }
        Ok(_) => {}
        Err(e) => {
            // Left approved: the next run sends it.
            tracing::error!("robot {}: sending approved proposals: {e}", robot.name);
            state.inner.service.request_run(&robot.name);
            return "";
        }
    }
    let now = with_journal(state, robot.clone(), move |j, r| {
        j.proposal(&r.journal_robot, id)
    })
    .await;
    match now {
        Ok(Some(Some(p))) => sent_code(p.status),
        _ => "",
    }
}

/// The notice's code for where a proposal stands after a sending pass.
fn sent_code(status: ProposalStatus) -> &'static str {
    match status {
        ProposalStatus::Executed => "envoye",
        ProposalStatus::Stale => "perime",
        ProposalStatus::Failed => "echec",
        // Still approved: DS could not be reached; the next run sends it.
        _ => "",
    }
}
