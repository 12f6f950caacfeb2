//! The runner: load and check everything before the first item, recover what
//! a crashed run left behind, then feed the queue's dossiers to the robot,
//! `--parallel` at a time, each in its own Store, and call `finish` at the
//! end. A trap, a deadline or a memory cap on one item is a system failure of
//! that item; the run goes on.

mod commit;
mod episode;
mod feed;
mod item;
mod prepare;
mod profile;
mod queue;
mod slots;

pub(crate) use episode::{Basis, Effects};
pub use profile::ProfileReport;
pub(crate) use profile::{Phase, Profile};

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pont_policy::{AuditLog, Gate, RunContext};
use serde::Serialize;
use sha2::{Digest, Sha256};
pub use tokio_util::sync::CancellationToken;

use crate::error::RuntimeError;
use crate::journal::{Journal, LedgerRow, QueueStatus, RunCounts};
use crate::store::RunShared;

/// Told about the run's progress (the CLI draws a bar with it).
pub trait Progress: Send + Sync {
    /// More dossiers were found to run.
    fn queued(&self, count: u64);
    /// One dossier reached its final outcome for this run.
    fn finished(&self, item: &ItemReport);
}

/// What to run.
#[derive(Clone)]
pub struct RunOptions {
    /// The operator's robot config.
    pub config: PathBuf,
    /// Compiled-component cache, overriding the config and the default.
    pub cache_dir: Option<PathBuf>,
    /// Development only: run a plugin that is unsigned or not signed by a
    /// trusted key (loudly). A pinned digest is enforced regardless.
    pub allow_unsigned: bool,
    /// Items processed at once, each in its own Store (at least 1).
    pub parallel: usize,
    /// Run only these dossiers (a review retry) instead of the queue.
    pub only: Option<Vec<i64>>,
    pub progress: Option<Arc<dyn Progress>>,
    /// Cancelled to stop the run gracefully (SIGTERM at the CLI, a service
    /// stopping): no dossier is claimed after it, the running ones finish.
    pub stop: Option<CancellationToken>,
    /// How long running items have to finish once the stop is asked; those
    /// still running then are abandoned to the crash rules (retried when
    /// `process` is idempotent, otherwise sent to review).
    pub grace: Duration,
    /// The run's id, when the caller must know it before the run starts (a
    /// service answering a trigger); by default a fresh [`new_run_id`].
    pub run_id: Option<String>,
    /// Told of every answer DS gives the run (a service's live metrics).
    pub ds_observer: Option<Arc<dyn pont_ds::DsObserver>>,
}

/// The default grace period of a graceful stop: long enough for an item's
/// few DS calls and browser steps, and well within systemd's default
/// `TimeoutStopSec` of 90 s.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("config", &self.config)
            .field("parallel", &self.parallel)
            .field("only", &self.only)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

impl RunOptions {
    pub fn new(config: PathBuf) -> Self {
        Self {
            config,
            cache_dir: None,
            allow_unsigned: false,
            parallel: 1,
            only: None,
            progress: None,
            stop: None,
            grace: DEFAULT_GRACE,
            run_id: None,
            ds_observer: None,
        }
    }
}

/// A dossier handed to the robot.
#[derive(Debug, Clone)]
pub(crate) struct QueuedItem {
    pub number: i64,
    pub demarche: Option<i64>,
    /// The dossier as the queue listing read it, handed to `process`.
    pub dossier: Option<pont_ds::Dossier>,
    /// A waiting dossier whose wait ends within the run: feed it then.
    pub wake_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why a person must see it first, without the robot running: DS sent
    /// it with an error, or with values this host does not know.
    pub review: Option<String>,
}

/// One item's result.
#[derive(Debug, Clone, Serialize)]
pub struct ItemReport {
    pub number: i64,
    /// `done`, `skipped`, `needs-review`, `waiting` or `failed`.
    pub status: String,
    /// `done`, `skipped`, `needs-review`, `waiting`, `business` or `system`.
    pub outcome: String,
    pub reason: String,
    /// The attempt that produced this outcome (counting earlier runs).
    pub attempt: u32,
    /// Where the dossier now stands in the queue (`review` needs a person).
    pub queue: QueueStatus,
    pub duration_ms: u64,
    /// Browser actions of this attempt (goto, click, fill, select, upload): the KPI's clicks.
    pub browser_actions: u32,
    /// Origins the attempt's browser sessions reached, comma-separated: the KPI's tools.
    pub tools_used: String,
    /// A waiting item: when it is to be fed again (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wake_at: Option<String>,
    /// A waiting item: how long it waits from the end of its pass.
    #[serde(skip)]
    pub wait_ms: u64,
    /// What DS showed of the dossier, after the robot's own effects: kept
    /// with a settled outcome to tell a later change (JSON).
    #[serde(skip)]
    pub basis: Option<String>,
}

