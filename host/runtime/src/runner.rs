//! The runner: load and check everything before the first item, then run each
//! item of the queue in its own Store, record its outcome in the journal, and
//! call the robot's `finish` at the end. A trap, a deadline or a memory cap on
//! one item is a system failure of that item; the run goes on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pont_policy::{AuditLog, EffectivePolicy, Gate, Limits, Manifest, RobotConfig, RunContext};
use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmtime::Store;
use wasmtime::component::ResourceTable;

use crate::bindings::pont::robot::runner::{Failure, Item, Outcome, RunSummary};
use crate::bindings::{Robot, RobotPre};
use crate::engine::{EPOCH_TICK, EngineSettings, PontEngine, default_cache_dir, one_line};
use crate::error::RuntimeError;
use crate::journal::{ItemRecord, Journal, RunCounts, now};
use crate::limits::ItemLimiter;
use crate::store::{ItemState, RunShared};
use crate::wasi::{self, OutputSink};

/// Extra time past the item deadline before the host abandons a host call.
const HOST_CALL_GRACE: Duration = Duration::from_secs(1);

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The operator's robot config.
    pub config: PathBuf,
    /// Compiled-component cache, overriding the config and the default.
    pub cache_dir: Option<PathBuf>,
    /// Development only: run a plugin that is unsigned or not signed by a
    /// trusted key (loudly). A pinned digest is enforced regardless.
    pub allow_unsigned: bool,
}

/// One item's result.
#[derive(Debug, Clone, Serialize)]
pub struct ItemReport {
    pub number: i64,
    /// `done`, `skipped`, `needs-review` or `failed`.
    pub status: String,
    /// `done`, `skipped`, `needs-review`, `business` or `system`.
    pub outcome: String,
    pub reason: String,
    pub duration_ms: u64,
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
    pub duration_ms: u64,
    /// How the plugin's origin was established.
    pub signature: String,
    pub journal: PathBuf,
    pub audit: PathBuf,
    /// Grants in the config the robot did not request (not given).
    pub unused_grants: Vec<String>,
}

impl RunReport {
    /// Whether every item was handled (none failed).
    pub fn all_handled(&self) -> bool {
        self.failed == 0
    }
}

/// Everything checked and compiled, ready to run items.
struct Prepared {
    config: RobotConfig,
    manifest: Manifest,
    policy: EffectivePolicy,
    digest: String,
    signature: String,
    engine: PontEngine,
    pre: RobotPre<ItemState>,
}

/// Run a robot config from start to end.
pub async fn run(opts: &RunOptions) -> Result<RunReport, RuntimeError> {
    let started = Instant::now();
    let p = prepare(opts)?;
    let journal = Journal::open(&p.config.paths.journal).map_err(|e| {
        RuntimeError::Fatal(format!("journal {}: {e}", p.config.paths.journal.display()))
    })?;
    let audit = AuditLog::open(&p.config.paths.audit)?;
    let run_id = new_run_id();
    let unused_grants = p.policy.unused_grants.clone();
    for g in &unused_grants {
        tracing::info!("granted but not requested, so not given: {g}");
    }
    let ctx = RunContext {
        run_id: run_id.clone(),
        robot: p.manifest.name.clone(),
        plugin_digest: p.digest.clone(),
    };
    let gate = Gate::new(p.policy.clone(), ctx, audit);
    journal
        .start_run(
            &run_id,
            &p.manifest.name,
            &p.digest,
            &p.config.path.to_string_lossy(),
        )
        .map_err(|e| RuntimeError::Fatal(format!("journal: {e}")))?;
    let spool = tempfile::Builder::new()
        .prefix("pont-spool-")
        .tempdir()
        .map_err(|e| RuntimeError::Fatal(format!("cannot create the spool directory: {e}")))?;
    let shared = Arc::new(RunShared {
        gate,
        journal: journal.clone(),
        run_id: run_id.clone(),
        robot: p.manifest.name.clone(),
        spool: spool.path().to_owned(),
        evidence_dir: evidence_dir(&p.config.paths.journal),
        ds: ds_backend(&p)?,
    });
    let settings: Vec<(String, String)> = p.config.settings.clone().into_iter().collect();
    let mut items = Vec::new();
    let mut counts = RunCounts::default();
    for &number in &p.config.queue.dossiers {
        let report = run_item(&p, &shared, &settings, number).await;
        record(&journal, &run_id, &report)?;
        count(&mut counts, &report);
        items.push(report);
    }
    run_finish(&p, &shared, &settings, &run_id, counts).await;
    journal
        .finish_run(&run_id, "finished", counts)
        .map_err(|e| RuntimeError::Fatal(format!("journal: {e}")))?;
    shared.gate.sync_audit().map_err(RuntimeError::Fatal)?;
    Ok(RunReport {
        run_id,
        robot: p.manifest.name.clone(),
        plugin_sha256: p.digest.clone(),
        items,
        done: counts.done,
        skipped: counts.skipped,
        needs_review: counts.needs_review,
        failed: counts.failed,
        duration_ms: started.elapsed().as_millis() as u64,
        signature: p.signature.clone(),
        journal: p.config.paths.journal.clone(),
        audit: p.config.paths.audit.clone(),
        unused_grants,
    })
}

