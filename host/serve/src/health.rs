//! Each robot's health, one computation for `/healthz`, `/api/robots`, the
//! metrics' gauges and the alerts: a robot is `degraded` when its last
//! `health.failed-runs` runs failed, when its review queue holds more than
//! `health.review-threshold` dossiers, or when it has not run to its end for
//! `health.no-success-hours`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::service::{Inner, LastRun, Robot, lock};

/// A condition that makes a robot degraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    FailedRuns,
    ReviewQueue,
    NoSuccess,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FailedRuns => "failed-runs",
            Self::ReviewQueue => "review-queue",
            Self::NoSuccess => "no-success",
        }
    }
}

/// What a robot's health says, one per robot in `/healthz`.
#[derive(Debug, Clone, Serialize)]
pub struct RobotHealth {
    pub name: String,
    /// `ok` or `degraded`.
    pub status: &'static str,
    /// Why it is degraded, one sentence each.
    pub reasons: Vec<String>,
    #[serde(skip)]
    pub conditions: Vec<Condition>,
    pub schedule: String,
    pub running: Option<String>,
    pub next_run: Option<DateTime<Utc>>,
    pub last_run: Option<LastRun>,
    pub last_success: Option<DateTime<Utc>>,
    pub skipped_slots: u64,
    pub review_queue: u64,
    pub waiting: u64,
}

/// The service's health: `degraded` when any robot is.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub started_at: DateTime<Utc>,
    pub robots: Vec<RobotHealth>,
}

impl Inner {
    pub fn health(&self) -> Health {
        let robots: Vec<RobotHealth> = self
            .robots()
            .values()
            .map(|r| self.robot_health(r))
            .collect();
        let degraded = robots.iter().any(|r| !r.reasons.is_empty());
        Health {
            status: if degraded { "degraded" } else { "ok" },
            started_at: self.started,
            robots,
        }
    }

    /// One robot's health; also sets its gauges.
    pub fn robot_health(&self, robot: &Robot) -> RobotHealth {
        let config = self.config();
        let mut st = lock(&robot.state);
        let (review, waiting) = st.queue_sizes();
        let mut found = Vec::new();
        if st.failed_in_row >= config.health.failed_runs {
            let n = st.failed_in_row;
            found.push((Condition::FailedRuns, format!("its last {n} run(s) failed")));
        }
        if let Some(max) = config.health.review_threshold.filter(|max| review > *max) {
            let why = format!("its review queue holds {review} dossier(s), more than {max}");
            found.push((Condition::ReviewQueue, why));
        }
        let since = st.last_success.unwrap_or(self.started);
        if let Some(limit) = config.health.no_success {
            let quiet = (Utc::now() - since).to_std().unwrap_or_default();
            if quiet > limit {
                let why = format!("no run went to its end since {}", since.to_rfc3339());
                found.push((Condition::NoSuccess, why));
            }
        }
        self.set_gauges(&robot.name, review, waiting, !found.is_empty());
        RobotHealth {
            name: robot.name.clone(),
            status: if found.is_empty() { "ok" } else { "degraded" },
            conditions: found.iter().map(|(c, _)| *c).collect(),
            reasons: found.into_iter().map(|(_, why)| why).collect(),
            schedule: st.entry.schedule.describe(),
            running: st.running.clone(),
            next_run: st.next_run,
            last_run: st.last.clone(),
            last_success: st.last_success,
            skipped_slots: st.skipped,
            review_queue: review,
            waiting,
        }
    }

    fn set_gauges(&self, name: &str, review: u64, waiting: u64, degraded: bool) {
        let m = &self.metrics;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        m.review.with_label_values(&[name]).set(n(review));
        m.waiting.with_label_values(&[name]).set(n(waiting));
        m.degraded
            .with_label_values(&[name])
            .set(i64::from(degraded));
        m.running.with_label_values(&[name]);
    }
}
