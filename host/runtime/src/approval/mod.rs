//! Four-eyes decisions. A robot whose config lists an action under
//! `[approval] required` does not send it: the host records a proposal (the
//! exact mutation, the robot's reasons and evidence, the dossier's
//! `dateDerniereModification` as read), the robot hears `pending-approval`
//! and the item waits. An agent approves, rejects or modifies it
//! ([`ProposalDesk`]); the host then sends exactly what was approved, once
//! ([`execute_approved`], also run at the start of every `pont run`).
//!
//! The mutation is bound to the proposal by a SHA-256 over its canonical
//! form: computed when proposed, again for the agent's text after a modify,
//! and checked before anything is sent, so a row changed in between is
//! refused rather than sent.

mod desk;
mod execute;
mod files;
mod standalone;

use std::path::PathBuf;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use desk::ProposalDesk;
pub(crate) use desk::audit_record;
pub(crate) use execute::at_run_start;
pub use execute::{Executed, execute_approved};
pub(crate) use files::keep_file;

/// What a run needs to hold decisions for approval.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunApproval {
    pub config: pont_policy::ApprovalConfig,
    pub journal_path: PathBuf,
    pub audit_path: PathBuf,
}

/// The far-future wake time of an item waiting for an agent's decision: no
/// run feeds it; the decision hands it back (done, review, or the robot).
pub(crate) const AWAITING_DECISION: &str = "9999-12-31T00:00:00.000Z";

/// The most log lines kept as a proposal's evidence, and their length.
pub(crate) const EVIDENCE_LINES: usize = 50;
pub(crate) const EVIDENCE_LINE_MAX: usize = 500;
/// The longest reject reason and agent motivation accepted.
pub const REASON_MAX: usize = 2_000;
pub const MOTIVATION_MAX: usize = 10_000;

/// Where a proposal is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProposalStatus {
    /// Waiting for an agent.
    Pending,
    /// Approved (or modified) and not sent yet.
    Approved,
    Rejected,
    /// Sent to DS as approved.
    Executed,
    /// Not sent: the dossier changed in DS after the proposal.
    Stale,
    /// Not sent: refused by DS, by the gate, or its hash did not match.
    Failed,
}

impl ProposalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Executed => "executed",
            Self::Stale => "stale",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Approved,
            Self::Rejected,
            Self::Executed,
            Self::Stale,
            Self::Failed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// A proposal as the journal keeps it (see /work/notes/approval-api.md).
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub id: i64,
    pub robot: String,
    pub number: i64,
    pub demarche: i64,
    /// The action in the config's spelling (`refuser`, `message`, …).
    pub action: String,
    /// The robot's motivation, or the message body for `message`.
    pub motivation: Option<String>,
    pub justificatif_sha256: Option<String>,
    pub justificatif_name: Option<String>,
    #[serde(skip)]
    pub justificatif_type: Option<String>,
    pub disable_notification: bool,
    /// For `message`: the correction asked of the applicant, if any.
    pub correction: Option<String>,
    /// The robot's own words: its outcome text for the item.
    pub reasons: Option<String>,
    /// The robot's log lines for the item up to the proposal.
    pub evidence: Vec<String>,
    pub dossier_state: String,
    /// DS's `dateDerniereModification` of the dossier when proposed.
    pub based_on: String,
    pub hash: String,
    pub status: ProposalStatus,
    pub run_id: String,
    pub episode: u32,
    pub proposed_at: String,
    pub verdict: Option<String>,
    pub decided_by: Option<String>,
    pub decided_via: Option<String>,
    pub decided_instructeur: Option<String>,
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
    pub agent_motivation: Option<String>,
    #[serde(skip)]
    pub approved_hash: Option<String>,
    pub executed_at: Option<String>,
    pub detail: Option<String>,
}

