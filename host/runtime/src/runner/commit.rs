//! Group commit while a run lasts: every [`EVERY`], the audit log is synced
//! and sealed and the journal's batch of item writes is committed
//! (`journal/batch.rs`), on a blocking thread. Items used to sync the audit
//! log themselves at their end (at most every 100 ms too), so the item that
//! happened to be due waited for the `fdatasync`, the head's rename and, in
//! the seal store, a journal commit; now no item waits for a disk, and a
//! long item's records are sealed while it runs, not after it.
//!
//! What a crash can lose is unchanged: records are written to the audit file
//! at once (a killed process loses none; a power cut at most the last
//! [`EVERY`], which `pont audit verify` shows as an unsealed tail), and the
//! journal's batch holds only writes the crash rules cover. The run's end
//! syncs and seals whatever is left.

use std::sync::Arc;
use std::time::Duration;

use crate::store::RunShared;

/// How often the audit log is sealed and the journal's batch committed.
const EVERY: Duration = crate::journal::BATCH_MAX_AGE;

/// The group commit task of a run; stopped when dropped.
#[derive(Debug)]
pub(super) struct GroupCommit(tokio::task::JoinHandle<()>);

impl GroupCommit {
    pub fn spawn(shared: Arc<RunShared>) -> Self {
        Self(tokio::spawn(async move {
            let mut every = tokio::time::interval(EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let shared = shared.clone();
                let _ = tokio::task::spawn_blocking(move || commit(&shared)).await;
            }
        }))
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn commit(shared: &RunShared) {
    if let Err(e) = shared.gate.sync_audit_due(EVERY) {
        tracing::warn!("cannot sync the audit log: {e}");
    }
    if let Err(e) = shared.journal.flush_due(EVERY) {
        tracing::warn!("journal: cannot commit the batch of item writes: {e}");
    }
}
