//! What a person reads of a journal (the web console): one run, its items,
//! its log lines a page at a time, a dossier's attempts across runs and its
//! evidence files, and how many dossiers stand in each queue status. Every
//! list is bounded by the caller's `limit`, so a page never loads a run of a
//! million log lines at once.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Journal, RunRow};

/// One pass at one dossier in a run, as the journal recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    pub run_id: String,
    pub number: i64,
    pub episode: u32,
    pub attempt: u32,
    pub pass: u32,
    pub status: String,
    pub outcome: String,
    pub reason: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub duration_ms: u64,
}

/// A log line with where it stands in the journal (`id`, for paging).
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub id: i64,
    pub item: Option<i64>,
    pub ts: String,
    pub level: String,
    pub message: String,
}

/// An evidence file a run kept (a screenshot, a saved page, …).
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceRow {
    pub run_id: String,
    pub item: Option<i64>,
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

const ITEM_COLUMNS: &str = "run_id, number, episode, attempt, pass, status, COALESCE(outcome, ''),
    COALESCE(reason, ''), started_at, finished_at, COALESCE(duration_ms, 0)";

fn item(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        run_id: r.get(0)?,
        number: r.get(1)?,
        episode: r.get(2)?,
        attempt: r.get(3)?,
        pass: r.get(4)?,
        status: r.get(5)?,
        outcome: r.get(6)?,
        reason: r.get(7)?,
        started_at: r.get(8)?,
        finished_at: r.get(9)?,
        duration_ms: r.get::<_, i64>(10)?.max(0) as u64,
    })
}

impl Journal {
    pub fn run(&self, id: &str) -> rusqlite::Result<Option<RunRow>> {
        self.conn()
            .query_row(
                "SELECT id, robot, started_at, finished_at, status, done, skipped, needs_review, failed
                 FROM runs WHERE id = ?1",
                [id],
                |r| {
                    Ok(RunRow {
                        id: r.get(0)?,
                        robot: r.get(1)?,
                        started_at: r.get(2)?,
                        finished_at: r.get(3)?,
                        status: r.get(4)?,
                        done: r.get(5)?,
                        skipped: r.get(6)?,
                        needs_review: r.get(7)?,
                        failed: r.get(8)?,
                    })
                },
            )
            .optional()
    }

    /// The run's passes, by dossier then order, at most `limit`.
    pub fn run_items(&self, run_id: &str, limit: u32) -> rusqlite::Result<Vec<ItemRow>> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE run_id = ?1
             ORDER BY number, episode, attempt, pass LIMIT ?2"
        ))?;
        let rows = st.query_map(params![run_id, limit], item)?;
        rows.collect()
    }

    /// Every pass at one dossier of `robot`, oldest first, at most `limit`.
    pub fn dossier_items(
        &self,
        robot: &str,
        number: i64,
        limit: u32,
    ) -> rusqlite::Result<Vec<ItemRow>> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE number = ?2
               AND run_id IN (SELECT id FROM runs WHERE robot = ?1)
             ORDER BY started_at, episode, attempt, pass LIMIT ?3"
        ))?;
        let rows = st.query_map(params![robot, number, limit], item)?;
        rows.collect()
    }

    /// The run's log lines after line `after` (0 for the first), at most
    /// `limit`, optionally of one dossier only.
    pub fn log_page(
        &self,
        run_id: &str,
        item: Option<i64>,
        after: i64,
        limit: u32,
    ) -> rusqlite::Result<Vec<LogEntry>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, item, ts, level, message FROM logs
             WHERE run_id = ?1 AND id > ?2 AND (?3 IS NULL OR item = ?3) ORDER BY id LIMIT ?4",
        )?;
        let rows = st.query_map(params![run_id, after, item, limit], |r| {
            Ok(LogEntry {
                id: r.get(0)?,
                item: r.get(1)?,
                ts: r.get(2)?,
                level: r.get(3)?,
                message: r.get(4)?,
            })
        })?;
        rows.collect()
    }

    /// The evidence files kept for one dossier of `robot`, at most `limit`.
    pub fn dossier_evidence(
        &self,
        robot: &str,
        number: i64,
        limit: u32,
    ) -> rusqlite::Result<Vec<EvidenceRow>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT run_id, item, name, sha256, size FROM evidence WHERE item = ?2
               AND run_id IN (SELECT id FROM runs WHERE robot = ?1) ORDER BY id LIMIT ?3",
        )?;
        let rows = st.query_map(params![robot, number, limit], |r| {
            Ok(EvidenceRow {
                run_id: r.get(0)?,
                item: r.get(1)?,
                name: r.get(2)?,
                sha256: r.get(3)?,
                size: r.get::<_, i64>(4)?.max(0) as u64,
            })
        })?;
        rows.collect()
    }

    /// How many of `robot`'s dossiers stand in each queue status.
    pub fn queue_counts(&self, robot: &str) -> rusqlite::Result<BTreeMap<String, u64>> {
        let conn = self.conn();
        let mut st =
            conn.prepare("SELECT status, count(*) FROM queue WHERE robot = ?1 GROUP BY status")?;
        let rows = st.query_map([robot], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })?;
        rows.collect()
    }
}
