//! One item in its own Store: claimed in the journal, run with its deadline
//! and memory cap, retried with backoff on a system failure, and settled in
//! the journal together with its queue status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pont_policy::Limits;
use wasmtime::Store;
use wasmtime::component::ResourceTable;

use super::prepare::{Prepared, mib};
use super::{ItemReport, QueuedItem};
use crate::bindings::Robot;
use crate::bindings::RobotPre;
use crate::bindings::pont::robot::runner::{Failure, Item, Outcome, RunSummary};
use crate::engine::{EPOCH_TICK, one_line};
use crate::error::RuntimeError;
use crate::journal::{ItemRecord, QueueStatus, RunCounts, now};
use crate::limits::ItemLimiter;
use crate::store::{ItemState, RunShared};
use crate::wasi::{self, OutputSink};

/// Extra time past the item deadline before the host abandons a host call.
const HOST_CALL_GRACE: Duration = Duration::from_secs(1);

/// Group commit of the audit log: at most one sync per this interval while
/// items run (the run's end always syncs).
const AUDIT_SYNC_EVERY: Duration = Duration::from_millis(100);

/// Longest wait between two attempts, whatever the backoff says.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The settings handed to `init`, shared by every item of the run.
pub(super) type Settings = Arc<Vec<(String, String)>>;