impl Proposal {
    /// The mutation as proposed by the robot.
    pub(crate) fn proposed(&self) -> Mutation<'_> {
        Mutation {
            robot: &self.robot,
            number: self.number,
            demarche: self.demarche,
            action: &self.action,
            motivation: self.motivation.as_deref(),
            justificatif_sha256: self.justificatif_sha256.as_deref(),
            disable_notification: self.disable_notification,
            correction: self.correction.as_deref(),
        }
    }

    /// The mutation to send: the agent's motivation after a modify.
    pub(crate) fn approved(&self) -> Mutation<'_> {
        let mut m = self.proposed();
        if let Some(text) = &self.agent_motivation {
            m.motivation = Some(text);
        }
        m
    }
}

/// A mutation in canonical form: what the hash is computed over.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Mutation<'a> {
    pub robot: &'a str,
    pub number: i64,
    pub demarche: i64,
    pub action: &'a str,
    pub motivation: Option<&'a str>,
    pub justificatif_sha256: Option<&'a str>,
    pub disable_notification: bool,
    pub correction: Option<&'a str>,
}

impl Mutation<'_> {
    /// SHA-256 (hex) of the canonical JSON (fields in declaration order).
    pub fn hash(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(bytes))
    }
}

/// An agent's decision on a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject {
        reason: String,
    },
    /// Approve with the agent's own motivation: the decision is the agent's.
    Modify {
        motivation: String,
    },
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject { .. } => "reject",
            Self::Modify { .. } => "modify",
        }
    }
}

/// Who decides, through what (`cli`, `console`), and as which DS
/// instructeur (e-mail) when their account maps to one.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub name: &'a str,
    pub interface: &'static str,
    pub instructeur: Option<&'a str>,
}

/// Why a decision or an execution did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error("proposal {id} of {robot} does not exist")]
    NotFound { id: i64, robot: String },
    #[error("proposal {id} is already {status}")]
    AlreadyDecided { id: i64, status: String },
    #[error("{0}")]
    Invalid(String),
    #[error("proposal {id} does not match its hash: refused, not sent")]
    Tampered { id: i64 },
    #[error("{0}")]
    Busy(String),
    #[error("journal: {0}")]
    Journal(#[from] rusqlite::Error),
    #[error("audit log {path}: {message}")]
    Audit { path: PathBuf, message: String },
    #[error("DS: {0}")]
    Ds(String),
    #[error("{0}")]
    Config(String),
}

/// Log lines as evidence: the last [`EVIDENCE_LINES`], each clipped.
pub(crate) fn evidence(lines: &[crate::journal::LogLine]) -> Vec<String> {
    let start = lines.len().saturating_sub(EVIDENCE_LINES);
    lines[start..]
        .iter()
        .map(|l| {
            let line = format!("[{}] {}", l.level, l.message);
            pont_policy::clip_owned(line, EVIDENCE_LINE_MAX)
        })
        .collect()
}

/// An item whose robot proposed a decision on its dossier waits for the
/// agent, whatever the robot returned: its text is kept as the proposal's
/// reasons, and no run feeds it until the decision hands it back.
pub(crate) fn awaiting_decision(
    shared: &crate::store::RunShared,
    proposed: Option<i64>,
    mut report: crate::runner::ItemReport,
) -> crate::runner::ItemReport {
    let Some(id) = proposed else {
        return report;
    };
    let kept = shared.journal.set_proposal_reasons(
        &shared.robot,
        report.number,
        &shared.run_id,
        &report.reason,
    );
    if let Err(e) = kept {
        tracing::warn!("proposal {id}: the robot's reasons were not kept: {e}");
    }
    report.status = "waiting".into();
    report.outcome = "waiting".into();
    report.reason = format!("attend la décision d'un agent (proposition {id})");
    report.wake_at = Some(AWAITING_DECISION.to_string());
    report.wait_ms = 0;
    report
}

/// Whether a waiting item waits for an agent's decision (not for a time).
pub(crate) fn awaits_decision(report: &crate::runner::ItemReport) -> bool {
    report.wake_at.as_deref() == Some(AWAITING_DECISION)
}