fn prepare(opts: &RunOptions) -> Result<Prepared, RuntimeError> {
    let config = RobotConfig::load(&opts.config)?;
    let manifest = Manifest::load(&config.manifest)?;
    let plugin = config.plugin.display().to_string();
    let invalid = |message: String| RuntimeError::PluginInvalid {
        path: plugin.clone(),
        message,
    };
    let bytes =
        std::fs::read(&config.plugin).map_err(|e| invalid(format!("cannot read it: {e}")))?;
    let digest = hex::encode(Sha256::digest(&bytes));
    if let Some(pin) = &config.sha256
        && *pin != digest
    {
        return Err(RuntimeError::Integrity(format!(
            "plugin {plugin} has SHA-256 {digest}, but the robot config pins {pin}"
        )));
    }
    let signature = check_signature(&config, &bytes, opts.allow_unsigned)?;
    let policy = EffectivePolicy::compute(&manifest, &config)?;
    let engine = PontEngine::new(EngineSettings {
        max_memory_bytes: mib(policy.limits.memory_mb),
        concurrency: 1,
    })?;
    let cache = opts
        .cache_dir
        .clone()
        .or_else(|| config.paths.cache.clone())
        .or_else(default_cache_dir);
    let component = engine
        .load_component(&bytes, cache.as_deref())
        .map_err(|e| invalid(e.to_string()))?;
    crate::linker::check_imports(engine.engine(), &component).map_err(invalid)?;
    let linker =
        crate::linker::build(engine.engine()).map_err(|e| RuntimeError::Fatal(one_line(&e)))?;
    let pre = linker
        .instantiate_pre(&component)
        .and_then(RobotPre::new)
        .map_err(|e| invalid(one_line(&e)))?;
    Ok(Prepared {
        config,
        manifest,
        policy,
        digest,
        signature,
        engine,
        pre,
    })
}

/// The plugin must be signed by a key the config trusts, unless the
/// operator explicitly runs in development mode.
fn check_signature(
    config: &RobotConfig,
    bytes: &[u8],
    allow_unsigned: bool,
) -> Result<String, RuntimeError> {
    let keys = config
        .trusted_keys
        .iter()
        .map(|k| pont_trust::PublicKey::parse(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            RuntimeError::Integrity(format!(
                "robot config {}: `plugin.trusted-keys`: {e}",
                config.path.display()
            ))
        })?;
    let verdict = if keys.is_empty() {
        Err("the robot config lists no trusted key (plugin.trusted-keys)".to_string())
    } else {
        pont_trust::verify_plugin(&config.plugin, bytes, &config.manifest, &keys)
            .map_err(|e| e.to_string())
    };
    match verdict {
        Ok(v) => Ok(format!(
            "signed by trusted key {} (manifest covered by {})",
            v.key_id, v.manifest_covered_by
        )),
        Err(why) if allow_unsigned => {
            tracing::warn!(
                "DEVELOPMENT MODE: running a plugin that is not signed by a trusted key: {why}"
            );
            Ok(format!("NOT VERIFIED (--allow-unsigned): {why}"))
        }
        Err(why) => Err(RuntimeError::Integrity(format!(
            "plugin {} is not trusted: {why}; sign it (`pont sign`) and list the key in plugin.trusted-keys, or pass --allow-unsigned for development",
            config.plugin.display()
        ))),
    }
}

