//! An agent's decisions on a robot's proposals, shared by `pont review` and
//! the web console. Like the review desk: each decision is audited in the
//! robot's audit file before it takes effect, naming the person, and a
//! refused one (not pending, or tampered) is audited as a denial.

use std::path::{Path, PathBuf};

use pont_policy::{AuditLog, Decision, OnReject, PersonAction};

use super::{ApprovalError, MOTIVATION_MAX, Person, Proposal, ProposalStatus, REASON_MAX, Verdict};
use crate::journal::{DecisionRow, Journal};

/// The proposals of one robot: its journal, its audit file and the name
/// its journal keys them by (the manifest's).
#[derive(Debug, Clone)]
pub struct ProposalDesk {
    journal: Journal,
    journal_path: PathBuf,
    audit_path: PathBuf,
    robot: String,
    on_reject: OnReject,
}

impl ProposalDesk {
    pub fn new(journal: Journal, journal_path: &Path, audit_path: &Path, robot: &str) -> Self {
        Self {
            journal,
            journal_path: journal_path.to_owned(),
            audit_path: audit_path.to_owned(),
            robot: robot.to_owned(),
            on_reject: OnReject::Review,
        }
    }

    /// Where a rejected proposal's dossier goes (`[approval] on-reject`;
    /// review unless said otherwise).
    pub fn with_on_reject(mut self, on_reject: OnReject) -> Self {
        self.on_reject = on_reject;
        self
    }

    /// Proposals waiting for an agent, oldest first.
    pub fn pending(&self, limit: u32) -> Result<Vec<Proposal>, ApprovalError> {
        let p = Some(ProposalStatus::Pending);
        Ok(self.journal.proposals(&self.robot, p, true, limit)?)
    }

    /// Proposals in `status` (all when `None`), newest first.
    pub fn list(
        &self,
        status: Option<ProposalStatus>,
        limit: u32,
    ) -> Result<Vec<Proposal>, ApprovalError> {
        Ok(self.journal.proposals(&self.robot, status, false, limit)?)
    }

    pub fn get(&self, id: i64) -> Result<Option<Proposal>, ApprovalError> {
        Ok(self.journal.proposal(&self.robot, id)?)
    }

    /// Approve, reject or modify a pending proposal. Nothing is sent here:
    /// [`super::execute_approved`] (or the next run) sends what was approved.
    pub fn decide(
        &self,
        id: i64,
        verdict: Verdict,
        who: Person<'_>,
    ) -> Result<Proposal, ApprovalError> {
        let action = format!("approval.{}", verdict.as_str());
        let p = match self.decidable(id, &verdict) {
            Ok(p) => p,
            Err(e) => {
                let number = self.get(id).ok().flatten().map(|p| p.number);
                self.audit(who, (number, id, "?"), &action, Err(e.to_string()))?;
                return Err(e);
            }
        };
        let target = (Some(p.number), id, p.action.as_str());
        let approved_hash = approved_hash(&p, &verdict);
        self.audit(
            who,
            target,
            &action,
            Ok(audit_reason(&verdict, who, &approved_hash)),
        )?;
        let row = decision_row(&verdict, who, approved_hash.as_deref());
        if !self.journal.decide_proposal(&self.robot, id, &row)? {
            let e = self.not_pending(id);
            self.audit(who, target, &action, Err(e.to_string()))?;
            return Err(e);
        }
        if let Verdict::Reject { reason } = &verdict {
            hand_back_rejected(
                &self.journal,
                &self.robot,
                (p.number, reason),
                self.on_reject,
            )?;
        }
        self.get(id)?.ok_or_else(|| self.not_found(id))
    }

    /// The proposal, if it is pending, intact, and the verdict is well formed.
    fn decidable(&self, id: i64, verdict: &Verdict) -> Result<Proposal, ApprovalError> {
        check_verdict(verdict)?;
        let p = self.get(id)?.ok_or_else(|| self.not_found(id))?;
        if p.status != ProposalStatus::Pending {
            return Err(self.not_pending(id));
        }
        if p.proposed().hash() != p.hash {
            return Err(ApprovalError::Tampered { id });
        }
        Ok(p)
    }

    fn not_found(&self, id: i64) -> ApprovalError {
        ApprovalError::NotFound {
            id,
            robot: self.robot.clone(),
        }
    }

    fn not_pending(&self, id: i64) -> ApprovalError {
        let status = self
            .get(id)
            .ok()
            .flatten()
            .map_or("gone", |p| p.status.as_str());
        ApprovalError::AlreadyDecided {
            id,
            status: status.to_string(),
        }
    }