/// A finished run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub robot: String,
    pub plugin_sha256: String,
    pub items: Vec<ItemReport>,
    pub done: u32,
    pub skipped: u32,
    pub needs_review: u32,
    pub failed: u32,
    /// Items left waiting for something outside the robot (`wake_at` says
    /// until when); a later run feeds them again.
    pub waiting: u32,
    /// Dossiers now waiting in the review queue because of this run.
    pub to_review: u32,
    /// Dossiers the queue listed that earlier runs already finished.
    pub already_handled: u32,
    /// Dossiers waiting in the queue whose wait ends after this run.
    pub waiting_later: u32,
    /// Dossiers a crashed earlier run left unfinished, and where they went.
    pub recovered: Vec<(i64, QueueStatus)>,
    /// What left the host, per source and destination.
    pub ledger: Vec<LedgerRow>,
    pub duration_ms: u64,
    /// How the plugin's origin was established.
    pub signature: String,
    pub journal: PathBuf,
    pub audit: PathBuf,
    /// Grants in the config the robot did not request (not given).
    pub unused_grants: Vec<String>,
    /// `finished`, or `stopped` when a graceful stop ended the run before
    /// its queue was exhausted (the journal's run status too).
    pub status: String,
    /// Dossiers still running when a stop's grace period ran out, and where
    /// the crash rules put them (retry or review).
    pub abandoned: Vec<(i64, QueueStatus)>,
    /// Where the run's time went, per phase of an item (see `profile.rs`).
    pub profile: ProfileReport,
}

impl RunReport {
    /// Whether every item was handled (none failed).
    pub fn all_handled(&self) -> bool {
        self.failed == 0
    }

    /// Whether a graceful stop ended the run early.
    pub fn stopped(&self) -> bool {
        self.status == "stopped"
    }
}

fn journal_err(e: rusqlite::Error) -> RuntimeError {
    RuntimeError::Fatal(format!("journal: {e}"))
}

