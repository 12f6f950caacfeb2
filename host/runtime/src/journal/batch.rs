//! Group commit of the runner's per-item writes. A SQLite commit costs far
//! more than the rows it writes (WAL frames for every page touched, the
//! WAL index and its locks), and an item used to make two or three: its
//! claim, its outcome, its log lines. The writes that may wait go into one
//! open transaction, the *batch*, that many items share:
//!
//! - the claim of an idempotent robot's item (a non-idempotent robot's claim
//!   is committed before `process` starts, with the batch before it);
//! - outcomes, unless the runner asks for one to be durable at once;
//! - log lines.
//!
//! The batch is committed when any other journal access comes (a DS
//! mutation's intent, a state write, a seal of the audit log, a read of
//! another table, the run's end: [`Journal::conn`] commits first), when it is
//! older than [`MAX_AGE`] or holds [`MAX_ROWS`] writes at the next batched
//! write, on the runner's periodic [`Journal::flush_due`] (`runner/commit.rs`),
//! and when the journal is dropped. A crash loses at most what the batch held: items left
//! `running` (treated as interrupted at the next start, by the crash rules)
//! or not yet claimed (fed again), and their log lines, which were also on
//! the host's log. What other processes read (`pont review`, the console)
//! lags the run by at most [`MAX_AGE`].

use std::collections::HashSet;
use std::ops::Deref;
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::Journal;

/// The oldest a batch gets before the next batched write commits it; also
/// the runner's flush period. Matches the audit log's group commit.
pub(crate) const MAX_AGE: Duration = Duration::from_millis(100);

/// Writes a batch holds at most before it is committed.
const MAX_ROWS: u32 = 512;

/// The connection, with the batch open on it, if any.
#[derive(Debug)]
pub(crate) struct Db {
    conn: Connection,
    /// When the open batch began, and how many writes it holds.
    open: Option<(Instant, u32)>,
    /// Dossiers with a DS mutation intent journaled since their last claim:
    /// their outcome is not read-only (see [`Journal::mutated`]).
    mutated: HashSet<i64>,
}

impl Deref for Db {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Db {
    pub fn new(conn: Connection) -> Self {
        Self {
            conn,
            open: None,
            mutated: HashSet::new(),
        }
    }

    /// Commit the open batch, if any. If the commit fails, the batch is
    /// rolled back: its rows are lost as in a crash, which the crash rules
    /// already cover; what was reported durable stays durable.
    pub fn commit(&mut self) -> rusqlite::Result<()> {
        if self.open.take().is_none() {
            return Ok(());
        }
        if self.conn.is_autocommit() {
            // SQLite rolled the transaction back itself (an I/O error, a
            // full disk): the batch is lost, as in a crash.
            tracing::warn!("journal: the batch of item writes was rolled back by SQLite");
            return Ok(());
        }
        self.conn.execute_batch("COMMIT").inspect_err(|e| {
            tracing::warn!(
                "journal: committing the batch of item writes failed ({e}); rolled back"
            );
            let _ = self.conn.execute_batch("ROLLBACK");
        })
    }

    /// Open a batch unless one is open, and count one more write in it.
    fn begin(&mut self) -> rusqlite::Result<()> {
        if self.open.is_some() && self.conn.is_autocommit() {
            self.commit()?;
        }
        match &mut self.open {
            Some((_, rows)) => *rows += 1,
            None => {
                self.conn.execute_batch("BEGIN IMMEDIATE")?;
                self.open = Some((Instant::now(), 1));
            }
        }
        Ok(())
    }

    fn due(&self, age: Duration) -> bool {
        self.open
            .is_some_and(|(at, rows)| at.elapsed() >= age || rows >= MAX_ROWS)
    }

    pub fn note_mutation(&mut self, number: i64) {
        self.mutated.insert(number);
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // A connection closed with a transaction open rolls it back.
        let _ = self.commit();
    }
}

/// The journal locked with a batch open: statements run in the batch.
pub(crate) struct Batched<'a>(MutexGuard<'a, Db>);

impl Deref for Batched<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.0.conn
    }
}

impl Batched<'_> {
    /// Run `f` atomically within the batch (a savepoint): all its
    /// statements or none.
    pub fn atomic<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.0.conn.execute_batch("SAVEPOINT item")?;
        match f(&self.0.conn) {
            Ok(v) => {
                self.0.conn.execute_batch("RELEASE item")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.0.conn.execute_batch("ROLLBACK TO item; RELEASE item");
                Err(e)
            }
        }
    }

    /// Commit the batch now (what it holds is durable once this returns).
    pub fn commit(mut self) -> rusqlite::Result<()> {
        self.0.commit()
    }

    /// Commit it if it is older than [`MAX_AGE`] or full.
    pub fn done(mut self) -> rusqlite::Result<()> {
        match self.0.due(MAX_AGE) {
            true => self.0.commit(),
            false => Ok(()),
        }
    }

    /// Whether `number` had a DS mutation intent since its claim; forgets it.
    pub fn take_mutated(&mut self, number: i64) -> bool {
        self.0.mutated.remove(&number)
    }
}

