//! One item in its own Store: claimed in the journal, run with its deadline
//! and memory cap, retried with backoff on a system failure, and settled in
//! the journal together with its queue status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pont_policy::Limits;
use tokio_util::sync::CancellationToken;
use wasmtime::Store;

use super::episode::Basis;
use super::prepare::Prepared;
use super::slots::{Slot, Slots, take_slot};
use super::{ItemReport, QueuedItem};
use super::{Phase, Profile};
use crate::bindings::Robot;
use crate::bindings::RobotPre;
use crate::bindings::pont::robot::runner::{Failure, Item, Outcome, RunSummary};
use crate::engine::{EPOCH_TICK, one_line};
use crate::error::RuntimeError;
use crate::journal::{Claim, ItemRecord, QueueStatus, RunCounts, Settle, now};
use crate::limits::ItemLimiter;
use crate::store::{ItemState, RunShared};
use crate::wasi::{self, OutputSink};

/// Extra time past the item deadline before the host abandons a host call.
const HOST_CALL_GRACE: Duration = Duration::from_secs(1);

/// Longest wait between two attempts, whatever the backoff says.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The settings handed to `init`, shared by every item of the run.
pub(super) type Settings = Arc<Vec<(String, String)>>;

/// A fresh Store for one item (or for `finish`, with no item).
fn new_store(
    p: &Prepared,
    shared: &Arc<RunShared>,
    item: Option<i64>,
    (attempt, episode): (u32, u32),
    limits: &Limits,
) -> Store<ItemState> {
    let sink = OutputSink::default();
    let tools = crate::store::Tools::default();
    let state = ItemState {
        wasi: wasi::context(&sink),
        table: crate::limits::item_table(limits),
        limits: ItemLimiter::new(limits),
        run: shared.clone(),
        item,
        attempt,
        episode,
        effects: Default::default(),
        output: sink,
        ds_files: Default::default(),
        browser_actions: 0,
        tools: tools.clone(),
        http_state: crate::capabilities::http::HttpState::new(crate::capabilities::http::Caller {
            run: shared.clone(),
            item,
            tools,
        }),
    };
    let mut store = Store::new(p.engine.engine(), state);
    store.limiter(|s| &mut s.limits);
    let ticks = Duration::from_secs(u64::from(limits.item_timeout_secs)).as_millis()
        / EPOCH_TICK.as_millis();
    store.set_epoch_deadline(ticks.max(1) as u64);
    store.epoch_deadline_trap();
    store
}

/// What the runner does with an item after an attempt settled.
enum Next {
    /// Its outcome for this run is final (a wait left to a later run too).
    Finished,
    /// Feed it again after this long.
    Again(Duration),
}

/// Run an item until it has a final outcome for this run: system failures
/// are retried with exponential backoff up to the configured attempts, then
/// handed to a person; a wait that ends soon enough is served by this run.
/// Every pass is claimed and settled in the journal. Once `stop` is
/// cancelled no new pass starts: the item ends with its last settled pass
/// (a retry or a wait left to the next run), or with nothing if it had none.
pub(super) async fn run_item(
    p: Arc<Prepared>,
    shared: Arc<RunShared>,
    settings: Settings,
    (slots, mut first): (Slots, Option<Slot>),
    (mut queued, stop): (QueuedItem, CancellationToken),
) -> Result<Option<ItemReport>, RuntimeError> {
    if let Some(wake) = queued.wake_at {
        tokio::select! {
            _ = stop.cancelled() => return Ok(None),
            () = sleep_until(wake) => {}
        }
    }
    let mut fresh = queued.dossier.is_some();
    let mut last = None;
    loop {
        let slot = match first.take() {
            Some(slot) => slot,
            None => tokio::select! {
                biased;
                _ = stop.cancelled() => return Ok(last),
                slot = take_slot(&slots) => slot?,
            },
        };
        if stop.is_cancelled() {
            return Ok(last);
        }
        if !fresh && queued.review.is_none() {
            queued.dossier = reread(&shared, &queued).await;
            queued.review = queued
                .dossier
                .as_ref()
                .and_then(pont_ds::Dossier::review_reason);
        }
        fresh = false;
        let attempt = attempt_and_settle(&p, &shared, &settings, &queued);
        let report = slots.parked_during_retries(slot, attempt).await?;
        let Next::Again(after) = next(&p, &report) else {
            return Ok(Some(report));
        };
        tokio::select! {
            _ = stop.cancelled() => return Ok(Some(report)),
            () = backoff_sleep(&shared, &report, after) => last = Some(report),
        }
    }
}