/// A fresh Store for one item (or for `finish`, with no item).
fn new_store(
    p: &Prepared,
    shared: &Arc<RunShared>,
    item: Option<i64>,
    attempt: u32,
    limits: &Limits,
) -> Store<ItemState> {
    let sink = OutputSink::default();
    let state = ItemState {
        wasi: wasi::context(&sink),
        table: ResourceTable::new(),
        limits: ItemLimiter::new(mib(limits.memory_mb)),
        run: shared.clone(),
        item,
        attempt,
        output: sink,
        ds_files: Default::default(),
        browser_actions: 0,
        tools: Default::default(),
        http_state: crate::capabilities::http::HttpState::new(crate::capabilities::http::Caller {
            run: shared.clone(),
            item,
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

/// Run an item until it has a final outcome for this run: system failures
/// are retried with exponential backoff up to the configured attempts, then
/// handed to a person. Every attempt is claimed and settled in the journal.
pub(super) async fn run_item(
    p: Arc<Prepared>,
    shared: Arc<RunShared>,
    settings: Settings,
    queued: QueuedItem,
) -> Result<ItemReport, RuntimeError> {
    let retry = p.config.queue.retry;
    let journal = &shared.journal;
    let fatal = |e: rusqlite::Error| RuntimeError::Fatal(format!("journal: {e}"));
    loop {
        let claim = journal
            .claim(
                &shared.run_id,
                &shared.robot,
                queued.number,
                queued.demarche,
            )
            .map_err(fatal)?;
        let started_at = now();
        let mut report = run_attempt(&p, &shared, &settings, &queued, claim.attempt).await;
        let status = queue_status(&report.outcome, claim.attempt, retry.max_attempts);
        report.queue = status;
        journal
            .settle(
                &shared.robot,
                status,
                &ItemRecord {
                    run_id: &shared.run_id,
                    number: report.number,
                    attempt: claim.attempt,
                    status: &report.status,
                    outcome: &report.outcome,
                    reason: &report.reason,
                    started_at: &started_at,
                    duration_ms: report.duration_ms,
                    browser_actions: report.browser_actions,
                    tools: tools_count(&report.tools_used),
                },
                &report.tools_used,
            )
            .map_err(fatal)?;
        if status != QueueStatus::Retry {
            return Ok(report);
        }
        let wait = backoff(retry.backoff_ms, claim.attempt);
        tracing::info!(
            "dossier {}: attempt {} failed ({}); retrying in {} ms",
            report.number,
            claim.attempt,
            report.reason,
            wait.as_millis()
        );
        tokio::time::sleep(wait).await;
    }
}

/// Distinct tools in a comma-separated list.
fn tools_count(tools_used: &str) -> u32 {
    tools_used.split(',').filter(|t| !t.is_empty()).count() as u32
}

/// Where an attempt leaves the dossier in the queue.
fn queue_status(outcome: &str, attempt: u32, max_attempts: u32) -> QueueStatus {
    match outcome {
        "done" => QueueStatus::Done,
        "skipped" => QueueStatus::Skipped,
        "needs-review" => QueueStatus::Review,
        "business" => QueueStatus::Failed,
        _ if attempt < max_attempts => QueueStatus::Retry,
        _ => QueueStatus::Review,
    }
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
    attempt: u32,
) -> ItemReport {
    use tracing::Instrument;
    let span = tracing::info_span!("item", robot = %shared.robot, dossier = queued.number, attempt);
    attempt_in_span(p, shared, settings, queued, attempt)
        .instrument(span)
        .await
}

async fn attempt_in_span(
    p: &Prepared,
    shared: &Arc<RunShared>,
    settings: &[(String, String)],
    queued: &QueuedItem,
    attempt: u32,
) -> ItemReport {
    let number = queued.number;
    let started = Instant::now();
    let limits = p.policy.limits;
    let mut store = new_store(p, shared, Some(number), attempt, &limits);
    let dossier = queued.dossier.as_ref().map(|d| {
        if let Some(ds) = &shared.ds {
            ds.remember_dossier(d);
        }
        crate::capabilities::ds::to_wit_dossier(d, &mut store.data_mut().ds_files)
    });
    let item = Item {
        number,
        demarche: queued.demarche,
        attempt,
        dossier,
    };
    let deadline = Duration::from_secs(u64::from(limits.item_timeout_secs)) + HOST_CALL_GRACE;
    let result =
        tokio::time::timeout(deadline, call_process(&p.pre, &mut store, settings, &item)).await;
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
        Ok(Ok(Err(Failure::Business(why)))) => ("business", why),
        Ok(Ok(Err(Failure::System(why)))) => ("system", why),
    };
    let status = match outcome {
        "business" | "system" => "failed",
        other => other,
    };
    if status == "failed" {
        tracing::warn!(outcome, "dossier {number} failed: {reason}");
    } else {
        tracing::info!(outcome, "dossier {number}: {reason}");
    }
    if let Err(e) = shared.gate.sync_audit_due(AUDIT_SYNC_EVERY) {
        tracing::warn!("cannot sync the audit log: {e}");
    }
    let tools_used = Vec::from_iter(store.data().tools.iter().cloned()).join(",");
    ItemReport {
        browser_actions: store.data().browser_actions,
        tools_used,
        number,
        status: status.to_string(),
        outcome: outcome.to_string(),
        reason,
        attempt,
        queue: QueueStatus::Running,
        duration_ms: started.elapsed().as_millis() as u64,
    }
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
) -> wasmtime::Result<Result<Outcome, Failure>> {
    match instantiate(pre, store, settings).await? {
        Ok(robot) => robot.call_process(&mut *store, item).await,
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
    let text = one_line(trap);
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
}

pub(super) async fn run_finish(
    p: &Prepared,
    shared: &Arc<RunShared>,
    settings: &[(String, String)],
    run_id: &str,
    c: RunCounts,
) {
    let limits = p.policy.limits;
    let mut store = new_store(p, shared, None, 1, &limits);
    let summary = RunSummary {
        run_id: run_id.to_string(),
        done: c.done,
        skipped: c.skipped,
        needs_review: c.needs_review,
        failed: c.failed,
    };
    let call = async {
        match instantiate(&p.pre, &mut store, settings).await? {
            Ok(robot) => robot.call_finish(&mut store, &summary).await,
            Err(msg) => Ok(Err(format!("init failed: {msg}"))),
        }
    };
    let deadline = Duration::from_secs(u64::from(limits.item_timeout_secs)) + HOST_CALL_GRACE;
    let result = tokio::time::timeout(deadline, call).await;
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
