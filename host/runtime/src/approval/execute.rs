//! Sending what an agent approved, exactly once. Run at the start of every
//! `pont run` of the robot (before any item) and by [`execute_approved`]
//! right after a decision. The order makes a crash at any point safe: a
//! mutation the journal shows begun is first checked against DS (sent
//! already: closed, not sent again); only then is the dossier compared with
//! the state the proposal was based on (changed: stale, back to the robot);
//! the intent is durable before the request leaves.

use std::path::Path;
use std::sync::Arc;

use pont_ds::{DossierState as S, DsClient, Expectation};
use pont_policy::{Action, Decision, DsAction, Gate, Permit, PersonAction};
use serde::Serialize;

use super::desk::audit_record;
use super::{ApprovalError, Proposal, ProposalStatus, files};
use crate::capabilities::ds::DsBackend;
use crate::journal::{Journal, MutationAt};

/// What one execution pass did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Executed {
    pub sent: u32,
    pub stale: u32,
    pub failed: u32,
    /// A run of the robot held the journal: it sends them at its start.
    pub deferred: bool,
}

/// Everything a pass needs: the run's gate (audit, budgets), DS, the journal.
pub(crate) struct Executor<'a> {
    pub gate: &'a Gate,
    pub ds: &'a DsBackend,
    pub journal: &'a Journal,
    pub journal_path: &'a Path,
    pub audit_path: &'a Path,
    pub robot: &'a str,
    pub run_id: &'a str,
}

/// How one proposal ended in this pass.
enum Closed {
    Sent,
    Stale,
    Failed,
    /// DS could not be reached: left approved for the next pass.
    Later,
}

