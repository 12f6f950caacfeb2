//! The queue across runs, DS mutation intents and results, listing cursors,
//! the egress ledger and the list of runs. The queue row of a dossier is the
//! one place that says whether it is finished: a committed outcome is never
//! processed again, and a row left `running` after a crash is recovered at the
//! next start.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{ItemRecord, Journal, now};

/// Where a dossier stands in the robot's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueueStatus {
    /// Waiting for a run (new, or put back by `pont review retry`).
    Pending,
    /// Claimed by a run; found so at start, it was interrupted by a crash.
    Running,
    /// A system failure to try again in the next run.
    Retry,
    Done,
    Skipped,
    /// A business failure: final, not retried.
    Failed,
    /// Waiting for something outside the robot until `wake_at`.
    Waiting,
    /// Waiting for a person (`pont review`).
    Review,
    /// Taken out of the review queue by a person.
    Dismissed,
}

impl QueueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Retry => "retry",
            Self::Done => "done",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
            Self::Waiting => "waiting",
            Self::Review => "review",
            Self::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "retry" => Self::Retry,
            "done" => Self::Done,
            "skipped" => Self::Skipped,
            "failed" => Self::Failed,
            "waiting" => Self::Waiting,
            "review" => Self::Review,
            "dismissed" => Self::Dismissed,
            _ => return None,
        })
    }

    /// Whether the status is a settled outcome of the episode, one a later
    /// change in DS may reopen as a new episode.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            Self::Done | Self::Skipped | Self::Failed | Self::Dismissed
        )
    }

    /// Whether a run may pick the dossier up (a waiting one: once due, see
    /// [`QueueEntry::due`]).
    pub fn is_runnable(self) -> bool {
        matches!(self, Self::Pending | Self::Retry | Self::Waiting)
    }
}

/// One dossier's row in the queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueEntry {
    pub number: i64,
    pub demarche: Option<i64>,
    pub status: QueueStatus,
    pub attempts: u32,
    pub outcome: Option<String>,
    pub reason: Option<String>,
    pub run_id: Option<String>,
    pub updated_at: String,
    /// When a waiting dossier is to be fed again (RFC 3339, UTC).
    pub wake_at: Option<String>,
    /// Since when it has been waiting (its first wait of this attempt).
    pub waiting_since: Option<String>,
    /// 1, then 2, 3, … each time DS showed a change the robot did not make.
    pub episode: u32,
    /// Why the current episode started (none for the first).
    pub episode_reason: Option<String>,
    /// What DS showed when the episode's outcome was settled (JSON), the
    /// basis a later change is judged against.
    pub basis: Option<String>,
}

impl QueueEntry {
    /// When a run may feed it: now for a pending or retried dossier, at
    /// `wake_at` for a waiting one, never for a finished one.
    pub fn due(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match self.status {
            QueueStatus::Pending | QueueStatus::Retry => Some(chrono::DateTime::UNIX_EPOCH),
            QueueStatus::Waiting => Some(
                self.wake_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map_or(chrono::DateTime::UNIX_EPOCH, |t| t.to_utc()),
            ),
            _ => None,
        }
    }
}

/// A dossier claimed by a run.
#[derive(Debug, Clone)]
pub struct Claim {
    /// 1 for the first attempt ever, counting attempts of earlier runs.
    pub attempt: u32,
    /// 1, 2, … each time the dossier is fed, waits included.
    pub pass: u32,
    /// The dossier's current episode.
    pub episode: u32,
    /// Why it started (none for the first).
    pub episode_reason: Option<String>,
}

/// A DS mutation as journaled: the intent, then its result.
#[derive(Debug, Clone, Serialize)]
pub struct MutationRecord {
    pub id: i64,
    pub run_id: String,
    pub number: i64,
    pub attempt: u32,
    pub operation: String,
    /// `intent` (sent or about to be, result unknown), `applied` or `failed`.
    pub status: String,
    pub detail: Option<String>,
    pub intent_at: String,
    pub episode: u32,
}

/// Which dossier, episode and attempt a mutation belongs to.
#[derive(Debug, Clone, Copy)]
pub struct MutationAt {
    pub number: i64,
    pub episode: u32,
    pub attempt: u32,
}

/// A past run.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub id: String,
    pub robot: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub done: u32,
    pub skipped: u32,
    pub needs_review: u32,
    pub failed: u32,
}

