//! The journal's proposals table (see `crate::approval`): a robot's
//! proposed mutation, the agent's decision and its execution. Every write
//! here is durable when it returns (`conn()` commits the runner's batch).

use rusqlite::{OptionalExtension, params};

use super::{Journal, now};
use crate::approval::{Proposal, ProposalStatus};

/// A proposal as the ds capability records it.
#[derive(Debug, Clone)]
pub(crate) struct NewProposal<'a> {
    pub robot: &'a str,
    pub number: i64,
    pub demarche: i64,
    pub episode: u32,
    pub run_id: &'a str,
    pub action: &'a str,
    pub motivation: Option<&'a str>,
    /// SHA-256, file name and content type of the justificatif.
    pub justificatif: Option<(&'a str, &'a str, &'a str)>,
    pub disable_notification: bool,
    pub correction: Option<&'a str>,
    pub evidence: &'a [String],
    pub dossier_state: &'a str,
    pub based_on: &'a str,
    pub hash: &'a str,
}

/// An agent's decision, as written on the row.
#[derive(Debug, Clone)]
pub(crate) struct DecisionRow<'a> {
    pub status: ProposalStatus,
    pub verdict: &'a str,
    pub by: &'a str,
    pub via: &'a str,
    pub instructeur: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub agent_motivation: Option<&'a str>,
    pub approved_hash: Option<&'a str>,
}

const COLUMNS: &str = "id, robot, number, demarche, action, motivation, justificatif_sha256, \
    justificatif_name, justificatif_type, disable_notification, correction, reasons, evidence, \
    dossier_state, based_on, hash, status, run_id, episode, proposed_at, verdict, decided_by, \
    decided_via, decided_instructeur, decided_at, decision_reason, agent_motivation, \
    approved_hash, executed_at, detail";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Proposal> {
    let evidence: String = r.get(12)?;
    let status: String = r.get(16)?;
    Ok(Proposal {
        id: r.get(0)?,
        robot: r.get(1)?,
        number: r.get(2)?,
        demarche: r.get(3)?,
        action: r.get(4)?,
        motivation: r.get(5)?,
        justificatif_sha256: r.get(6)?,
        justificatif_name: r.get(7)?,
        justificatif_type: r.get(8)?,
        disable_notification: r.get(9)?,
        correction: r.get(10)?,
        reasons: r.get(11)?,
        evidence: serde_json::from_str(&evidence).unwrap_or_default(),
        dossier_state: r.get(13)?,
        based_on: r.get(14)?,
        hash: r.get(15)?,
        // An unknown status is never acted on: read as failed.
        status: ProposalStatus::parse(&status).unwrap_or(ProposalStatus::Failed),
        run_id: r.get(17)?,
        episode: r.get(18)?,
        proposed_at: r.get(19)?,
        verdict: r.get(20)?,
        decided_by: r.get(21)?,
        decided_via: r.get(22)?,
        decided_instructeur: r.get(23)?,
        decided_at: r.get(24)?,
        decision_reason: r.get(25)?,
        agent_motivation: r.get(26)?,
        approved_hash: r.get(27)?,
        executed_at: r.get(28)?,
        detail: r.get(29)?,
    })
}

impl Journal {
    pub(crate) fn add_proposal(&self, p: &NewProposal<'_>) -> rusqlite::Result<i64> {
        let (sha, name, kind) = p.justificatif.unzip3();
        let evidence = serde_json::to_string(p.evidence).unwrap_or_else(|_| "[]".into());
        let conn = self.conn();
        conn.execute(
            "INSERT INTO proposals (robot, number, demarche, episode, run_id, action, motivation,
                justificatif_sha256, justificatif_name, justificatif_type, disable_notification,
                correction, evidence, dossier_state, based_on, hash, status, proposed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 'pending', ?17)",
            params![
                p.robot, p.number, p.demarche, p.episode, p.run_id, p.action, p.motivation,
                sha, name, kind, p.disable_notification, p.correction, evidence,
                p.dossier_state, p.based_on, p.hash, now()
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// The robot's own words for its proposals of an item (its outcome text).
    pub(crate) fn set_proposal_reasons(
        &self,
        robot: &str,
        number: i64,
        run_id: &str,
        reasons: &str,
    ) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE proposals SET reasons = ?4
             WHERE robot = ?1 AND number = ?2 AND run_id = ?3 AND reasons IS NULL",
            params![robot, number, run_id, reasons],
        )?;
        Ok(())
    }

    pub fn proposal(&self, robot: &str, id: i64) -> rusqlite::Result<Option<Proposal>> {
        let sql = format!("SELECT {COLUMNS} FROM proposals WHERE robot = ?1 AND id = ?2");
        self.conn()
            .query_row(&sql, params![robot, id], row)
            .optional()
    }