/// Claim the dossier, run one attempt, and settle it with its queue status.
async fn attempt_and_settle(
    p: &Prepared,
    shared: &Arc<RunShared>,
    settings: &[(String, String)],
    queued: &QueuedItem,
) -> Result<ItemReport, RuntimeError> {
    let journal = &shared.journal;
    let fatal = |e: rusqlite::Error| RuntimeError::Fatal(format!("journal: {e}"));
    let claim = shared
        .profile
        .time(Phase::Claim, || {
            // Every claim is durable before `process`: a non-idempotent
            // robot's so that a crash sends the item to review, an idempotent
            // one's so that a dossier which itself kills the host still uses
            // up its attempts and reaches review instead of crashing every
            // later run (a batched claim lost in the crash would not count).
            journal.claim_in_run(
                &shared.run_id,
                &shared.robot,
                queued.number,
                (queued.demarche, true),
            )
        })
        .map_err(fatal)?;
    let started_at = now();
    let mut report = run_attempt(p, shared, settings, queued, &claim).await;
    let waiting_since = match report.wake_at {
        Some(_) => journal
            .queue_entry(&shared.robot, queued.number)
            .map_err(fatal)?
            .and_then(|e| e.waiting_since),
        None => None,
    };
    report.queue = queue_status(&mut report, &p.config.queue, waiting_since.as_deref());
    let record = ItemRecord {
        run_id: &shared.run_id,
        number: report.number,
        episode: claim.episode,
        attempt: claim.attempt,
        pass: claim.pass,
        status: &report.status,
        outcome: &report.outcome,
        reason: &report.reason,
        started_at: &started_at,
        duration_ms: report.duration_ms,
        browser_actions: report.browser_actions,
        tools: tools_count(&report.tools_used),
        wake_at: report.wake_at.as_deref(),
        wait_ms: report.wait_ms,
        basis: report
            .basis
            .as_deref()
            .filter(|_| report.queue.is_settled()),
    };
    shared
        .profile
        .time(Phase::Settle, || {
            let when = settle_when(p, &report);
            journal.settle_in_run(
                (&shared.robot, report.queue),
                &record,
                &report.tools_used,
                when,
            )
        })
        .map_err(fatal)?;
    Ok(report)
}

/// How soon an outcome must be durable. A lost one (a crash before the
/// journal's batch commits) leaves the item `running`: an idempotent robot's
/// is then retried, which its declaration makes safe; a non-idempotent
/// robot's goes to review, which costs a person nothing to check when the
/// item reached nothing but DS and mutated nothing there (the journal knows
/// its mutation intents). Any other outcome is committed at once.
fn settle_when(p: &Prepared, report: &ItemReport) -> Settle {
    let only_ds = report
        .tools_used
        .split(',')
        .all(|t| t.is_empty() || t == "ds");
    match (p.manifest.idempotent, only_ds) {
        (true, _) => Settle::Batched,
        (false, true) => Settle::BatchedIfReadOnly,
        (false, false) => Settle::Now,
    }
}

/// After a settled attempt: stop, retry after the backoff, or sleep through
/// a wait that ends within `[queue] wait-in-run-secs`.
fn next(p: &Prepared, report: &ItemReport) -> Next {
    let queue = &p.config.queue;
    match report.queue {
        QueueStatus::Retry => {
            let wait = backoff(queue.retry.backoff_ms, report.attempt);
            tracing::info!(
                "dossier {}: attempt {} failed ({}); retrying in {} ms",
                report.number,
                report.attempt,
                report.reason,
                wait.as_millis()
            );
            Next::Again(wait)
        }
        QueueStatus::Waiting if crate::approval::awaits_decision(report) => Next::Finished,
        QueueStatus::Waiting if Duration::from_millis(report.wait_ms) <= queue.wait.in_run => {
            Next::Again(Duration::from_millis(report.wait_ms))
        }
        _ => Next::Finished,
    }
}

