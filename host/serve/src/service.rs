//! The service's state: its config, its robots and their runs. A robot has
//! at most one run at a time; runs happen in this process through
//! [`pont_runtime::run`], each on a blocking thread of its own (compiling a
//! component and SQLite block), its items on the shared async runtime.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Utc};
use pont_runtime::journal::Journal;
use pont_runtime::{CancellationToken, ItemReport, RunOptions, RunReport};
use serde::Serialize;
use tokio::sync::Notify;
use tokio_util::task::TaskTracker;

use crate::book::{RunBook, RunRecord, RunResult, Trigger};
use crate::check::RobotFacts;
use crate::config::{RobotEntry, ServiceConfig};
use crate::metrics::{DsTraffic, Metrics};
use crate::webhook::ReplayGuard;

/// A lock that a panic elsewhere cannot make unusable: the state behind it
/// is plain data, consistent after each statement.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn read<T: Clone>(m: &RwLock<T>) -> T {
    m.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The secrets' values, read at load and on reload.
#[derive(Default)]
pub(crate) struct Keys {
    pub api_token: Option<String>,
    pub webhook_key: Option<Vec<u8>>,
}

/// One robot of the service.
pub(crate) struct Robot {
    pub name: String,
    pub state: Mutex<RobotState>,
    /// Told when a run of the robot ends or its entry changes, so its
    /// scheduler looks again at what comes next.
    pub changed: Notify,
}

pub(crate) struct RobotState {
    pub entry: RobotEntry,
    pub facts: RobotFacts,
    /// The id of the run going, if one is.
    pub running: Option<String>,
    /// A webhook came during a run: run again once it ends.
    pub rerun: bool,
    pub skipped: u64,
    pub next_run: Option<DateTime<Utc>>,
    pub last: Option<LastRun>,
    pub last_started: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// Runs in a row that failed (ended in error).
    pub failed_in_row: u32,
    /// Alert conditions firing now (`no-success`, `review-queue`).
    pub firing: BTreeSet<&'static str>,
    journal: Option<Journal>,
}

/// The last run of a robot, for `/api/robots` and `/healthz`.
#[derive(Debug, Clone, Serialize)]
pub struct LastRun {
    pub run_id: String,
    pub result: RunResult,
    pub trigger: Trigger,
    pub finished_at: DateTime<Utc>,
    pub done: u32,
    pub failed: u32,
    pub to_review: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RobotState {
    fn new(entry: RobotEntry, facts: RobotFacts) -> Self {
        Self {
            entry,
            facts,
            running: None,
            rerun: false,
            skipped: 0,
            next_run: None,
            last: None,
            last_started: None,
            last_success: None,
            failed_in_row: 0,
            firing: BTreeSet::new(),
            journal: None,
        }
    }

    /// The robot's journal, opened once its file exists (the service never
    /// creates one; a run does).
    pub fn journal(&mut self) -> Option<Journal> {
        if self.journal.is_none() && self.facts.journal.is_file() {
            self.journal = Journal::open(&self.facts.journal).ok();
        }
        self.journal.clone()
    }

    /// How many of its dossiers are in review and waiting.
    pub fn queue_sizes(&mut self) -> (u64, u64) {
        let robot = self.facts.journal_robot.clone();
        let Some(counts) = self.journal().and_then(|j| j.queue_counts(&robot).ok()) else {
            return (0, 0);
        };
        let get = |s: &str| counts.get(s).copied().unwrap_or(0);
        (get("review"), get("waiting"))
    }

    /// The earliest wake-up of a dossier waiting past the last run's start:
    /// one due before it was the last run's to feed.
    pub fn next_wake(&mut self) -> Option<DateTime<Utc>> {
        let robot = self.facts.journal_robot.clone();
        let since = self.last_started?;
        let waiting = pont_runtime::journal::QueueStatus::Waiting;
        let entries = self.journal()?.queue_entries(&robot, &[waiting]).ok()?;
        entries
            .iter()
            .filter_map(|e| e.wake_at.as_deref())
            .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.to_utc())
            .filter(|t| *t > since)
            .min()
    }
}