/// Bytes and items that left towards one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRow {
    pub source: String,
    pub destination: String,
    pub items: u64,
    pub bytes: u64,
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<QueueEntry> {
    let status: String = r.get(2)?;
    Ok(QueueEntry {
        number: r.get(0)?,
        demarche: r.get(1)?,
        status: QueueStatus::parse(&status).unwrap_or(QueueStatus::Review),
        attempts: r.get(3)?,
        outcome: r.get(4)?,
        reason: r.get(5)?,
        run_id: r.get(6)?,
        updated_at: r.get(7)?,
        wake_at: r.get(8)?,
        waiting_since: r.get(9)?,
        episode: r.get(10)?,
        episode_reason: r.get(11)?,
        basis: r.get(12)?,
    })
}

const ENTRY_COLUMNS: &str = "number, demarche, status, attempts, outcome, reason, run_id, updated_at, wake_at, waiting_since, episode, episode_reason, basis";

impl Journal {
    /// Rows left `running` by a run that died: retried when `process` is
    /// idempotent, otherwise handed to a person. Returns the numbers and
    /// their new status.
    pub fn recover_interrupted(
        &self,
        robot: &str,
        idempotent: bool,
    ) -> rusqlite::Result<Vec<(i64, QueueStatus)>> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let numbers: Vec<i64> = {
            let mut st =
                tx.prepare("SELECT number FROM queue WHERE robot = ?1 AND status = 'running'")?;
            st.query_map([robot], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let (status, reason) = if idempotent {
            (
                QueueStatus::Retry,
                "interrupted (host stopped); process is idempotent, so it is retried",
            )
        } else {
            (
                QueueStatus::Review,
                "interrupted (host stopped) and process is not declared idempotent: check the dossier, then `pont review retry` or `dismiss`",
            )
        };
        tx.execute(
            "UPDATE queue SET status = ?2, outcome = 'system', reason = ?3, updated_at = ?4 WHERE robot = ?1 AND status = 'running'",
            params![robot, status.as_str(), reason, now()],
        )?;
        tx.execute(
            "UPDATE runs SET status = 'interrupted' WHERE robot = ?1 AND status = 'running'",
            [robot],
        )?;
        tx.commit()?;
        Ok(numbers.into_iter().map(|n| (n, status)).collect())
    }

    pub fn queue_entry(&self, robot: &str, number: i64) -> rusqlite::Result<Option<QueueEntry>> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM queue WHERE robot = ?1 AND number = ?2"
        ))?;
        st.query_row(params![robot, number], entry).optional()
    }

    /// Dossiers in the given statuses, by number.
    pub fn queue_entries(
        &self,
        robot: &str,
        statuses: &[QueueStatus],
    ) -> rusqlite::Result<Vec<QueueEntry>> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM queue WHERE robot = ?1 ORDER BY number"
        ))?;
        let rows = st.query_map([robot], entry)?;
        let mut out = Vec::new();
        for r in rows {
            let r = r?;
            if statuses.is_empty() || statuses.contains(&r.status) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Mark the dossier as taken by this run and count the attempt;
    /// committed when this returns.
    pub fn claim(
        &self,
        run_id: &str,
        robot: &str,
        number: i64,
        demarche: Option<i64>,
    ) -> rusqlite::Result<Claim> {
        self.claim_in_run(run_id, robot, number, (demarche, true))
    }

    /// [`Journal::claim`] for the runner: a `durable` claim (a
    /// non-idempotent robot's, before `process` starts) is committed, with
    /// the batch before it, when this returns; any other waits in the batch
    /// (see `batch.rs`).
    pub(crate) fn claim_in_run(
        &self,
        run_id: &str,
        robot: &str,
        number: i64,
        (demarche, durable): (Option<i64>, bool),
    ) -> rusqlite::Result<Claim> {
        let mut db = self.batched()?;
        db.take_mutated(number);
        let claim = db.prepare_cached(
            "INSERT INTO queue (robot, number, demarche, status, attempts, passes, run_id, updated_at)
             VALUES (?1, ?2, ?3, 'running', 1, 1, ?4, ?5)
             ON CONFLICT (robot, number) DO UPDATE SET status = 'running',
                attempts = attempts + 1, passes = passes + 1, run_id = excluded.run_id,
                demarche = COALESCE(excluded.demarche, demarche), updated_at = excluded.updated_at
             RETURNING attempts, passes, episode, episode_reason",
        )?
        .query_row(params![robot, number, demarche, run_id, now()], |r| {
            Ok(Claim {
                attempt: r.get(0)?,
                pass: r.get(1)?,
                episode: r.get(2)?,
                episode_reason: r.get(3)?,
            })
        })?;
        match durable {
            true => db.commit()?,
            false => db.done()?,
        }
        Ok(claim)
    }

    /// Record an attempt and the dossier's new queue status together, so a
    /// crash never leaves one without the other; committed when this returns.
    pub fn settle(
        &self,
        robot: &str,
        status: QueueStatus,
        item: &ItemRecord<'_>,
        tools_used: &str,
    ) -> rusqlite::Result<()> {
        self.settle_in_run((robot, status), item, tools_used, Settle::Now)
    }

    /// [`Journal::settle`] for the runner: `when` says whether the outcome
    /// may wait in the batch (see `batch.rs`).
    pub(crate) fn settle_in_run(
        &self,
        (robot, status): (&str, QueueStatus),
        item: &ItemRecord<'_>,
        tools_used: &str,
        when: Settle,
    ) -> rusqlite::Result<()> {
        let mut db = self.batched()?;
        let mutated = db.take_mutated(item.number);
        db.atomic(|tx| write_outcome(tx, (robot, status), item, tools_used))?;
        match when {
            Settle::Batched => db.done(),
            Settle::BatchedIfReadOnly if !mutated => db.done(),
            _ => db.commit(),
        }
    }

    /// Put a dossier under review back in the queue, with fresh attempts.
    /// Returns false when it was not under review.
    pub fn requeue(&self, robot: &str, number: i64) -> rusqlite::Result<bool> {
        let n = self.conn().execute(
            "UPDATE queue SET status = 'pending', attempts = 0, updated_at = ?3 WHERE robot = ?1 AND number = ?2 AND status = 'review'",
            params![robot, number, now()],
        )?;
        Ok(n == 1)
    }

    /// Take a dossier out of the review queue for good.
    pub fn dismiss(&self, robot: &str, number: i64, why: &str) -> rusqlite::Result<bool> {
        let n = self.conn().execute(
            "UPDATE queue SET status = 'dismissed', reason = ?3, updated_at = ?4 WHERE robot = ?1 AND number = ?2 AND status = 'review'",
            params![robot, number, why, now()],
        )?;
        Ok(n == 1)
    }

    /// Journal a mutation before it is sent.
    pub fn mutation_intent(
        &self,
        run_id: &str,
        robot: &str,
        at: MutationAt,
        operation: &str,
        bytes: u64,
    ) -> rusqlite::Result<i64> {
        let mut conn = self.conn();
        // Its outcome is not read-only, whatever the robot declares.
        conn.note_mutation(at.number);
        conn.execute(
            "INSERT INTO mutations (run_id, robot, number, episode, attempt, operation, bytes, status, intent_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'intent', ?8)",
            params![
                run_id, robot, at.number, at.episode, at.attempt, operation, bytes as i64, now()
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Journal what became of a mutation: `applied` or `failed`.
    pub fn mutation_result(&self, id: i64, status: &str, detail: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE mutations SET status = ?2, detail = ?3, result_at = ?4 WHERE id = ?1",
            params![id, status, detail, now()],
        )?;
        Ok(())
    }

    /// Every mutation journaled for a dossier, oldest first (`episode`
    /// `None` for all episodes, `operation` `None` for all operations).
    pub fn mutations(
        &self,
        robot: &str,
        number: i64,
        episode: Option<u32>,
        operation: Option<&str>,
    ) -> rusqlite::Result<Vec<MutationRecord>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, run_id, number, attempt, operation, status, detail, intent_at, episode FROM mutations
             WHERE robot = ?1 AND number = ?2 AND (?3 IS NULL OR episode = ?3)
               AND (?4 IS NULL OR operation = ?4) ORDER BY id",
        )?;
        let rows = st.query_map(params![robot, number, episode, operation], |r| {
            Ok(MutationRecord {
                id: r.get(0)?,
                run_id: r.get(1)?,
                number: r.get(2)?,
                attempt: r.get(3)?,
                operation: r.get(4)?,
                status: r.get(5)?,
                detail: r.get(6)?,
                intent_at: r.get(7)?,
                episode: r.get(8)?,
            })
        })?;
        rows.collect()
    }

    pub fn cursor(&self, robot: &str, name: &str) -> rusqlite::Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT value FROM cursors WHERE robot = ?1 AND name = ?2",
                params![robot, name],
                |r| r.get(0),
            )
            .optional()
    }

    pub fn set_cursor(&self, robot: &str, name: &str, value: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO cursors (robot, name, value, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (robot, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![robot, name, value, now()],
        )?;
        Ok(())
    }

    /// Add to the run's ledger line for `source → destination`.
    pub fn ledger_add(
        &self,
        run_id: &str,
        source: &str,
        destination: &str,
        bytes: u64,
    ) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO ledger (run_id, source, destination, items, bytes) VALUES (?1, ?2, ?3, 1, ?4)
             ON CONFLICT (run_id, source, destination) DO UPDATE SET items = items + 1, bytes = bytes + excluded.bytes",
            params![run_id, source, destination, bytes as i64],
        )?;
        Ok(())
    }

    /// Take back one count made by [`Journal::ledger_add`]: the call sent
    /// nothing after all. A line left with no item goes away.
    pub fn ledger_take_back(
        &self,
        run_id: &str,
        source: &str,
        destination: &str,
        bytes: u64,
    ) -> rusqlite::Result<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE ledger SET items = items - 1, bytes = MAX(bytes - ?4, 0)
             WHERE run_id = ?1 AND source = ?2 AND destination = ?3",
            params![run_id, source, destination, bytes as i64],
        )?;
        conn.execute(
            "DELETE FROM ledger WHERE run_id = ?1 AND source = ?2 AND destination = ?3 AND items <= 0",
            params![run_id, source, destination],
        )?;
        Ok(())
    }

    pub fn ledger(&self, run_id: &str) -> rusqlite::Result<Vec<LedgerRow>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT source, destination, items, bytes FROM ledger WHERE run_id = ?1 ORDER BY source, destination",
        )?;
        let rows = st.query_map([run_id], |r| {
            Ok(LedgerRow {
                source: r.get(0)?,
                destination: r.get(1)?,
                items: r.get::<_, i64>(2)? as u64,
                bytes: r.get::<_, i64>(3)? as u64,
            })
        })?;
        rows.collect()
    }

    /// The most recent runs first.
    pub fn runs(&self, limit: u32) -> rusqlite::Result<Vec<RunRow>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, robot, started_at, finished_at, status, done, skipped, needs_review, failed
             FROM runs ORDER BY started_at DESC, id DESC LIMIT ?1",
        )?;
        let rows = st.query_map([limit], |r| {
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
        })?;
        rows.collect()
    }
}