/// Sleep before the item's next pass; a retry's backoff counts in the profile.
async fn backoff_sleep(shared: &RunShared, report: &ItemReport, after: Duration) {
    let started = Instant::now();
    tokio::time::sleep(after).await;
    if report.queue == QueueStatus::Retry {
        shared.profile.add(Phase::Backoff, started.elapsed());
    }
}

/// A dossier fed without a fresh copy (a retry, the pass after a wait, a
/// crash's leftover) is read again, so the robot and the episode's basis see
/// DS as it is now. A refused or failed read leaves the robot to read it.
async fn reread(shared: &RunShared, queued: &QueuedItem) -> Option<pont_ds::Dossier> {
    let (Some(ds), Some(demarche)) = (&shared.ds, queued.demarche) else {
        return None;
    };
    let action = pont_policy::Action::DsRead {
        what: "queue",
        demarche: Some(demarche),
        dossier: Some(queued.number),
    };
    let permit = shared.gate.authorize(None, &action).ok()?;
    match ds.client().dossier(&permit, queued.number).await {
        Ok(d) if d.demarche == demarche => Some(d),
        Ok(_) => None,
        Err(e) => {
            tracing::info!(
                "dossier {}: not read again ({e}); the robot reads it",
                queued.number
            );
            None
        }
    }
}

/// Sleep until a wall-clock time (at once when it has passed).
async fn sleep_until(when: chrono::DateTime<chrono::Utc>) {
    let left = (when - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left).await;
}

/// Distinct tools in a comma-separated list.
fn tools_count(tools_used: &str) -> u32 {
    tools_used.split(',').filter(|t| !t.is_empty()).count() as u32
}

/// Where an attempt leaves the dossier in the queue. A wait that would end
/// past `[queue] max-wait-hours` (counted from the dossier's first wait)
/// goes to review instead, saying so in the reason.
fn queue_status(
    report: &mut ItemReport,
    queue: &pont_policy::QueueConfig,
    waiting_since: Option<&str>,
) -> QueueStatus {
    match report.outcome.as_str() {
        "done" => QueueStatus::Done,
        "skipped" => QueueStatus::Skipped,
        "needs-review" => QueueStatus::Review,
        "business" => QueueStatus::Failed,
        "waiting" => waiting_status(report, queue.wait.max_wait, waiting_since),
        _ if report.attempt < queue.retry.max_attempts => QueueStatus::Retry,
        _ => QueueStatus::Review,
    }
}

fn waiting_status(report: &mut ItemReport, max_wait: Duration, since: Option<&str>) -> QueueStatus {
    let since = since
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(chrono::Utc::now, |t| t.to_utc());
    let limit = since + chrono::Duration::from_std(max_wait).unwrap_or(chrono::Duration::MAX);
    let wake = chrono::Utc::now() + chrono::Duration::milliseconds(report.wait_ms as i64);
    if wake <= limit {
        return QueueStatus::Waiting;
    }
    report.status = "needs-review".into();
    report.wake_at = None;
    report.wait_ms = 0;
    report.reason = format!(
        "waited too long (more than {} h since {}): {}",
        max_wait.as_secs() / 3600,
        since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        report.reason
    );
    QueueStatus::Review
}

/// `base`, doubled for each attempt after the first, capped.
fn backoff(base_ms: u64, attempt: u32) -> Duration {
    let factor = 1u64 << attempt.saturating_sub(1).min(16);
    Duration::from_millis(base_ms.saturating_mul(factor)).min(MAX_BACKOFF)
}

async fn run_attempt(
    p: &Prepared,
    shared: &Arc<RunShared>,
    settings: &[(String, String)],
    queued: &QueuedItem,
    claim: &Claim,
) -> ItemReport {
    use tracing::Instrument;
    let span = tracing::info_span!(
        "item",
        robot = %shared.robot,
        dossier = queued.number,
        episode = claim.episode,
        attempt = claim.attempt
    );
    attempt_in_span(p, shared, settings, queued, claim)
        .instrument(span)
        .await
}