/// Why a run did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// A run of the robot is going (its id).
    Busy(String),
    /// The service is stopping.
    Stopping,
}

pub(crate) struct Inner {
    pub config: RwLock<Arc<ServiceConfig>>,
    pub keys: RwLock<Arc<Keys>>,
    pub robots: RwLock<Arc<BTreeMap<String, Arc<Robot>>>>,
    pub book: Mutex<RunBook>,
    pub metrics: Metrics,
    /// Cancelled on a graceful stop: schedules end, runs stop feeding.
    pub stop: CancellationToken,
    /// The schedulers of the current config (cancelled on reload).
    pub generation: Mutex<CancellationToken>,
    pub runs: TaskTracker,
    pub replay: Mutex<ReplayGuard>,
    pub started: DateTime<Utc>,
    pub alerts: crate::alerts::Alerter,
    /// The web console's state, when the config has one.
    pub console: Mutex<Option<pont_console::ConsoleState>>,
}

/// Counts each item as it reaches its outcome.
struct ItemMetrics {
    metrics: Metrics,
    robot: String,
}

impl pont_runtime::Progress for ItemMetrics {
    fn queued(&self, _count: u64) {}

    fn finished(&self, item: &ItemReport) {
        self.metrics
            .items
            .with_label_values(&[self.robot.as_str(), item.outcome.as_str()])
            .inc();
        self.metrics
            .item_seconds
            .with_label_values(&[self.robot.as_str()])
            .observe(item.duration_ms as f64 / 1000.0);
    }
}

impl Inner {
    pub fn new(config: ServiceConfig, facts: BTreeMap<String, RobotFacts>, keys: Keys) -> Self {
        let alerts = crate::alerts::Alerter::new(config.alerts.clone());
        let inner = Self {
            config: RwLock::new(Arc::new(config)),
            keys: RwLock::new(Arc::new(keys)),
            robots: RwLock::new(Arc::new(BTreeMap::new())),
            book: Mutex::new(RunBook::default()),
            metrics: Metrics::new(),
            stop: CancellationToken::new(),
            generation: Mutex::new(CancellationToken::new()),
            runs: TaskTracker::new(),
            replay: Mutex::new(ReplayGuard::default()),
            started: Utc::now(),
            alerts,
            console: Mutex::new(None),
        };
        inner.set_robots(&facts);
        inner
    }

    pub fn config(&self) -> Arc<ServiceConfig> {
        read(&self.config)
    }

    pub fn keys(&self) -> Arc<Keys> {
        read(&self.keys)
    }

    pub fn robots(&self) -> Arc<BTreeMap<String, Arc<Robot>>> {
        read(&self.robots)
    }

    pub fn robot(&self, name: &str) -> Option<Arc<Robot>> {
        self.robots().get(name).cloned()
    }

    /// The robots of the current config: those already known keep their
    /// state (a run going goes on), new ones start afresh, removed ones go.
    pub fn set_robots(&self, facts: &BTreeMap<String, RobotFacts>) {
        let old = self.robots();
        let mut robots = BTreeMap::new();
        for entry in &self.config().robots {
            let Some(f) = facts.get(&entry.name) else {
                continue;
            };
            let robot = self.robot_entry(old.get(&entry.name), entry, f);
            self.metrics
                .skipped
                .with_label_values(&[entry.name.as_str()]);
            robots.insert(entry.name.clone(), robot);
        }
        for (name, gone) in old.iter().filter(|(n, _)| !robots.contains_key(*n)) {
            self.metrics
                .set_budgets(name, &lock(&gone.state).facts.budgets, &[]);
        }
        *self.robots.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(robots);
    }

