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
        Ok(QueueConfig {
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
