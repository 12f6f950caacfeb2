//! Feeding the queue's dossiers to the robot, `--parallel` at a time, and the
//! graceful stop: once the run's stop token is cancelled no dossier is
//! claimed any more, the items already running finish (within the grace
//! period) and are settled as usual, and what was not fed stays in the queue
//! (or in DS, the cursor unchanged) for the next run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use super::prepare::Prepared;
use super::{ItemReport, RunOptions, item, queue};
use crate::error::RuntimeError;
use crate::store::RunShared;

/// How long the runner waits for item tasks it aborted once the grace period
/// is over (a wasm call ends at its next host call or at its own deadline).
const ABORT_WAIT: Duration = Duration::from_secs(2);

/// What the feeding left.
pub(super) struct Fed {
    pub items: Vec<ItemReport>,
    /// When the stop was asked, if it was before the run's end.
    pub stopped_at: Option<Instant>,
    /// Whether every dossier the queue listed was fed (the listing's cursor
    /// may be saved only then).
    pub fed_all: bool,
    /// Whether items were still running when the grace period ran out.
    pub cut: bool,
}

type Done = Result<Result<Option<ItemReport>, RuntimeError>, JoinError>;

/// The items of a run as they finish.
struct Running {
    set: JoinSet<Result<Option<ItemReport>, RuntimeError>>,
    items: Vec<ItemReport>,
    progress: Option<Arc<dyn super::Progress>>,
}

impl Running {
    fn collect(&mut self, done: Done) -> Result<(), RuntimeError> {
        let report = match done {
            Ok(report) => report?,
            // An item aborted past the grace period: the crash rules take it.
            Err(e) if e.is_cancelled() => None,
            Err(e) => return Err(RuntimeError::Fatal(format!("item task: {e}"))),
        };
        if let Some(report) = report {
            if let Some(progress) = &self.progress {
                progress.finished(&report);
            }
            self.items.push(report);
        }
        Ok(())
    }

    fn collect_finished(&mut self) -> Result<(), RuntimeError> {
        while let Some(done) = self.set.try_join_next() {
            self.collect(done)?;
        }
        Ok(())
    }
}

/// Pull dossiers from the queue and keep up to `parallel` of them running,
/// until the queue is exhausted or the stop token is cancelled.
pub(super) async fn feed(
    p: &Arc<Prepared>,
    shared: &Arc<RunShared>,
    settings: &item::Settings,
    source: &mut queue::QueueSource,
    opts: &RunOptions,
) -> Result<Fed, RuntimeError> {
    let stop = opts.stop.clone().unwrap_or_default();
    let slots = super::slots::Slots::new(opts.parallel.max(1));
    let mut running = Running {
        set: JoinSet::new(),
        items: Vec::new(),
        progress: opts.progress.clone(),
    };
    let fed_all = 'feed: loop {
        let batch = tokio::select! {
            biased;
            _ = stop.cancelled() => break 'feed false,
            batch = source.next_batch() => batch?,
        };
        let Some(batch) = batch else {
            break true;
        };
        if let Some(progress) = &opts.progress {
            progress.queued(batch.len() as u64);
        }
        for queued in batch {
            // Feed no faster than slots free up (the slot goes with the
            // item); only items asleep in a backoff or a wait, or parked
            // while a DS request waits to be retried, outnumber them.
            let slot = match queued.wake_at {
                Some(_) => None,
                None => tokio::select! {
                    biased;
                    _ = stop.cancelled() => break 'feed false,
                    slot = super::slots::take_slot(&slots) => Some(slot?),
                },
            };
            if stop.is_cancelled() {
                break 'feed false;
            }
            running.collect_finished()?;
            running.set.spawn(item::run_item(
                p.clone(),
                shared.clone(),
                settings.clone(),
                (slots.clone(), slot),
                (queued, stop.clone()),
            ));
        }
    };
    let (stopped_at, cut) = drain(&mut running, &stop, opts.grace).await?;
    running.items.sort_by_key(|i| i.number);
    Ok(Fed {
        items: running.items,
        stopped_at,
        fed_all,
        cut,
    })
}

/// Wait for the running items. Once a stop is asked they have `grace` to
/// finish; those still running then are aborted. Returns when the stop was
/// asked (if it was) and whether items were cut.
async fn drain(
    running: &mut Running,
    stop: &CancellationToken,
    grace: Duration,
) -> Result<(Option<Instant>, bool), RuntimeError> {
    let mut stopped_at = stop.is_cancelled().then(Instant::now);
    loop {
        let deadline = stopped_at
            .and_then(|at| at.checked_add(grace))
            .map(tokio::time::Instant::from_std);
        tokio::select! {
            biased;
            done = running.set.join_next() => match done {
                Some(done) => running.collect(done)?,
                None => return Ok((stopped_at, false)),
            },
            _ = stop.cancelled(), if stopped_at.is_none() => {
                stopped_at = Some(Instant::now());
            }
            _ = sleep_until(deadline), if deadline.is_some() => break,
        }
    }
    tracing::warn!(
        "grace period of {} s over: {} item(s) still running are abandoned (the next run treats them as interrupted)",
        grace.as_secs(),
        running.set.len()
    );
    running.set.abort_all();
    let waited = tokio::time::timeout(ABORT_WAIT, async {
        while let Some(done) = running.set.join_next().await {
            running.collect(done)?;
        }
        Ok::<(), RuntimeError>(())
    })
    .await;
    if let Ok(result) = waited {
        result?;
    }
    Ok((stopped_at, true))
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