/// When an outcome must be durable. One left in the batch is lost by a
/// crash before the batch commits: the item is then found `running` at the
/// next start and handled by the crash rules (retried when `process` is
/// idempotent, sent to review otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Before `settle` returns.
    Now,
    /// With the batch: the robot is idempotent, so redoing the item is safe.
    Batched,
    /// With the batch when the item journaled no DS mutation since its claim
    /// (the runner also checks it reached nothing but DS): losing it sends to
    /// review an item that changed nothing. Now otherwise.
    BatchedIfReadOnly,
}

/// The attempt's row and the dossier's queue row, in the caller's transaction.
fn write_outcome(
    tx: &rusqlite::Connection,
    (robot, status): (&str, QueueStatus),
    item: &ItemRecord<'_>,
    tools_used: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO items (run_id, number, episode, attempt, pass, status, outcome, reason, started_at, finished_at, duration_ms, browser_actions, tools, tools_used, wait_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        item.run_id, item.number, item.episode, item.attempt, item.pass, item.status,
        item.outcome, item.reason, item.started_at, now(), item.duration_ms as i64,
        item.browser_actions, item.tools, tools_used, item.wait_ms as i64
    ])?;
    if status == QueueStatus::Waiting {
        // A wait gives the attempt back: the next pass is the same attempt.
        tx.prepare_cached(
            "UPDATE queue SET status = 'waiting', attempts = MAX(attempts - 1, 0), outcome = ?3, reason = ?4,
                wake_at = ?5, waiting_since = COALESCE(waiting_since, ?6), updated_at = ?6
             WHERE robot = ?1 AND number = ?2",
        )?
        .execute(params![robot, item.number, item.outcome, item.reason, item.wake_at, now()])?;
    } else {
        tx.prepare_cached(
            "UPDATE queue SET status = ?3, outcome = ?4, reason = ?5, updated_at = ?6,
                wake_at = NULL, waiting_since = NULL, basis = COALESCE(?7, basis)
             WHERE robot = ?1 AND number = ?2",
        )?
        .execute(params![
            robot,
            item.number,
            status.as_str(),
            item.outcome,
            item.reason,
            now(),
            item.basis
        ])?;
    }
    Ok(())
}
