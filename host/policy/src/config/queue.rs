//! The `[queue]` and `[report]` sections: where a run's dossiers come from,
//! how failures are retried, and the human baseline the KPI report compares
//! against.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::Validator;
use crate::error::PolicyError;

/// The DS states a queue may select, in DS's own spelling.
pub const DS_STATES: [&str; 5] = [
    "en_construction",
    "en_instruction",
    "accepte",
    "refuse",
    "sans_suite",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawQueue {
    #[serde(default)]
    dossiers: Vec<i64>,
    demarche: Option<i64>,
    #[serde(default)]
    states: Vec<String>,
    order: Option<String>,
    incremental: Option<bool>,
    batch: Option<u32>,
    max_attempts: Option<u32>,
    retry_backoff_ms: Option<u64>,
    max_wait_hours: Option<f64>,
    wait_in_run_secs: Option<u64>,
    reprocess: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawReport {
    baseline_minutes: Option<f64>,
}

/// The order dossiers are handled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueOrder {
    /// Oldest deposit first, as DS lists them: the guide's "order of arrival".
    #[default]
    Arrival,
}

/// How system failures are retried within a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per item before it goes to the review queue (at least 1).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub backoff_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            backoff_ms: 1000,
        }
    }
}

/// Whether a settled dossier is handled again when DS shows a change the
/// robot did not make (`[queue] reprocess`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reprocess {
    /// A new episode: the applicant's edits, a resolved correction, a new
    /// message from the applicant, a state the robot did not leave it in.
    #[default]
    OnChange,
    /// Once settled, never again.
    Never,
}

/// How items that wait for something outside the robot are fed again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitPolicy {
    /// A dossier waiting longer than this goes to review (`max-wait-hours`).
    pub max_wait: std::time::Duration,
    /// A wait that ends within this long is served by the run itself, which
    /// stays for it; a longer one is left to a later run (`wait-in-run-secs`).
    pub in_run: std::time::Duration,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            max_wait: std::time::Duration::from_secs(7 * 24 * 3600),
            in_run: std::time::Duration::from_secs(60),
        }
    }
}

/// Where the items come from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueConfig {
    /// An explicit list of dossier numbers.
    pub dossiers: Vec<i64>,
    /// Or: every dossier of this démarche (paged through DS).
    pub demarche: Option<i64>,
    /// Only dossiers in these DS states (empty: any state).
    pub states: Vec<String>,
    pub order: QueueOrder,
    /// Ask DS only for dossiers changed since the last complete listing
    /// (the `updatedSince` cursor kept in the journal).
    pub incremental: bool,
    /// At most this many dossiers per run.
    pub batch: Option<u32>,
    pub retry: RetryPolicy,
    pub wait: WaitPolicy,
    pub reprocess: Reprocess,
}

/// The `[report]` section.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ReportConfig {
    /// Minutes a person spends on one dossier without the robot.
    pub baseline_minutes: Option<f64>,
}

impl Validator<'_> {
    pub(super) fn queue(
        &self,
        raw: RawQueue,
        granted: &BTreeSet<i64>,
    ) -> Result<QueueConfig, PolicyError> {
        let mut seen = BTreeSet::new();
        for n in &raw.dossiers {
            if *n <= 0 {
                return Err(self.err("queue.dossiers", format!("`{n}` is not a dossier number")));
            }
            if !seen.insert(*n) {
                return Err(self.err("queue.dossiers", format!("dossier {n} is listed twice")));
            }
        }
        if let Some(d) = raw.demarche {
            if !raw.dossiers.is_empty() {
                return Err(self.err("queue", "set either `dossiers` or `demarche`, not both"));
            }
            if !granted.contains(&d) {
                return Err(self.err(
                    "queue.demarche",
                    format!("démarche {d} is not in grant.ds.demarches"),
                ));
            }
        }
        for s in &raw.states {
            if !DS_STATES.contains(&s.as_str()) {
                return Err(self.err(
                    "queue.states",
                    format!("`{s}` is not a DS state (one of {})", DS_STATES.join(", ")),
                ));
            }
        }
        let order = match raw.order.as_deref() {
            None | Some("arrival") => QueueOrder::Arrival,
            Some(other) => {
                return Err(self.err(
                    "queue.order",
                    format!("`{other}` is not supported (only `arrival`)"),
                ));
            }
        };
        if raw.batch == Some(0) {
            return Err(self.err("queue.batch", "must be at least 1"));
        }
        let max_attempts = raw
            .max_attempts
            .unwrap_or(RetryPolicy::default().max_attempts);
        if max_attempts == 0 || max_attempts > 20 {
            return Err(self.err("queue.max-attempts", "must be between 1 and 20"));
        }
        let wait = self.wait_policy(&raw)?;
        let reprocess = match raw.reprocess.as_deref() {
            None | Some("on-change") => Reprocess::OnChange,
            Some("never") => Reprocess::Never,
            Some(other) => {
                return Err(self.err(
                    "queue.reprocess",
                    format!("`{other}` is not one of `on-change`, `never`"),
                ));
            }
        };
        Ok(QueueConfig {
            wait,
            reprocess,
            dossiers: raw.dossiers,
            demarche: raw.demarche,
            states: raw.states,
            order,
            incremental: raw.incremental.unwrap_or(true),
            batch: raw.batch,
            retry: RetryPolicy {
                max_attempts,
                backoff_ms: raw
                    .retry_backoff_ms
                    .unwrap_or(RetryPolicy::default().backoff_ms)
                    .min(600_000),
            },
        })
    }

    fn wait_policy(&self, raw: &RawQueue) -> Result<WaitPolicy, PolicyError> {
        let default = WaitPolicy::default();
        let max_wait = match raw.max_wait_hours {
            None => default.max_wait,
            Some(h) if h.is_finite() && h > 0.0 && h <= 24.0 * 365.0 => {
                std::time::Duration::from_secs_f64(h * 3600.0)
            }
            Some(_) => {
                return Err(self.err("queue.max-wait-hours", "must be between 0 and 8760 hours"));
            }
        };
        let in_run = match raw.wait_in_run_secs {
            None => default.in_run,
            Some(s) if s <= 3600 => std::time::Duration::from_secs(s),
            Some(_) => return Err(self.err("queue.wait-in-run-secs", "must be at most 3600")),
        };
        Ok(WaitPolicy { max_wait, in_run })
    }

    pub(super) fn report(&self, raw: RawReport) -> Result<ReportConfig, PolicyError> {
        if let Some(m) = raw.baseline_minutes
            && !(m.is_finite() && m > 0.0)
        {
            return Err(self.err("report.baseline-minutes", "must be a positive number"));
        }
        Ok(ReportConfig {
            baseline_minutes: raw.baseline_minutes,
        })
    }
}