/// Run a robot config from start to end.
pub async fn run(opts: &RunOptions) -> Result<RunReport, RuntimeError> {
    let started = Instant::now();
    let p = Arc::new(prepare::prepare(opts)?);
    let _lock = lock_journal(&p.config.paths.journal)?;
    let journal = Journal::open(&p.config.paths.journal).map_err(|e| {
        RuntimeError::Fatal(format!("journal {}: {e}", p.config.paths.journal.display()))
    })?;
    let robot = p.manifest.name.clone();
    let recovered = journal
        .recover_interrupted(&robot, p.manifest.idempotent)
        .map_err(journal_err)?;
    for (n, status) in &recovered {
        tracing::warn!(
            "dossier {n} was interrupted by an earlier run that stopped; now {}",
            status.as_str()
        );
    }
    if let Some(only) = &opts.only {
        for n in only {
            journal.requeue(&robot, *n).map_err(journal_err)?;
        }
    }
    // The journal keeps a second copy of each audit seal, so a cut tail shows
    // even when the head beside the audit file is deleted or rewritten.
    let seals = journal.seal_store(&p.config.paths.journal);
    // Held between the group commit's seals (`runner/commit.rs`): a record
    // then takes no lock of its own.
    let audit = AuditLog::open(&p.config.paths.audit)?
        .with_seal_store(Box::new(seals))?
        .hold_between_seals();
    let run_id = opts.run_id.clone().unwrap_or_else(new_run_id);
    let unused_grants = p.policy.unused_grants.clone();
    for g in &unused_grants {
        tracing::info!("granted but not requested, so not given: {g}");
    }
    let ctx = RunContext {
        run_id: run_id.clone(),
        robot: robot.clone(),
        plugin_digest: p.digest.clone(),
    };
    // Budgets and the ledger are one count, kept by the gate's meter.
    let ledger = crate::egress::JournalLedger::new(
        journal.clone(),
        run_id.clone(),
        p.config.ds.as_ref().map(|d| d.endpoint.as_str()),
    );
    let gate = Gate::new(p.policy.clone(), ctx, audit).with_ledger(Arc::new(ledger));
    journal
        .start_run(&run_id, &robot, &p.digest, &p.config.path.to_string_lossy())
        .map_err(journal_err)?;
    let spool = tempfile::Builder::new()
        .prefix("pont-spool-")
        .tempdir()
        .map_err(|e| RuntimeError::Fatal(format!("cannot create the spool directory: {e}")))?;
    let shared = Arc::new(RunShared {
        gate,
        journal: journal.clone(),
        run_id: run_id.clone(),
        robot: robot.clone(),
        spool: spool.path().to_owned(),
        evidence_dir: evidence_dir(&p.config.paths.journal),
        ds: prepare::ds_backend(&p, opts.ds_observer.clone())?,
        mounts: crate::capabilities::files::open_mounts(&p.policy, &p.config.path)?,
        browser: crate::capabilities::browser::BrowserRun::new(spool.path()),
        http: crate::capabilities::http::HttpEgress::new().map_err(RuntimeError::Fatal)?,
        limits: crate::limits::RunLimits::new(p.policy.limits),
        profile: Profile::default(),
        approval: crate::approval::RunApproval {
            config: p.config.approval.clone(),
            journal_path: p.config.paths.journal.clone(),
            audit_path: p.config.paths.audit.clone(),
        },
    });
    let _commits = commit::GroupCommit::spawn(shared.clone());
    crate::approval::at_run_start(&shared).await;
    let settings: item::Settings = Arc::new(p.config.settings.clone().into_iter().collect());
    let mut source =
        queue::QueueSource::new(shared.clone(), &p.config.queue, opts.only.as_deref())?;
    let fed = feed::feed(&p, &shared, &settings, &mut source, opts).await;
    let fed = match fed {
        Ok(fed) => fed,
        Err(e) => {
            shared.browser.shutdown().await;
            let _ = journal.finish_run(&run_id, "failed", RunCounts::default());
            let _ = shared.gate.sync_audit();
            return Err(e);
        }
    };
    let items = fed.items;
    if fed.fed_all {
        source.save_cursor()?;
    }
    // Items cut by the end of the grace period meet the crash rules now.
    let abandoned = if fed.cut {
        journal
            .recover_interrupted(&robot, p.manifest.idempotent)
            .map_err(journal_err)?
    } else {
        Vec::new()
    };
    let counts = count(&items);
    let cap = fed
        .stopped_at
        .map_or(Duration::MAX, |at| opts.grace.saturating_sub(at.elapsed()));
    item::run_finish(&p, &shared, &settings, &run_id, (counts, cap)).await;
    // No chromedriver or Chromium outlives the run.
    shared.browser.shutdown().await;
    let status = if fed.stopped_at.is_some() {
        "stopped"
    } else {
        "finished"
    };
    journal
        .finish_run(&run_id, status, counts)
        .map_err(journal_err)?;
    shared.gate.sync_audit().map_err(RuntimeError::Fatal)?;
    let ledger = journal.ledger(&run_id).map_err(journal_err)?;
    let profile = shared.profile.report(&shared);
    Ok(RunReport {
        run_id,
        robot,
        plugin_sha256: p.digest.clone(),
        to_review: items
            .iter()
            .filter(|i| i.queue == QueueStatus::Review)
            .count() as u32,
        items,
        done: counts.done,
        skipped: counts.skipped,
        needs_review: counts.needs_review,
        failed: counts.failed,
        waiting: counts.waiting,
        already_handled: source.already_handled,
        waiting_later: source.still_waiting,
        recovered,
        ledger,
        duration_ms: started.elapsed().as_millis() as u64,
        signature: p.signature.clone(),
        journal: p.config.paths.journal.clone(),
        audit: p.config.paths.audit.clone(),
        unused_grants,
        status: status.to_string(),
        abandoned,
        profile,
    })
}

/// One run at a time per journal: a second `pont run` on the same config
/// would otherwise take the first one's dossiers for crashed ones.
fn lock_journal(journal: &Path) -> Result<File, RuntimeError> {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let path = journal.with_file_name(name);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = File::create(&path)
        .map_err(|e| RuntimeError::Fatal(format!("cannot create {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(RuntimeError::Fatal(format!(
            "another run is using the journal {} (lock {})",
            journal.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(RuntimeError::Fatal(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

fn evidence_dir(journal: &Path) -> PathBuf {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".evidence");
    journal.with_file_name(name)
}

/// A run id: its start time (UTC, to the millisecond) and a short tag, so
/// ids sort by time and two hosts' ids do not collide.
pub fn new_run_id() -> String {
    let now = chrono::Utc::now();
    let seed = format!(
        "{}-{}",
        std::process::id(),
        now.timestamp_nanos_opt().unwrap_or_default()
    );
    let tag = hex::encode(&Sha256::digest(seed.as_bytes())[..3]);
    format!("{}-{tag}", now.format("%Y%m%dT%H%M%S%.3fZ"))
}

fn count(items: &[ItemReport]) -> RunCounts {
    let mut c = RunCounts::default();
    for r in items {
        match r.status.as_str() {
            "done" => c.done += 1,
            "skipped" => c.skipped += 1,
            "needs-review" => c.needs_review += 1,
            "waiting" => c.waiting += 1,
            _ => c.failed += 1,
        }
    }
    c
}