/// Connect to DS only when the robot may use it.
fn ds_backend(
    p: &Prepared,
) -> Result<Option<Arc<crate::capabilities::ds::DsBackend>>, RuntimeError> {
    match &p.config.ds {
        Some(settings) if !p.policy.ds_actions.is_empty() => Ok(Some(Arc::new(
            crate::capabilities::ds::DsBackend::new(settings)?,
        ))),
        _ => Ok(None),
    }
}

fn mib(mb: u32) -> usize {
    mb as usize * 1024 * 1024
}

fn evidence_dir(journal: &Path) -> PathBuf {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".evidence");
    journal.with_file_name(name)
}

fn new_run_id() -> String {
    let now = chrono::Utc::now();
    let seed = format!(
        "{}-{}",
        std::process::id(),
        now.timestamp_nanos_opt().unwrap_or_default()
    );
    let tag = hex::encode(&Sha256::digest(seed.as_bytes())[..3]);
    format!("{}-{tag}", now.format("%Y%m%dT%H%M%S%.3fZ"))
}

/// A fresh Store for one item (or for `finish`, with no item).
fn new_store(
    p: &Prepared,
    shared: &Arc<RunShared>,
    item: Option<i64>,
    limits: &Limits,
) -> Store<ItemState> {
    let sink = OutputSink::default();
    let state = ItemState {
        wasi: wasi::context(&sink),
        table: ResourceTable::new(),
        limits: ItemLimiter::new(mib(limits.memory_mb)),
        run: shared.clone(),
        item,
        output: sink,
        ds_files: Default::default(),
    };
    let mut store = Store::new(p.engine.engine(), state);
    store.limiter(|s| &mut s.limits);
    let ticks = Duration::from_secs(u64::from(limits.item_timeout_secs)).as_millis()
        / EPOCH_TICK.as_millis();
    store.set_epoch_deadline(ticks.max(1) as u64);
    store.epoch_deadline_trap();
    store
}

async fn run_item(
    p: &Prepared,
    shared: &Arc<RunShared>,
    settings: &[(String, String)],
    number: i64,
) -> ItemReport {
    let span = tracing::info_span!("item", robot = %shared.robot, dossier = number);
    let _enter = span.enter();
    let started = Instant::now();
    let limits = p.policy.limits;
    let mut store = new_store(p, shared, Some(number), &limits);
    let item = Item {
        number,
        demarche: None,
        attempt: 1,
        dossier: None,
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
    if let Err(e) = shared.gate.sync_audit() {
        tracing::warn!("cannot sync the audit log: {e}");
    }
    ItemReport {
        number,
        status: status.to_string(),
        outcome: outcome.to_string(),
        reason,
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

async fn run_finish(
    p: &Prepared,
    shared: &Arc<RunShared>,
    settings: &[(String, String)],
    run_id: &str,
    c: RunCounts,
) {
    let limits = p.policy.limits;
    let mut store = new_store(p, shared, None, &limits);
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

fn record(journal: &Journal, run_id: &str, r: &ItemReport) -> Result<(), RuntimeError> {
    let started_at = now();
    journal
        .record_item(&ItemRecord {
            run_id,
            number: r.number,
            attempt: 1,
            status: &r.status,
            outcome: &r.outcome,
            reason: &r.reason,
            started_at: &started_at,
            duration_ms: r.duration_ms,
        })
        .map_err(|e| RuntimeError::Fatal(format!("journal: {e}")))
}

fn count(c: &mut RunCounts, r: &ItemReport) {
    match r.status.as_str() {
        "done" => c.done += 1,
        "skipped" => c.skipped += 1,
        "needs-review" => c.needs_review += 1,
        _ => c.failed += 1,
    }
}