impl Journal {
    /// The journal locked, with a batch open to write into.
    pub(crate) fn batched(&self) -> rusqlite::Result<Batched<'_>> {
        let mut db = self.lock();
        db.begin()?;
        Ok(Batched(db))
    }

    /// Commit the batch if it is older than `age` (the runner's timer).
    pub fn flush_due(&self, age: Duration) -> rusqlite::Result<()> {
        let mut db = self.lock();
        match db.due(age) {
            true => db.commit(),
            false => Ok(()),
        }
    }

    /// Commit the batch, if any.
    pub fn flush(&self) -> rusqlite::Result<()> {
        self.lock().commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{ItemRecord, MutationAt, QueueStatus, Settle};

    /// The journal, and a second connection reading it as another process would.
    fn journal() -> (tempfile::TempDir, Journal, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let j = Journal::open(&path).unwrap();
        j.start_run("r", "bot", "sha", "cfg").unwrap();
        let other = Connection::open(&path).unwrap();
        (dir, j, other)
    }

    fn status(other: &Connection, number: i64) -> Option<String> {
        other
            .query_row(
                "SELECT status FROM queue WHERE number = ?1",
                [number],
                |r| r.get(0),
            )
            .ok()
    }

    fn record(number: i64) -> ItemRecord<'static> {
        ItemRecord {
            run_id: "r",
            number,
            episode: 1,
            attempt: 1,
            pass: 1,
            status: "done",
            outcome: "done",
            reason: "ok",
            started_at: "2026-01-01T00:00:00Z",
            duration_ms: 1,
            browser_actions: 0,
            tools: 1,
            wake_at: None,
            wait_ms: 0,
            basis: None,
        }
    }

    fn settle(j: &Journal, number: i64, when: Settle) {
        j.settle_in_run(("bot", QueueStatus::Done), &record(number), "ds", when)
            .unwrap();
    }

    #[test]
    fn a_durable_claim_is_seen_at_once_a_batched_one_after_the_flush() {
        let (_d, j, other) = journal();
        j.claim_in_run("r", "bot", 1, (None, false)).unwrap();
        assert_eq!(status(&other, 1), None, "batched: not committed yet");
        j.claim_in_run("r", "bot", 2, (None, true)).unwrap();
        // The durable claim commits the batch before it too.
        assert_eq!(status(&other, 1).as_deref(), Some("running"));
        assert_eq!(status(&other, 2).as_deref(), Some("running"));
        settle(&j, 2, Settle::Batched);
        assert_eq!(status(&other, 2).as_deref(), Some("running"));
        j.flush().unwrap();
        assert_eq!(status(&other, 2).as_deref(), Some("done"));
    }

    #[test]
    fn any_other_access_commits_the_batch_first() {
        let (_d, j, other) = journal();
        j.claim_in_run("r", "bot", 1, (None, false)).unwrap();
        let at = MutationAt {
            number: 1,
            episode: 1,
            attempt: 1,
        };
        j.mutation_intent("r", "bot", at, "accepter", 0).unwrap();
        assert_eq!(status(&other, 1).as_deref(), Some("running"));
        let intents: i64 = other
            .query_row("SELECT COUNT(*) FROM mutations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(intents, 1, "the intent is durable when it returns");
    }

    #[test]
    fn a_read_only_outcome_waits_one_after_a_mutation_does_not() {
        let (_d, j, other) = journal();
        j.claim_in_run("r", "bot", 1, (None, true)).unwrap();
        settle(&j, 1, Settle::BatchedIfReadOnly);
        assert_eq!(status(&other, 1).as_deref(), Some("running"));
        j.claim_in_run("r", "bot", 2, (None, true)).unwrap();
        let at = MutationAt {
            number: 2,
            episode: 1,
            attempt: 1,
        };
        j.mutation_intent("r", "bot", at, "accepter", 0).unwrap();
        settle(&j, 2, Settle::BatchedIfReadOnly);
        assert_eq!(status(&other, 2).as_deref(), Some("done"));
        // The next claim starts clean: a read-only retry of 2 may wait again.
        j.claim_in_run("r", "bot", 2, (None, true)).unwrap();
        settle(&j, 2, Settle::BatchedIfReadOnly);
        assert_eq!(status(&other, 2).as_deref(), Some("running"));
    }

    #[test]
    fn dropping_the_journal_commits_and_a_stale_batch_is_flushed() {
        let (_d, j, other) = journal();
        j.claim_in_run("r", "bot", 1, (None, false)).unwrap();
        j.flush_due(Duration::from_secs(3600)).unwrap();
        assert_eq!(status(&other, 1), None, "not due yet");
        j.flush_due(Duration::ZERO).unwrap();
        assert_eq!(status(&other, 1).as_deref(), Some("running"));
        j.claim_in_run("r", "bot", 2, (None, false)).unwrap();
        drop(j);
        assert_eq!(status(&other, 2).as_deref(), Some("running"));
    }
}