/// Send every approved proposal of the robot, oldest first.
pub(crate) async fn execute_all(ex: &Executor<'_>) -> Result<Executed, ApprovalError> {
    let approved = Some(ProposalStatus::Approved);
    let list = ex.journal.proposals(ex.robot, approved, true, 10_000)?;
    let mut out = Executed::default();
    for p in list {
        match ex.one(&p).await {
            Ok(Closed::Sent) => out.sent += 1,
            Ok(Closed::Stale) => out.stale += 1,
            Ok(Closed::Failed) => out.failed += 1,
            Ok(Closed::Later) => {}
            // DS unreachable while checking an interrupted one: left approved.
            Err(ApprovalError::Ds(e)) => {
                tracing::warn!("proposal {}: {e}; sent by a later pass", p.id);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Send what agents approved since the last run before any item, so a
/// dossier handed back by a decision is fed in this run and an execution cut
/// by a crash is finished (once) at the next start.
pub(crate) async fn at_run_start(shared: &crate::store::RunShared) {
    let Some(ds) = &shared.ds else {
        return;
    };
    let a = &shared.approval;
    let ex = Executor {
        gate: &shared.gate,
        ds,
        journal: &shared.journal,
        journal_path: &a.journal_path,
        audit_path: &a.audit_path,
        robot: &shared.robot,
        run_id: &shared.run_id,
    };
    // Not a reason to stop the run: what was not sent stays approved.
    let done = match execute_all(&ex).await {
        Ok(done) => done,
        Err(e) => {
            tracing::warn!("approved proposals not sent yet: {e}");
            return;
        }
    };
    if done.sent + done.stale + done.failed > 0 {
        tracing::info!(
            "approved proposals: {} sent, {} stale, {} not sent",
            done.sent,
            done.stale,
            done.failed
        );
    }
}

/// The DS mutation behind a proposal's action.
fn operation(p: &Proposal) -> Result<(DsAction, String, Option<S>), String> {
    let action = DsAction::parse(&p.action)?;
    Ok(match action {
        DsAction::Accepter => (action, "dossierAccepter".into(), Some(S::Accepte)),
        DsAction::Refuser => (action, "dossierRefuser".into(), Some(S::Refuse)),
        DsAction::ClasserSansSuite => {
            (action, "dossierClasserSansSuite".into(), Some(S::SansSuite))
        }
        DsAction::Message => {
            let body = p.motivation.as_deref().unwrap_or_default();
            let key =
                crate::capabilities::ds::content_key("dossierEnvoyerMessage", body.as_bytes());
            (action, key, None)
        }
        other => return Err(format!("`{}` is not an approvable action", other.as_str())),
    })
}

/// Stop the process here when the test harness asks (`PONT_TEST_CRASH_AT`),
/// as a SIGKILL would: no destructor, no flush.
pub(crate) fn crash_point(name: &str) {
    if std::env::var("PONT_TEST_CRASH_AT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}

impl Executor<'_> {
    async fn one(&self, p: &Proposal) -> Result<Closed, ApprovalError> {
        let intact = p.approved_hash.as_deref() == Some(&p.approved().hash())
            && p.proposed().hash() == p.hash;
        if !intact {
            let why = ApprovalError::Tampered { id: p.id }.to_string();
            return self.fail(p, &why, None).await;
        }
        let (action, op, target) = match operation(p) {
            Ok(o) => o,
            Err(why) => return self.fail(p, &why, None).await,
        };
        let bytes = p.approved().motivation.map_or(0, |m| m.len() as u64);
        let decide = Action::DsMutate {
            action,
            demarche: p.demarche,
            dossier: p.number,
            bytes,
        };
        let permit = match self.gate.authorize(Some(p.number), &decide) {
            Ok(permit) => permit,
            Err(d) => return self.fail(p, &d.reason, None).await,
        };
        let send = Send {
            p,
            op: &op,
            target,
            permit,
            client: self.metered(p.number),
        };
        self.send(send).await
    }

    fn metered(&self, number: i64) -> DsClient {
        let meter = crate::egress::DsMeter {
            gate: self.gate.clone(),
            item: Some(number),
        };
        self.ds.client().metered(Arc::new(meter))
    }

    fn at(&self, p: &Proposal) -> MutationAt {
        MutationAt {
            number: p.number,
            episode: p.episode,
            attempt: 1,
        }
    }

    async fn send(&self, s: Send<'_>) -> Result<Closed, ApprovalError> {
        let p = s.p;
        if self.begun(&s).await? {
            let now = s.client.dossier(&s.permit, p.number).await.ok();
            let how = "confirmed in DS after an interrupted execution";
            return self.sent(p, now.as_ref(), how).await;
        }
        let dossier = match s.client.dossier(&s.permit, p.number).await {
            Ok(d) => d,
            Err(e) => return self.ds_error(p, e, None).await,
        };
        if dossier.date_derniere_modification != p.based_on {
            return self.stale(p, &dossier.date_derniere_modification).await;
        }
        let instructeur = match self.instructeur(&s, p).await {
            Ok(i) => i,
            Err(e) => return self.ds_error(p, e, None).await,
        };
        let justificatif = match self.upload(&s, &dossier.key()).await {
            Ok(j) => j,
            Err(why) => return self.fail(p, &why, None).await,
        };
        let bytes = p.approved().motivation.map_or(0, |m| m.len() as u64);
        let intent =
            self.journal
                .mutation_intent(self.run_id, self.robot, self.at(p), s.op, bytes)?;
        let result = s.dispatch(&dossier.key(), &instructeur, justificatif).await;
        crash_point("approval-sent");
        match result {
            Ok(()) => {
                self.journal.mutation_result(intent, "applied", "")?;
                self.sent(
                    p,
                    Some(&dossier),
                    &format!("sent as instructeur {instructeur}"),
                )
                .await
            }
            Err(e) => self.ds_error(p, e, Some(intent)).await,
        }
    }

    /// Whether an earlier pass sent it already (the journal shows it
    /// applied, or an intent DS confirms).
    async fn begun(&self, s: &Send<'_>) -> Result<bool, ApprovalError> {
        let p = s.p;
        let history = self
            .journal
            .mutations(self.robot, p.number, Some(p.episode), Some(s.op))?;
        if history.iter().any(|m| m.status == "applied") {
            return Ok(true);
        }
        let open: Vec<i64> = history
            .iter()
            .filter(|m| m.status == "intent")
            .map(|m| m.id)
            .collect();
        if open.is_empty() || !s.applied_in_ds().await? {
            return Ok(false);
        }
        for id in open {
            self.journal
                .mutation_result(id, "applied", "confirmed by re-reading the dossier")?;
        }
        Ok(true)
    }

    /// The approving agent's instructeur when they have one, else the robot's.
    async fn instructeur(&self, s: &Send<'_>, p: &Proposal) -> Result<String, pont_ds::DsError> {
        match &p.decided_instructeur {
            Some(email) => {
                s.client
                    .resolve_instructeur(&s.permit, p.demarche, email)
                    .await
            }
            None => self.ds.instructeur(&s.permit, p.demarche).await,
        }
    }

    async fn upload(
        &self,
        s: &Send<'_>,
        key: &pont_ds::DossierKey,
    ) -> Result<Option<String>, String> {
        let p = s.p;
        let Some(sha) = &p.justificatif_sha256 else {
            return Ok(None);
        };
        let path = files::checked(self.journal_path, sha)?;
        let name = p.justificatif_name.as_deref().unwrap_or("justificatif");
        let kind = p
            .justificatif_type
            .as_deref()
            .unwrap_or("application/octet-stream");
        let up = s
            .client
            .upload_file(&s.permit, key, &path, name, kind)
            .await;
        up.map(|u| Some(u.signed_blob_id))
            .map_err(|e| e.to_string())
    }
}

/// One approved mutation on its way.
struct Send<'a> {
    p: &'a Proposal,
    op: &'a str,
    target: Option<S>,
    permit: Permit,
    client: DsClient,
}

impl Send<'_> {
    async fn applied_in_ds(&self) -> Result<bool, ApprovalError> {
        let number = self.p.number;
        let answer = match self.target {
            Some(state) => {
                let e = Expectation::State(state);
                self.client.is_applied(&self.permit, number, &e).await
            }
            None => {
                let body = self.p.motivation.as_deref().unwrap_or_default();
                let list = self.client.messages(&self.permit, number).await;
                list.map(|l| l.iter().any(|m| m.body == body))
            }
        };
        answer.map_err(|e| ApprovalError::Ds(e.to_string()))
    }

    async fn dispatch(
        &self,
        key: &pont_ds::DossierKey,
        instructeur: &str,
        justificatif: Option<String>,
    ) -> Result<(), pont_ds::DsError> {
        let m = self.p.approved();
        let (c, g, n) = (&self.client, &self.permit, m.disable_notification);
        let text = m.motivation.unwrap_or_default().to_string();
        let sent = match self.p.action.as_str() {
            "accepter" => {
                c.accepter(
                    g,
                    key,
                    instructeur,
                    m.motivation.map(str::to_string),
                    justificatif,
                    n,
                )
                .await
            }
            "refuser" => c.refuser(g, key, instructeur, text, justificatif, n).await,
            "classer-sans-suite" => {
                c.classer_sans_suite(g, key, instructeur, text, justificatif, n)
                    .await
            }
            _ => {
                let correction = m.correction.and_then(correction);
                c.envoyer_message(
                    g,
                    key,
                    instructeur,
                    &text,
                    justificatif.as_deref(),
                    correction,
                )
                .await
            }
        };
        sent.map(|_| ())
    }
}

fn correction(text: &str) -> Option<pont_ds::CorrectionReason> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
}

/// Send every approved proposal of the robot config now, unless a run of it
/// holds the journal (then that run does, at its start).
pub async fn execute_approved(config: &Path) -> Result<Executed, ApprovalError> {
    // A crash between a decision and its execution: the next run sends it.
    crash_point("approval-decided");
    super::standalone::execute(config).await
}

impl Executor<'_> {
    async fn sent(
        &self,
        p: &Proposal,
        after: Option<&pont_ds::Dossier>,
        how: &str,
    ) -> Result<Closed, ApprovalError> {
        let by = p.decided_by.as_deref().unwrap_or("?");
        let detail = format!("{how}; approved by {by}");
        self.audit(p, Ok(detail.clone()))?;
        self.journal
            .close_proposal(p.id, ProposalStatus::Executed, &detail)?;
        if let Some(d) = after {
            let effects = crate::runner::Effects {
                state: operation(p).ok().and_then(|o| o.2),
                correction_requested: p.correction.is_some(),
                proposed: None,
            };
            let basis = crate::runner::Basis::settled(d, &effects).to_json();
            self.journal.set_basis(self.robot, p.number, &basis)?;
        }
        let reason = format!("{} approuvé par {by} et envoyé", p.action);
        self.journal
            .settle_proposed(self.robot, p.number, ("done", "done"), &reason)?;
        Ok(Closed::Sent)
    }

    async fn stale(&self, p: &Proposal, now: &str) -> Result<Closed, ApprovalError> {
        let detail = format!(
            "the dossier changed since the proposal (dateDerniereModification {} then, {now} now): not sent",
            p.based_on
        );
        self.audit(p, Err(detail.clone()))?;
        self.journal
            .close_proposal(p.id, ProposalStatus::Stale, &detail)?;
        let reason = "le dossier a changé depuis la proposition";
        self.journal
            .settle_proposed(self.robot, p.number, ("pending", "stale"), reason)?;
        Ok(Closed::Stale)
    }

    /// DS unreachable: left approved (the intent open) for the next pass;
    /// any other answer: failed, the dossier to review.
    async fn ds_error(
        &self,
        p: &Proposal,
        e: pont_ds::DsError,
        intent: Option<i64>,
    ) -> Result<Closed, ApprovalError> {
        use pont_ds::DsError as E;
        if matches!(e, E::Unavailable(_) | E::OutcomeUnknown { .. }) {
            if let Some(id) = intent {
                self.journal
                    .mutation_result(id, "intent", &format!("unknown: {e}"))?;
            }
            tracing::warn!(
                "proposal {}: DS unavailable ({e}); sent by a later pass",
                p.id
            );
            return Ok(Closed::Later);
        }
        self.fail(p, &e.to_string(), intent).await
    }

    async fn fail(
        &self,
        p: &Proposal,
        why: &str,
        intent: Option<i64>,
    ) -> Result<Closed, ApprovalError> {
        if let Some(id) = intent {
            self.journal.mutation_result(id, "failed", why)?;
        }
        let detail = pont_policy::clip_owned(format!("not sent: {why}"), 1024);
        self.audit(p, Err(detail.clone()))?;
        self.journal
            .close_proposal(p.id, ProposalStatus::Failed, &detail)?;
        let reason = format!("décision approuvée non envoyée : {why}");
        self.journal
            .settle_proposed(self.robot, p.number, ("review", "needs-review"), &reason)?;
        Ok(Closed::Failed)
    }

    /// The execution record, naming the agent whose decision it carries out.
    fn audit(&self, p: &Proposal, outcome: Result<String, String>) -> Result<(), ApprovalError> {
        let (decision, reason) = match outcome {
            Ok(r) => (Decision::Allow, r),
            Err(r) => (Decision::Deny, r),
        };
        let record = PersonAction {
            actor: p.decided_by.as_deref().unwrap_or("?"),
            interface: "host",
            robot: self.robot,
            item: Some(p.number),
            action: "approval.execute",
            target: format!("dossier {}: {} (proposal {})", p.number, p.action, p.id),
            decision,
            reason: Some(pont_policy::clip_owned(reason, pont_policy::AUDIT_TEXT_MAX)),
        };
        audit_record(self.journal, (self.journal_path, self.audit_path), &record)
    }
}
