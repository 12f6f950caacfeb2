//! The journal: one SQLite file (WAL) per robot config holding runs, items,
//! log lines, evidence and the robot's state store. Migrations are versioned
//! with `PRAGMA user_version` so an older journal is upgraded in place. It
//! also keeps the second copy of each audit file's seal (`seal`).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, params};

mod batch;
mod episodes;
mod history;
mod proposals;
mod queue;
mod schema;
mod seal;
mod state_limits;
mod views;

pub(crate) use batch::MAX_AGE as BATCH_MAX_AGE;
pub use history::AttemptRow;
pub(crate) use proposals::{DecisionRow, NewProposal};
pub(crate) use queue::Settle;
pub use queue::{Claim, LedgerRow, MutationAt, MutationRecord, QueueEntry, QueueStatus, RunRow};
pub use seal::{JournalSealBook, JournalSeals};
pub(crate) use state_limits::{StateBounds, StateError, StateSet};
pub use views::{EvidenceRow, ItemRow, LogEntry};

/// Handle to the journal, shared by the runner and the capability glue.
#[derive(Clone, Debug)]
pub struct Journal {
    conn: Arc<Mutex<batch::Db>>,
}

/// A finished item, as written to the journal.
#[derive(Debug, Clone)]
pub struct ItemRecord<'a> {
    pub run_id: &'a str,
    pub number: i64,
    pub episode: u32,
    pub attempt: u32,
    /// 1, 2, … for each time the attempt was fed (a wait keeps the attempt).
    pub pass: u32,
    /// `done`, `skipped`, `needs-review`, `waiting`, `failed`.
    pub status: &'a str,
    /// `done`, `skipped`, `needs-review`, `waiting`, `business`, `system`.
    pub outcome: &'a str,
    pub reason: &'a str,
    pub started_at: &'a str,
    pub duration_ms: u64,
    /// Browser actions (clicks, fills…) in this attempt: the KPI's clicks.
    pub browser_actions: u32,
    /// Distinct external applications touched: the KPI's tools.
    pub tools: u32,
    /// A waiting pass: when the item is to be fed again (RFC 3339, UTC).
    pub wake_at: Option<&'a str>,
    /// A waiting pass: how long the item is to wait, the KPI's external delay.
    pub wait_ms: u64,
    /// A final outcome: what DS showed of the dossier then (JSON), against
    /// which a later change starts a new episode.
    pub basis: Option<&'a str>,
}

/// A log line kept for an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub item: Option<i64>,
    pub level: String,
    pub message: String,
    pub fields: String,
}

/// The counts of a run, as the journal has them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub done: u32,
    pub skipped: u32,
    pub needs_review: u32,
    pub failed: u32,
    /// Items whose last pass in the run ended waiting (not stored per run).
    pub waiting: u32,
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Journal {
    /// Open (or create) the journal and bring its schema up to date.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(batch::Db::new(conn))),
        })
    }

    fn lock(&self) -> MutexGuard<'_, batch::Db> {
        // A panic while holding the lock cannot leave SQLite inconsistent
        // (statements are atomic), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The connection for everything but the runner's batched writes: the
    /// batch (`batch.rs`) is committed first, so this access sees the
    /// journal as others will, and a write made here (a DS mutation's
    /// intent, a state write, a seal) is durable, in order, when it returns.
    fn conn(&self) -> MutexGuard<'_, batch::Db> {
        let mut db = self.lock();
        // A failed commit is rolled back and logged: those rows are lost as
        // in a crash, and this access goes on outside any transaction.
        let _ = db.commit();
        db
    }

    pub fn start_run(
        &self,
        id: &str,
        robot: &str,
        digest: &str,
        config: &str,
    ) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO runs (id, robot, plugin_digest, config_path, started_at, status) VALUES (?1, ?2, ?3, ?4, ?5, 'running')",
            params![id, robot, digest, config, now()],
        )?;
        Ok(())
    }

    pub fn finish_run(&self, id: &str, status: &str, c: RunCounts) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE runs SET finished_at = ?2, status = ?3, done = ?4, skipped = ?5, needs_review = ?6, failed = ?7 WHERE id = ?1",
            params![id, now(), status, c.done, c.skipped, c.needs_review, c.failed],
        )?;
        Ok(())
    }

    /// Keep a log line; it waits in the batch (it is on the host's log too).
    pub fn log(&self, run_id: &str, line: &LogLine) -> rusqlite::Result<()> {
        let db = self.batched()?;
        db.prepare_cached(
            "INSERT INTO logs (run_id, item, ts, level, message, fields) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![run_id, line.item, now(), line.level, line.message, line.fields])?;
        db.done()
    }

    pub fn logs(&self, run_id: &str) -> rusqlite::Result<Vec<LogLine>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT item, level, message, fields FROM logs WHERE run_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([run_id], |r| {
            Ok(LogLine {
                item: r.get(0)?,
                level: r.get(1)?,
                message: r.get(2)?,
                fields: r.get(3)?,
            })
        })?;
        rows.collect()
    }

    pub fn add_evidence(
        &self,
        run_id: &str,
        item: Option<i64>,
        name: &str,
        path: &str,
        sha256: &str,
        size: u64,
    ) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO evidence (run_id, item, name, path, sha256, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![run_id, item, name, path, sha256, size as i64],
        )?;
        Ok(())
    }

    pub fn run_counts(&self, run_id: &str) -> rusqlite::Result<RunCounts> {
        self.conn().query_row(
            "SELECT done, skipped, needs_review, failed FROM runs WHERE id = ?1",
            [run_id],
            |r| {
                Ok(RunCounts {
                    done: r.get(0)?,
                    skipped: r.get(1)?,
                    needs_review: r.get(2)?,
                    failed: r.get(3)?,
                    waiting: 0,
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        Journal::open(&path).unwrap();
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        let err = Journal::open(&path).unwrap_err().to_string();
        assert!(err.contains("newer than this pont"), "{err}");
    }
}