    /// Proposals of the robot, in `status` (any when `None`), oldest first
    /// when `oldest_first`, at most `limit`.
    pub fn proposals(
        &self,
        robot: &str,
        status: Option<ProposalStatus>,
        oldest_first: bool,
        limit: u32,
    ) -> rusqlite::Result<Vec<Proposal>> {
        let order = if oldest_first { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT {COLUMNS} FROM proposals WHERE robot = ?1 AND (?2 IS NULL OR status = ?2)
             ORDER BY id {order} LIMIT ?3"
        );
        let conn = self.conn();
        let mut st = conn.prepare(&sql)?;
        let rows = st.query_map(params![robot, status.map(|s| s.as_str()), limit], row)?;
        rows.collect()
    }

    /// Write a decision on a pending proposal. False when it was not pending
    /// (another agent decided first).
    pub(crate) fn decide_proposal(
        &self,
        robot: &str,
        id: i64,
        d: &DecisionRow<'_>,
    ) -> rusqlite::Result<bool> {
        let n = self.conn().execute(
            "UPDATE proposals SET status = ?3, verdict = ?4, decided_by = ?5, decided_via = ?6,
                decided_instructeur = ?7, decided_at = ?8, decision_reason = ?9,
                agent_motivation = ?10, approved_hash = ?11
             WHERE robot = ?1 AND id = ?2 AND status = 'pending'",
            params![
                robot,
                id,
                d.status.as_str(),
                d.verdict,
                d.by,
                d.via,
                d.instructeur,
                now(),
                d.reason,
                d.agent_motivation,
                d.approved_hash
            ],
        )?;
        Ok(n == 1)
    }

    /// Close an approved proposal: executed, stale or failed, saying how.
    pub(crate) fn close_proposal(
        &self,
        id: i64,
        status: ProposalStatus,
        detail: &str,
    ) -> rusqlite::Result<bool> {
        let n = self.conn().execute(
            "UPDATE proposals SET status = ?2, executed_at = ?3, detail = ?4
             WHERE id = ?1 AND status = 'approved'",
            params![id, status.as_str(), now(), detail],
        )?;
        Ok(n == 1)
    }

    /// An open proposal of the same mutation (same hash) on the dossier.
    pub(crate) fn open_proposal(
        &self,
        robot: &str,
        number: i64,
        hash: &str,
    ) -> rusqlite::Result<Option<i64>> {
        self.conn()
            .query_row(
                "SELECT id FROM proposals WHERE robot = ?1 AND number = ?2 AND hash = ?3
                   AND status IN ('pending', 'approved') ORDER BY id LIMIT 1",
                params![robot, number, hash],
                |r| r.get(0),
            )
            .optional()
    }

    /// Whether the dossier has a proposal no agent has closed yet.
    pub fn has_open_proposal(&self, robot: &str, number: i64) -> rusqlite::Result<bool> {
        self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM proposals
              WHERE robot = ?1 AND number = ?2 AND status IN ('pending', 'approved'))",
            params![robot, number],
            |r| r.get(0),
        )
    }

    /// Hand a dossier waiting for its proposal back: `done` (executed),
    /// `review` (rejected), or `pending` in a new episode for the robot.
    pub(crate) fn settle_proposed(
        &self,
        robot: &str,
        number: i64,
        (status, outcome): (&str, &str),
        reason: &str,
    ) -> rusqlite::Result<()> {
        let new_episode = i64::from(status == "pending");
        self.conn().execute(
            "UPDATE queue SET status = ?3, outcome = ?4, reason = ?5, attempts = 0,
                wake_at = NULL, waiting_since = NULL, updated_at = ?6, episode = episode + ?7,
                episode_reason = CASE WHEN ?7 = 1 THEN ?5 ELSE episode_reason END
             WHERE robot = ?1 AND number = ?2 AND status = 'waiting'",
            params![robot, number, status, outcome, reason, now(), new_episode],
        )?;
        Ok(())
    }

    /// Keep what DS shows after an executed proposal as the dossier's basis.
    pub(crate) fn set_basis(&self, robot: &str, number: i64, basis: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE queue SET basis = ?3 WHERE robot = ?1 AND number = ?2",
            params![robot, number, basis],
        )?;
        Ok(())
    }
}

trait Unzip3<'a> {
    fn unzip3(self) -> (Option<&'a str>, Option<&'a str>, Option<&'a str>);
}

impl<'a> Unzip3<'a> for Option<(&'a str, &'a str, &'a str)> {
    fn unzip3(self) -> (Option<&'a str>, Option<&'a str>, Option<&'a str>) {
        match self {
            Some((a, b, c)) => (Some(a), Some(b), Some(c)),
            None => (None, None, None),
        }
    }
}