    /// One record in the robot's audit file: `Ok(reason)` an allow, `Err(why)` a denial.
    fn audit(
        &self,
        who: Person<'_>,
        (number, id, action_name): (Option<i64>, i64, &str),
        action: &str,
        outcome: Result<String, String>,
    ) -> Result<(), ApprovalError> {
        let (decision, reason) = match outcome {
            Ok(reason) => (Decision::Allow, reason),
            Err(why) => (Decision::Deny, why),
        };
        let target = match number {
            Some(n) => format!("dossier {n}: {action_name} (proposal {id})"),
            None => format!("proposal {id}"),
        };
        let record = PersonAction {
            actor: who.name,
            interface: who.interface,
            robot: &self.robot,
            item: number,
            action,
            target,
            decision,
            reason: Some(reason),
        };
        audit_record(
            &self.journal,
            (&self.journal_path, &self.audit_path),
            &record,
        )
    }
}

/// A rejected proposal's dossier leaves its wait: to review, or back to the
/// robot as a new episode carrying the agent's reason. A dossier with
/// another open proposal keeps waiting for it.
pub(crate) fn hand_back_rejected(
    journal: &Journal,
    robot: &str,
    (number, reason): (i64, &str),
    on_reject: OnReject,
) -> Result<(), ApprovalError> {
    if journal.has_open_proposal(robot, number)? {
        return Ok(());
    }
    let text = format!("proposition rejetée par un agent : {reason}");
    let to = match on_reject {
        OnReject::Review => ("review", "needs-review"),
        OnReject::Robot => ("pending", "rejected"),
    };
    Ok(journal.settle_proposed(robot, number, to, &text)?)
}

/// Append `record` to the audit file under its lock, sealed in the journal
/// too (so a run appending at the same time keeps one chain).
pub(crate) fn audit_record(
    journal: &Journal,
    (journal_path, audit_path): (&Path, &Path),
    record: &PersonAction<'_>,
) -> Result<(), ApprovalError> {
    let err = |message: String| ApprovalError::Audit {
        path: audit_path.to_owned(),
        message,
    };
    let seals = journal.seal_store(journal_path);
    let mut log = AuditLog::open(audit_path)
        .and_then(|l| l.with_seal_store(Box::new(seals)))
        .map_err(|e| err(e.to_string()))?;
    log.record_action(record).map_err(|e| err(e.to_string()))
}

fn check_verdict(verdict: &Verdict) -> Result<(), ApprovalError> {
    let (what, text, max) = match verdict {
        Verdict::Approve => return Ok(()),
        Verdict::Reject { reason } => ("reason", reason, REASON_MAX),
        Verdict::Modify { motivation } => ("motivation", motivation, MOTIVATION_MAX),
    };
    if text.trim().is_empty() {
        return Err(ApprovalError::Invalid(format!(
            "the {what} must not be empty"
        )));
    }
    if text.len() > max {
        return Err(ApprovalError::Invalid(format!(
            "the {what} is {} bytes, more than {max}",
            text.len()
        )));
    }
    Ok(())
}

/// The hash of what will be sent: the proposal's, or the agent's text's.
fn approved_hash(p: &Proposal, verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::Approve => Some(p.hash.clone()),
        Verdict::Reject { .. } => None,
        Verdict::Modify { motivation } => {
            let mut m = p.proposed();
            m.motivation = Some(motivation);
            Some(m.hash())
        }
    }
}

fn audit_reason(verdict: &Verdict, who: Person<'_>, hash: &Option<String>) -> String {
    let mut text = match verdict {
        Verdict::Approve => "approved".to_string(),
        Verdict::Reject { reason } => format!("rejected: {reason}"),
        Verdict::Modify { motivation } => format!("modified, motivation: {motivation}"),
    };
    if let Some(h) = hash {
        text.push_str(&format!("; sha256 {h}"));
    }
    if let Some(i) = who.instructeur {
        text.push_str(&format!("; as instructeur {i}"));
    }
    pont_policy::clip_owned(text, pont_policy::AUDIT_TEXT_MAX)
}

fn decision_row<'a>(
    verdict: &'a Verdict,
    who: Person<'a>,
    approved_hash: Option<&'a str>,
) -> DecisionRow<'a> {
    let (status, reason, agent_motivation) = match verdict {
        Verdict::Approve => (ProposalStatus::Approved, None, None),
        Verdict::Reject { reason } => (ProposalStatus::Rejected, Some(reason.as_str()), None),
        Verdict::Modify { motivation } => {
            (ProposalStatus::Approved, None, Some(motivation.as_str()))
        }
    };
    DecisionRow {
        status,
        verdict: verdict.as_str(),
        by: who.name,
        via: who.interface,
        instructeur: who.instructeur,
        reason,
        agent_motivation,
        approved_hash,
    }
}