async fn attempt_in_span(
    p: &Prepared,
    shared: &Arc<RunShared>,
    settings: &[(String, String)],
    queued: &QueuedItem,
    claim: &Claim,
) -> ItemReport {
    let number = queued.number;
    let attempt = claim.attempt;
    if let Some(why) = &queued.review {
        tracing::warn!("dossier {number} goes to review: {why}");
        return to_review(queued, attempt, why);
    }
    let started = Instant::now();
    let limits = p.policy.limits;
    let mut store = shared.profile.time(Phase::Store, || {
        new_store(p, shared, Some(number), (attempt, claim.episode), &limits)
    });
    let lifted = Instant::now();
    let dossier = queued.dossier.as_ref().map(|d| {
        if let Some(ds) = &shared.ds {
            ds.remember_dossier(d);
        }
        // Read from DS for the robot: the item works on DS even if it calls nothing.
        store.data().tools.insert("ds");
        crate::capabilities::ds::to_wit_dossier(d, &mut store.data_mut().ds_files)
    });
    shared.profile.add(Phase::Lift, lifted.elapsed());
    let item = Item {
        number,
        demarche: queued.demarche,
        attempt,
        episode: claim.episode,
        episode_reason: claim.episode_reason.clone(),
        dossier,
    };
    let deadline = Duration::from_secs(u64::from(limits.item_timeout_secs)) + HOST_CALL_GRACE;
    let call = call_process(&p.pre, &mut store, settings, &item, &shared.profile);
    let result = tokio::time::timeout(deadline, call).await;
    let mut wait_ms = 0;
    let logged = Instant::now();
    forward_output(&store);
    let (outcome, reason) = match result {
        Err(_) => (
            "system",
            format!("deadline of {} s exceeded", limits.item_timeout_secs),
        ),
        Ok(Err(trap)) => ("system", describe_trap(&trap, &store, &limits)),
        Ok(Ok(Ok(Outcome::Done(note)))) => ("done", note),
        Ok(Ok(Ok(Outcome::Skipped(why)))) => ("skipped", why),
        Ok(Ok(Ok(Outcome::NeedsReview(why)))) => ("needs-review", why),
        Ok(Ok(Ok(Outcome::Waiting(w)))) => {
            wait_ms = w.until_ms.saturating_sub(unix_ms());
            ("waiting", w.reason)
        }
        Ok(Ok(Err(Failure::Business(why)))) => ("business", why),
        Ok(Ok(Err(Failure::System(why)))) => ("system", why),
    };
    // The robot chose this text; the journal keeps a bounded copy.
    let reason = pont_policy::clip_owned(reason, pont_policy::JOURNAL_TEXT_MAX);
    let status = match outcome {
        "business" | "system" => "failed",
        other => other,
    };
    if status == "failed" {
        tracing::warn!(outcome, "dossier {number} failed: {reason}");
    } else if status == "waiting" {
        tracing::info!(outcome, "dossier {number} waits {wait_ms} ms: {reason}");
    } else {
        tracing::info!(outcome, "dossier {number}: {reason}");
    }
    shared.profile.add(Phase::Log, logged.elapsed());
    let tools_used = store.data().tools.joined();
    let report = ItemReport {
        browser_actions: store.data().browser_actions,
        tools_used,
        number,
        status: status.to_string(),
        outcome: outcome.to_string(),
        reason,
        attempt,
        queue: QueueStatus::Running,
        duration_ms: started.elapsed().as_millis() as u64,
        wake_at: (status == "waiting").then(|| wake_at(wait_ms)),
        wait_ms,
        basis: queued
            .dossier
            .as_ref()
            .map(|d| Basis::settled(d, &store.data().effects).to_json()),
    };
    let proposed = store.data().effects.proposed;
    crate::approval::awaiting_decision(shared, proposed, report)
}

/// The report of an item sent to review by the host, without the robot.
fn to_review(queued: &QueuedItem, attempt: u32, why: &str) -> ItemReport {
    ItemReport {
        number: queued.number,
        status: "needs-review".into(),
        outcome: "needs-review".into(),
        reason: pont_policy::clip_owned(why.to_string(), pont_policy::JOURNAL_TEXT_MAX),
        attempt,
        queue: QueueStatus::Running,
        duration_ms: 0,
        browser_actions: 0,
        tools_used: "ds".into(),
        wake_at: None,
        wait_ms: 0,
        basis: None,
    }
}

fn unix_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default()
}