    /// The robot of `entry`: the one already known with its new entry (a
    /// run going goes on), or a new one; its budgets shown either way.
    fn robot_entry(
        &self,
        old: Option<&Arc<Robot>>,
        entry: &RobotEntry,
        f: &RobotFacts,
    ) -> Arc<Robot> {
        let Some(r) = old else {
            self.metrics.set_budgets(&entry.name, &[], &f.budgets);
            return Arc::new(Robot {
                name: entry.name.clone(),
                state: Mutex::new(RobotState::new(entry.clone(), f.clone())),
                changed: Notify::new(),
            });
        };
        let mut st = lock(&r.state);
        self.metrics
            .set_budgets(&entry.name, &st.facts.budgets, &f.budgets);
        st.entry = entry.clone();
        st.facts = f.clone();
        st.journal = None;
        drop(st);
        r.clone()
    }

    /// Start a run of `robot` now, unless one is going.
    pub fn start(
        self: &Arc<Self>,
        robot: &Arc<Robot>,
        trigger: Trigger,
    ) -> Result<String, StartError> {
        self.begin(robot, trigger, false)
    }

    /// Start a run now or, when one is going and `queue` is set, right
    /// after it (decided under the robot's lock, so the run's end cannot
    /// slip between the two).
    pub fn begin(
        self: &Arc<Self>,
        robot: &Arc<Robot>,
        trigger: Trigger,
        queue: bool,
    ) -> Result<String, StartError> {
        if self.stop.is_cancelled() {
            return Err(StartError::Stopping);
        }
        let id = pont_runtime::new_run_id();
        let opts = {
            let mut st = lock(&robot.state);
            if let Some(going) = st.running.clone() {
                st.rerun |= queue;
                return Err(StartError::Busy(going));
            }
            st.running = Some(id.clone());
            st.last_started = Some(Utc::now());
            self.run_options(&robot.name, &st, &id)
        };
        tracing::info!(robot = %robot.name, run = %id, trigger = trigger.as_str(), "run starts");
        let name = robot.name.as_str();
        self.metrics.running.with_label_values(&[name]).set(1);
        self.metrics
            .runs_started
            .with_label_values(&[name, trigger.as_str()])
            .inc();
        lock(&self.book).insert(RunRecord {
            run_id: id.clone(),
            robot: robot.name.clone(),
            trigger,
            started_at: Utc::now(),
            finished_at: None,
            status: "running".into(),
            summary: None,
            error: None,
        });
        let (inner, robot) = (self.clone(), robot.clone());
        self.runs
            .spawn(async move { inner.execute(robot, opts, trigger).await });
        Ok(id)
    }

    fn run_options(&self, name: &str, st: &RobotState, id: &str) -> RunOptions {
        let entry = &st.entry;
        let mut opts = RunOptions::new(entry.config.clone());
        opts.parallel = entry.parallel;
        opts.allow_unsigned = entry.allow_unsigned;
        opts.run_id = Some(id.to_string());
        opts.stop = Some(self.stop.child_token());
        opts.grace = self.config().grace;
        opts.progress = Some(Arc::new(ItemMetrics {
            metrics: self.metrics.clone(),
            robot: name.to_string(),
        }));
        opts.ds_observer = st.facts.ds_token.as_ref().map(|token| {
            Arc::new(DsTraffic::new(&self.metrics, name, token)) as Arc<dyn pont_ds::DsObserver>
        });
        opts
    }

    async fn execute(self: Arc<Self>, robot: Arc<Robot>, opts: RunOptions, trigger: Trigger) {
        let id = opts.run_id.clone().unwrap_or_default();
        let handle = tokio::runtime::Handle::current();
        let ran =
            tokio::task::spawn_blocking(move || handle.block_on(pont_runtime::run(&opts))).await;
        let outcome = match ran {
            Ok(Ok(report)) => Ok(report),
            Ok(Err(e)) => Err(e.to_string().replace('\n', " ")),
            Err(e) => Err(format!("the run's task failed: {e}")),
        };
        self.settle(&robot, &id, trigger, outcome);
    }

