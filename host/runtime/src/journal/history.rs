//! What the journal tells about past work: the attempts of a robot's items
//! over a period (for `pont report`), and an item's log lines (for
//! `pont review show`).

use rusqlite::params;
use serde::Serialize;

use super::{Journal, LogLine};

/// One pass at one dossier, as recorded when it ended (an attempt that
/// waited has a pass per wait, each a row).
#[derive(Debug, Clone, Serialize)]
pub struct AttemptRow {
    pub run_id: String,
    pub number: i64,
    pub episode: u32,
    pub attempt: u32,
    pub status: String,
    pub outcome: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub browser_actions: u32,
    /// Distinct external applications, comma-separated.
    pub tools_used: String,
    /// A waiting pass: how long it was to wait for something outside the
    /// robot (the KPI's external delay, not robot time).
    pub wait_ms: u64,
}

impl Journal {
    /// Attempts of `robot`'s items that started in `[since, until)`
    /// (RFC 3339 strings, compared as text: the journal writes UTC with
    /// a fixed format), by dossier then attempt.
    pub fn attempts(
        &self,
        robot: &str,
        since: &str,
        until: &str,
    ) -> rusqlite::Result<Vec<AttemptRow>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT i.run_id, i.number, i.attempt, i.status, COALESCE(i.outcome, ''), i.started_at,
                    COALESCE(i.duration_ms, 0), i.browser_actions, i.tools_used, i.episode, i.wait_ms
             FROM items i JOIN runs r ON r.id = i.run_id
             WHERE r.robot = ?1 AND i.started_at >= ?2 AND i.started_at < ?3
             ORDER BY i.number, i.started_at, i.episode, i.attempt, i.pass",
        )?;
        let rows = st.query_map(params![robot, since, until], |r| {
            Ok(AttemptRow {
                run_id: r.get(0)?,
                number: r.get(1)?,
                attempt: r.get(2)?,
                status: r.get(3)?,
                outcome: r.get(4)?,
                started_at: r.get(5)?,
                duration_ms: r.get::<_, i64>(6)?.max(0) as u64,
                browser_actions: r.get(7)?,
                tools_used: r.get(8)?,
                episode: r.get(9)?,
                wait_ms: r.get::<_, i64>(10)?.max(0) as u64,
            })
        })?;
        rows.collect()
    }

    /// The log lines of one dossier in one run.
    pub fn item_logs(&self, run_id: &str, number: i64) -> rusqlite::Result<Vec<LogLine>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT item, level, message, fields FROM logs WHERE run_id = ?1 AND item = ?2 ORDER BY id",
        )?;
        let rows = st.query_map(params![run_id, number], |r| {
            Ok(LogLine {
                item: r.get(0)?,
                level: r.get(1)?,
                message: r.get(2)?,
                fields: r.get(3)?,
            })
        })?;
        rows.collect()
    }
}