/// When a wait of `wait_ms` from now ends, as the journal writes times.
fn wake_at(wait_ms: u64) -> String {
    let when =
        chrono::Utc::now() + chrono::Duration::milliseconds(wait_ms.min(i64::MAX as u64) as i64);
    when.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn instantiate(
    pre: &RobotPre<ItemState>,
    store: &mut Store<ItemState>,
    settings: &[(String, String)],
) -> wasmtime::Result<Result<Robot, String>> {
    let robot = pre.instantiate_async(&mut *store).await?;
    Ok(robot
        .call_init(&mut *store, settings)
        .await?
        .map(|()| robot))
}

async fn call_process(
    pre: &RobotPre<ItemState>,
    store: &mut Store<ItemState>,
    settings: &[(String, String)],
    item: &Item,
    profile: &Profile,
) -> wasmtime::Result<Result<Outcome, Failure>> {
    let started = Instant::now();
    let robot = instantiate(pre, store, settings).await;
    profile.add(Phase::Instantiate, started.elapsed());
    match robot? {
        Ok(robot) => {
            let started = Instant::now();
            let outcome = robot.call_process(&mut *store, item).await;
            profile.add(Phase::Process, started.elapsed());
            outcome
        }
        Err(msg) => Ok(Err(Failure::System(format!("init failed: {msg}")))),
    }
}

fn describe_trap(trap: &wasmtime::Error, store: &Store<ItemState>, limits: &Limits) -> String {
    if store.data().limits.memory_exceeded {
        return format!("memory cap of {} MiB exceeded", limits.memory_mb);
    }
    if matches!(
        trap.downcast_ref::<wasmtime::Trap>(),
        Some(wasmtime::Trap::Interrupt)
    ) {
        return format!("deadline of {} s exceeded", limits.item_timeout_secs);
    }
    // A wasm trap says what happened (stack exhausted, unreachable, …); the
    // backtrace that wraps it is for developers and stays out of the reason.
    if let Some(code) = trap.downcast_ref::<wasmtime::Trap>() {
        return format!("robot trapped: {code}");
    }
    // A host function's error (a denied WASI call, say) is the root cause,
    // under wasmtime's "error while executing at wasm backtrace" context.
    let text = match trap.chain().count() {
        0 | 1 => one_line(trap),
        _ => trap.root_cause().to_string(),
    };
    let text = text
        .split(": wasm backtrace")
        .next()
        .unwrap_or(&text)
        .to_string();
    format!(
        "robot trapped: {}",
        text.chars().take(600).collect::<String>()
    )
}

/// Lines the robot printed go to the log, as `stdout`/`stderr` level lines.
fn forward_output(store: &Store<ItemState>) {
    let state = store.data();
    let (lines, dropped) = state.output.drain();
    for (stream, line) in lines {
        state.write_log(stream, &line, "{}");
    }
    if dropped > 0 {
        state.write_log(
            "warn",
            &format!("{dropped} bytes of robot output dropped (over the per-item cap)"),
            "{}",
        );
    }
    let lines = state.limits.log_dropped;
    if lines > 0 {
        let cap = state.limits.log_lines_cap;
        state.write_log(
            "warn",
            &format!("{lines} log lines dropped (over {cap} per item, limits.log-lines-per-item)"),
            "{}",
        );
    }
}

pub(super) async fn run_finish(
    p: &Prepared,
    shared: &Arc<RunShared>,
    settings: &[(String, String)],
    run_id: &str,
    (c, cap): (RunCounts, Duration),
) {
    let limits = p.policy.limits;
    let mut store = new_store(p, shared, None, (1, 1), &limits);
    let summary = RunSummary {
        run_id: run_id.to_string(),
        done: c.done,
        skipped: c.skipped,
        needs_review: c.needs_review,
        failed: c.failed,
        waiting: c.waiting,
    };
    let call = async {
        match instantiate(&p.pre, &mut store, settings).await? {
            Ok(robot) => robot.call_finish(&mut store, &summary).await,
            Err(msg) => Ok(Err(format!("init failed: {msg}"))),
        }
    };
    let deadline = Duration::from_secs(u64::from(limits.item_timeout_secs)) + HOST_CALL_GRACE;
    let result = tokio::time::timeout(deadline.min(cap), call).await;
    forward_output(&store);
    match result {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(msg))) => tracing::warn!("robot finish reported: {msg}"),
        Ok(Err(trap)) => tracing::warn!(
            "robot finish failed: {}",
            describe_trap(&trap, &store, &limits)
        ),
        Err(_) => tracing::warn!("robot finish exceeded its deadline"),
    }
}