    /// Record how a run ended, in the robot's state, the book, the metrics
    /// and the alerts; start the run a webhook asked for meanwhile.
    fn settle(
        self: &Arc<Self>,
        robot: &Arc<Robot>,
        id: &str,
        trigger: Trigger,
        outcome: Result<RunReport, String>,
    ) {
        let result = match &outcome {
            Ok(r) if r.stopped() => RunResult::Stopped,
            Ok(r) if r.all_handled() => RunResult::Ok,
            Ok(_) => RunResult::ItemsFailed,
            Err(_) => RunResult::Error,
        };
        let name = robot.name.as_str();
        match &outcome {
            Ok(r) => tracing::info!(
                robot = name,
                run = id,
                result = result.as_str(),
                done = r.done,
                failed = r.failed,
                "run ends"
            ),
            Err(e) => tracing::warn!(robot = name, run = id, "run failed: {e}"),
        }
        self.count(robot, result, outcome.as_ref().ok());
        let last = last_run(id, result, trigger, &outcome);
        lock(&self.book).update(id, |rec| {
            rec.status = result.as_str().into();
            rec.finished_at = Some(last.finished_at);
            rec.error = last.error.clone();
            rec.summary = outcome
                .as_ref()
                .ok()
                .and_then(|r| serde_json::to_value(r).ok());
        });
        let rerun = self.record_last(robot, last.clone());
        if result == RunResult::Error {
            self.alerts
                .run_failed(&self.metrics, name, id, last.error.as_deref().unwrap_or(""));
        }
        robot.changed.notify_one();
        if rerun && !self.stop.is_cancelled() {
            let _ = self.start(robot, Trigger::Hook);
        }
    }

    fn count(&self, robot: &Robot, result: RunResult, report: Option<&RunReport>) {
        let (m, name) = (&self.metrics, robot.name.as_str());
        m.runs.with_label_values(&[name, result.as_str()]).inc();
        m.running.with_label_values(&[name]).set(0);
        if result.completed() {
            m.last_success
                .with_label_values(&[name])
                .set(Utc::now().timestamp_millis() as f64 / 1000.0);
        }
        let Some(report) = report else { return };
        let mut sent: BTreeMap<String, u64> = lock(&robot.state)
            .facts
            .budgets
            .iter()
            .map(|(d, _)| (d.clone(), 0))
            .collect();
        for l in &report.ledger {
            *sent.entry(l.destination.clone()).or_default() += l.bytes;
            m.egress_bytes
                .with_label_values(&[name, l.source.as_str(), l.destination.as_str()])
                .inc_by(l.bytes);
        }
        for (destination, bytes) in &sent {
            m.egress_last_run
                .with_label_values(&[name, destination.as_str()])
                .set(i64::try_from(*bytes).unwrap_or(i64::MAX));
        }
    }

    /// Returns whether a rerun was asked for.
    fn record_last(&self, robot: &Robot, last: LastRun) -> bool {
        let mut st = lock(&robot.state);
        st.running = None;
        if last.result.completed() {
            st.last_success = Some(last.finished_at);
            st.failed_in_row = 0;
        } else if last.result == RunResult::Error {
            st.failed_in_row += 1;
        }
        st.last = Some(last);
        std::mem::take(&mut st.rerun)
    }
}

fn last_run(
    id: &str,
    result: RunResult,
    trigger: Trigger,
    outcome: &Result<RunReport, String>,
) -> LastRun {
    let (done, failed, to_review) = match outcome {
        Ok(r) => (r.done, r.failed, r.to_review),
        Err(_) => (0, 0, 0),
    };
    LastRun {
        run_id: id.to_string(),
        result,
        trigger,
        finished_at: Utc::now(),
        done,
        failed,
        to_review,
        error: outcome.as_ref().err().cloned(),
    }
}
