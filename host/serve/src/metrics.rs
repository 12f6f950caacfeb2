//! `/metrics`, in the Prometheus text format (0.0.4) that every Prometheus
//! and `promtool check metrics` read. Counters move as runs and items end;
//! the queue gauges (review, waiting) are read from the journals at each
//! scrape, so they are right even for runs made by `pont run` beside the
//! service.
//!
//! Not exported: DS requests and 429s per token. The DS client keeps its
//! budget per token in a shared file and does not count requests or 429s
//! anywhere the service can read; the egress ledger (`pont_egress_bytes_total`)
//! is the per-destination use it does expose.

use prometheus::{
    GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Item durations: from a quick DS check to a long browser session.
const ITEM_BUCKETS: &[f64] = &[
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// The service's metrics. Cheap to clone (the collectors are shared).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub runs: IntCounterVec,
    pub runs_started: IntCounterVec,
    pub items: IntCounterVec,
    pub item_seconds: HistogramVec,
    pub skipped: IntCounterVec,
    pub running: IntGaugeVec,
    pub review: IntGaugeVec,
    pub waiting: IntGaugeVec,
    pub last_success: GaugeVec,
    pub degraded: IntGaugeVec,
    pub egress_bytes: IntCounterVec,
    pub egress_budget: IntGaugeVec,
    pub egress_last_run: IntGaugeVec,
    pub ds_requests: IntCounterVec,
    pub ds_rate_limited: IntCounterVec,
    pub alerts: IntCounterVec,
    pub webhooks: IntCounterVec,
    pub api_refused: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn counter(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

fn int_gauge(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The metrics' names and labels are fixed here, so building them
    /// cannot fail at run time (the `expect`s hold by construction).
    pub fn new() -> Self {
        let r = Registry::new();
        let item_seconds = HistogramVec::new(
            HistogramOpts::new(
                "pont_item_duration_seconds",
                "Time a dossier's attempt took, by robot.",
            )
            .buckets(ITEM_BUCKETS.to_vec()),
            &["robot"],
        )
        .expect("valid metric");
        r.register(Box::new(item_seconds.clone()))
            .expect("unique metric");
        let last_success = GaugeVec::new(
            Opts::new(
                "pont_last_success_timestamp_seconds",
                "When the robot's last run that went to its end finished (Unix time).",
            ),
            &["robot"],
        )
        .expect("valid metric");
        r.register(Box::new(last_success.clone()))
            .expect("unique metric");
        Self {
            runs: counter(
                &r,
                "pont_runs_total",
                "Runs ended, by robot and result (ok, items-failed, stopped, error).",
                &["robot", "result"],
            ),
            runs_started: counter(
                &r,
                "pont_runs_started_total",
                "Runs started, by robot and trigger (schedule, wake, api, hook, request).",
                &["robot", "trigger"],
            ),
            items: counter(
                &r,
                "pont_items_total",
                "Dossiers that reached their outcome for a run, by robot and outcome.",
                &["robot", "outcome"],
            ),
            skipped: counter(
                &r,
                "pont_schedule_skipped_total",
                "Schedule slots skipped because a run of the robot was still going.",
                &["robot"],
            ),
            running: int_gauge(
                &r,
                "pont_run_in_progress",
                "Whether a run of the robot is going (0 or 1).",
                &["robot"],
            ),
            review: int_gauge(
                &r,
                "pont_review_queue",
                "Dossiers waiting for a person in the robot's review queue.",
                &["robot"],
            ),
            waiting: int_gauge(
                &r,
                "pont_waiting_items",
                "Dossiers waiting for something outside the robot.",
                &["robot"],
            ),
            degraded: int_gauge(
                &r,
                "pont_robot_degraded",
                "Whether the robot is degraded, as /healthz says (0 or 1).",
                &["robot"],
            ),
            egress_bytes: counter(
                &r,
                "pont_egress_bytes_total",
                "Bytes the robot's runs sent, by source and destination (the egress ledger, which budgets cap).",
                &["robot", "source", "destination"],
            ),
            egress_budget: int_gauge(
                &r,
                "pont_egress_budget_bytes",
                "The robot's egress budget per run, by destination ([budgets]; absent when unbounded).",
                &["robot", "destination"],
            ),
            egress_last_run: int_gauge(
                &r,
                "pont_egress_last_run_bytes",
                "Bytes the robot's last ended run sent, by destination (compare with pont_egress_budget_bytes).",
                &["robot", "destination"],
            ),
            ds_requests: counter(
                &r,
                "pont_ds_requests_total",
                "Requests DS answered (any status), by robot and token (where the config reads it, never its value).",
                &["robot", "token"],
            ),
            ds_rate_limited: counter(
                &r,
                "pont_ds_rate_limited_total",
                "Requests DS answered 429 (too many requests), by robot and token.",
                &["robot", "token"],
            ),
            alerts: counter(
                &r,
                "pont_alerts_total",
                "Alerts posted to the alert URL, by kind and result (sent, failed).",
                &["kind", "result"],
            ),
            webhooks: counter(
                &r,
                "pont_webhooks_total",
                "Webhook calls, by result (accepted, unsigned, bad-signature, stale, replayed, unknown-robot).",
                &["result"],
            ),
            api_refused: counter(
                &r,
                "pont_api_refused_total",
                "API calls refused for a missing or wrong bearer token.",
                &["reason"],
            ),
            item_seconds,
            last_success,
            registry: r,
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_default()
    }
}

impl Metrics {
    /// Shows `robot`'s budgets, after forgetting those of its previous
    /// config (a reload may drop one).
    pub(crate) fn set_budgets(&self, robot: &str, old: &[(String, u64)], new: &[(String, u64)]) {
        for (destination, _) in old {
            let _ = self
                .egress_budget
                .remove_label_values(&[robot, destination]);
        }
        for (destination, bytes) in new {
            self.egress_budget
                .with_label_values(&[robot, destination])
                .set(i64::try_from(*bytes).unwrap_or(i64::MAX));
        }
    }
}

/// Counts, live, what DS answers one robot's runs on its token.
pub(crate) struct DsTraffic {
    requests: prometheus::IntCounter,
    rate_limited: prometheus::IntCounter,
}

impl DsTraffic {
    pub(crate) fn new(metrics: &Metrics, robot: &str, token: &str) -> Self {
        Self {
            requests: metrics.ds_requests.with_label_values(&[robot, token]),
            rate_limited: metrics.ds_rate_limited.with_label_values(&[robot, token]),
        }
    }
}

impl std::fmt::Debug for DsTraffic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DsTraffic").finish_non_exhaustive()
    }
}

impl pont_ds::DsObserver for DsTraffic {
    fn answered(&self) {
        self.requests.inc();
    }

    fn rate_limited(&self) {
        self.rate_limited.inc();
    }
}

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;
