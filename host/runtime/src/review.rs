//! A person's two decisions on the review queue, shared by `pont review`
//! and the web console: put a dossier back in the queue with fresh attempts
//! (retry), or take it out for good with a reason (dismiss).
//!
//! Each decision is audited the way the gate audits a robot's calls: in the
//! robot's own audit file, before it takes effect, naming the person, and a
//! refused one (the dossier is not under review) is audited as a denial.
//! The file is appended to under its lock and sealed in the journal too
//! (`AuditLog::record_action`), so a run appending at the same time, in this
//! process or another, keeps one chain and `pont audit verify` still passes.

use std::path::{Path, PathBuf};

use pont_policy::{AuditLog, Decision, PersonAction};

use crate::journal::{Journal, QueueStatus};

/// Why a decision was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("dossier {number} is not in the review queue of {robot}")]
    NotUnderReview { number: i64, robot: String },
    #[error("journal: {0}")]
    Journal(#[from] rusqlite::Error),
    #[error("audit log {path}: {message}")]
    Audit { path: PathBuf, message: String },
}

/// Who decides, and through what (`cli`, `console`).
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub name: &'a str,
    pub interface: &'static str,
}

/// The review queue of one robot: its journal, its audit file and the name
/// its journal keys the queue by (the manifest's).
#[derive(Debug, Clone)]
pub struct ReviewDesk {
    journal: Journal,
    journal_path: PathBuf,
    audit_path: PathBuf,
    robot: String,
}

impl ReviewDesk {
    pub fn new(journal: Journal, journal_path: &Path, audit_path: &Path, robot: &str) -> Self {
        Self {
            journal,
            journal_path: journal_path.to_owned(),
            audit_path: audit_path.to_owned(),
            robot: robot.to_owned(),
        }
    }

    /// Whether each dossier is under review (nothing audited: a check).
    pub fn check(&self, numbers: &[i64]) -> Result<(), ReviewError> {
        for n in numbers {
            self.under_review(*n)?;
        }
        Ok(())
    }

    /// Put the dossier back in the queue with fresh attempts: the next run
    /// (or one started for it) processes it again.
    pub fn retry(&self, who: Person<'_>, number: i64) -> Result<(), ReviewError> {
        self.decide(who, number, "review.retry", None, |j| {
            j.requeue(&self.robot, number)
        })
    }

    /// Take the dossier out of the review queue for good, saying why.
    pub fn dismiss(&self, who: Person<'_>, number: i64, reason: &str) -> Result<(), ReviewError> {
        self.decide(who, number, "review.dismiss", Some(reason), |j| {
            j.dismiss(&self.robot, number, reason)
        })
    }

    fn under_review(&self, number: i64) -> Result<(), ReviewError> {
        let entry = self.journal.queue_entry(&self.robot, number)?;
        if entry.is_some_and(|e| e.status == QueueStatus::Review) {
            return Ok(());
        }
        Err(ReviewError::NotUnderReview {
            number,
            robot: self.robot.clone(),
        })
    }

    /// Audit, then apply; a dossier not (or no longer) under review is a
    /// denial, audited too.
    fn decide(
        &self,
        who: Person<'_>,
        number: i64,
        action: &str,
        reason: Option<&str>,
        apply: impl FnOnce(&Journal) -> rusqlite::Result<bool>,
    ) -> Result<(), ReviewError> {
        if let Err(e) = self.under_review(number) {
            self.audit(who, number, action, Err(e.to_string()))?;
            return Err(e);
        }
        self.audit(who, number, action, Ok(reason))?;
        if apply(&self.journal)? {
            return Ok(());
        }
        // A run took the dossier between the check and the change.
        let e = ReviewError::NotUnderReview {
            number,
            robot: self.robot.clone(),
        };
        self.audit(who, number, action, Err(e.to_string()))?;
        Err(e)
    }

    /// One record in the robot's audit file: `Ok(reason)` an allow (with
    /// the person's reason, if any), `Err(why)` a denial.
    fn audit(
        &self,
        who: Person<'_>,
        number: i64,
        action: &str,
        outcome: Result<Option<&str>, String>,
    ) -> Result<(), ReviewError> {
        let (decision, reason) = match outcome {
            Ok(reason) => (Decision::Allow, reason.map(str::to_string)),
            Err(why) => (Decision::Deny, Some(why)),
        };
        let record = PersonAction {
            actor: who.name,
            interface: who.interface,
            robot: &self.robot,
            item: Some(number),
            action,
            target: format!("dossier {number}"),
            decision,
            reason,
        };
        let err = |message: String| ReviewError::Audit {
            path: self.audit_path.clone(),
            message,
        };
        let seals = self.journal.seal_store(&self.journal_path);
        let mut log = AuditLog::open(&self.audit_path)
            .and_then(|l| l.with_seal_store(Box::new(seals)))
            .map_err(|e| err(e.to_string()))?;
        log.record_action(&record).map_err(|e| err(e.to_string()))
    }
}
