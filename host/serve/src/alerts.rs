//! Alerts: a JSON POST to `alerts.url` when a run fails (one per failed run),
//! and when a robot enters or leaves a degraded condition that is not a
//! run's (its review queue past the threshold, no run to its end for too
//! long). The body has a `text` line, which Slack, Mattermost and the Matrix
//! (Tchap) webhook bridges show as is, and the same facts as fields for
//! other systems. Each alert is tried `alerts.attempts` times with a
//! doubling pause from one second, each try bounded by `alerts.timeout-secs`;
//! delivery happens in the background and never holds a run.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use crate::config::AlertConfig;
use crate::health::Condition;
use crate::metrics::Metrics;
use crate::service::{Inner, lock, read};

/// How often the degraded conditions are looked at.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// The body of an alert.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub text: String,
    /// `run-failed`, `review-queue` or `no-success`.
    pub kind: &'static str,
    /// `firing`, or `resolved` when a condition ends.
    pub state: &'static str,
    pub robot: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    pub message: String,
    pub at: String,
}

pub(crate) struct Alerter {
    config: RwLock<Option<Arc<AlertConfig>>>,
    client: reqwest::Client,
}

impl Alerter {
    pub fn new(config: Option<AlertConfig>) -> Self {
        // The alert URL is the operator's; redirects are not followed, so
        // an alert goes only where the config says.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            config: RwLock::new(config.map(Arc::new)),
            client,
        }
    }

    pub fn set_config(&self, config: Option<AlertConfig>) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = config.map(Arc::new);
    }

    pub fn run_failed(&self, metrics: &Metrics, robot: &str, run_id: &str, why: &str) {
        let message = format!("run {run_id} failed: {why}");
        self.send(
            metrics,
            alert("run-failed", "firing", robot, Some(run_id), message),
        );
    }

    fn send(&self, metrics: &Metrics, alert: Alert) {
        let Some(config) = read(&self.config) else {
            return;
        };
        let (client, metrics) = (self.client.clone(), metrics.clone());
        tokio::spawn(async move {
            let result = if deliver(&client, &config, &alert).await {
                "sent"
            } else {
                "failed"
            };
            metrics
                .alerts
                .with_label_values(&[alert.kind, result])
                .inc();
        });
    }
}

fn alert(
    kind: &'static str,
    state: &'static str,
    robot: &str,
    run_id: Option<&str>,
    message: String,
) -> Alert {
    let mark = if state == "resolved" {
        "resolved"
    } else {
        "ALERT"
    };
    Alert {
        text: format!("[pont] {mark}: robot {robot}: {message}"),
        kind,
        state,
        robot: robot.to_string(),
        run_id: run_id.map(str::to_string),
        message,
        at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// Try the alert until it is taken (a 2xx answer) or the tries run out.
async fn deliver(client: &reqwest::Client, config: &AlertConfig, alert: &Alert) -> bool {
    let mut pause = Duration::from_secs(1);
    for attempt in 1..=config.attempts {
        let sent = client
            .post(config.url.clone())
            .timeout(config.timeout)
            .json(alert)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) => tracing::warn!(
                kind = alert.kind,
                attempt,
                "alert refused: HTTP {}",
                r.status()
            ),
            Err(e) => tracing::warn!(kind = alert.kind, attempt, "alert not delivered: {e}"),
        }
        if attempt < config.attempts {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }
    false
}

impl Inner {
    /// Look at every robot's conditions and alert on each change.
    pub fn check_conditions(&self) {
        for robot in self.robots().values() {
            let health = self.robot_health(robot);
            for condition in [Condition::ReviewQueue, Condition::NoSuccess] {
                let now = health.conditions.contains(&condition);
                let was = lock(&robot.state).firing.contains(condition.as_str());
                if now == was {
                    continue;
                }
                let mut st = lock(&robot.state);
                let (state, message) = if now {
                    st.firing.insert(condition.as_str());
                    let i = health.conditions.iter().position(|c| *c == condition);
                    (
                        "firing",
                        i.map(|i| health.reasons[i].clone()).unwrap_or_default(),
                    )
                } else {
                    st.firing.remove(condition.as_str());
                    ("resolved", "back to normal".to_string())
                };
                drop(st);
                let a = alert(condition.as_str(), state, &robot.name, None, message);
                self.alerts.send(&self.metrics, a);
            }
        }
    }
}

/// The condition checks, until the service stops.
pub(crate) async fn watch(inner: Arc<Inner>) {
    loop {
        tokio::select! {
            _ = inner.stop.cancelled() => return,
            () = tokio::time::sleep(CHECK_EVERY) => inner.check_conditions(),
        }
    }
}
