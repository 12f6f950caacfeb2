//! DS mutations through the journal: an intent before the request leaves, a
//! result after. On a retry, or after a crash, a mutation the journal shows
//! applied is not sent again, and one whose result is unknown is checked
//! against DS first (the dossier's state, its archive flag, its labels, or
//! its messages). This is what keeps "nothing done twice" across attempts,
//! runs and crashes.

use pont_ds::Expectation;
use sha2::{Digest, Sha256};

use super::{Prepared, convert};
use crate::bindings::pont::robot::ds::DsError;
use crate::journal::MutationAt;
use crate::store::{ItemState, RunShared};

/// How to tell, from DS, whether an earlier send took effect.
pub(super) enum Check<'a> {
    /// The dossier shows this.
    Expect(Expectation),
    /// A message with this body is on the dossier.
    Message(&'a str),
    /// Sending again is harmless (annotations set the same values).
    Resend,
}

/// What to do with a mutation.
pub(super) enum Replay {
    /// Send it; the intent is journaled under this id.
    Send(i64),
    /// It took effect earlier: do not send it again.
    AlreadyApplied,
}

/// A short, stable key for content-bearing mutations, so two different
/// messages to one dossier are two mutations but a repeated one is not.
pub(crate) fn content_key(operation: &str, content: &[u8]) -> String {
    let digest = hex::encode(&Sha256::digest(content)[..8]);
    format!("{operation}:{digest}")
}

fn journal_error(e: rusqlite::Error) -> DsError {
    DsError::Unavailable(format!("journal: {e}"))
}

impl ItemState {
    /// Decide whether `operation` on the dossier must be sent, and journal
    /// the intent when it must. Takes what it needs from the item up front:
    /// the Store data is not `Sync`, so it cannot be held across DS calls.
    pub(super) fn begin_mutation<'a>(
        &self,
        p: &'a Prepared,
        number: i64,
        operation: &'a str,
        bytes: u64,
        check: Check<'a>,
    ) -> impl std::future::Future<Output = Result<Replay, DsError>> + Send + 'a {
        let run = self.run.clone();
        let own = (self.item == Some(number)).then_some(self.episode);
        let attempt = self.attempt;
        async move {
            let at = MutationAt {
                number,
                episode: episode_of(&run, number, own)?,
                attempt,
            };
            begin(&run, at, p, operation, bytes, check).await
        }
    }
}

/// The episode a mutation of `number` belongs to: the item's own for its
/// dossier, otherwise the episode the queue has for that dossier.
fn episode_of(run: &RunShared, number: i64, own: Option<u32>) -> Result<u32, DsError> {
    if let Some(episode) = own {
        return Ok(episode);
    }
    let entry = run
        .journal
        .queue_entry(&run.robot, number)
        .map_err(journal_error)?;
    Ok(entry.map_or(1, |e| e.episode))
}

async fn begin(
    run: &RunShared,
    at: MutationAt,
    p: &Prepared,
    operation: &str,
    bytes: u64,
    check: Check<'_>,
) -> Result<Replay, DsError> {
    let number = at.number;
    {
        let history = run
            .journal
            .mutations(&run.robot, number, Some(at.episode), Some(operation))
            .map_err(journal_error)?;
        if let Some(done) = history.iter().find(|m| m.status == "applied") {
            tracing::info!(
                "dossier {number}: {operation} already applied (run {}, attempt {}); not sent again",
                done.run_id,
                done.attempt
            );
            return Ok(Replay::AlreadyApplied);
        }
        let unknown: Vec<i64> = history
            .iter()
            .filter(|m| m.status == "intent")
            .map(|m| m.id)
            .collect();
        if !unknown.is_empty() && applied_in_ds(p, number, &check).await? {
            for id in unknown {
                run.journal
                    .mutation_result(id, "applied", "confirmed by re-reading the dossier")
                    .map_err(journal_error)?;
            }
            tracing::info!(
                "dossier {number}: {operation} found applied in DS after an interrupted attempt; not sent again"
            );
            return Ok(Replay::AlreadyApplied);
        }
        let id = run
            .journal
            .mutation_intent(&run.run_id, &run.robot, at, operation, bytes)
            .map_err(journal_error)?;
        Ok(Replay::Send(id))
    }
}

async fn applied_in_ds(p: &Prepared, number: i64, check: &Check<'_>) -> Result<bool, DsError> {
    {
        let client = &p.ds.client;
        match check {
            Check::Expect(e) => client
                .is_applied(&p.permit, number, e)
                .await
                .map_err(convert::error),
            Check::Message(body) => Ok(client
                .messages(&p.permit, number)
                .await
                .map_err(convert::error)?
                .iter()
                .any(|m| m.body == *body)),
            Check::Resend => Ok(false),
        }
    }
}

impl ItemState {
    /// Journal the result. An unreachable DS leaves the intent open: the
    /// next attempt asks DS before sending again.
    pub(super) fn end_mutation<T>(
        &self,
        id: i64,
        result: &Result<T, pont_ds::DsError>,
    ) -> Result<(), DsError> {
        let run = &self.run;
        let (status, detail) = match result {
            Ok(_) => ("applied", String::new()),
            Err(
                e @ (pont_ds::DsError::Unavailable(_) | pont_ds::DsError::OutcomeUnknown { .. }),
            ) => ("intent", format!("unknown: {e}")),
            Err(e) => ("failed", e.to_string()),
        };
        // The bytes sent are in the ledger already: the DS client counted
        // each request through the gate's meter as it left.
        run.journal
            .mutation_result(id, status, &detail)
            .map_err(journal_error)?;
        Ok(())
    }
}
