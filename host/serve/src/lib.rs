//! `pont serve`: several robots on schedules in one long-running process.
//!
//! - Each robot of the service config has a schedule (a cron pattern in a
//!   time zone, Europe/Paris by default, or `every = "15m"`), at most one
//!   run at a time (a slot that comes while a run is going is skipped and
//!   counted), and is woken when a waiting dossier's time comes.
//! - Runs happen in this process through [`pont_runtime::run`]; robots on
//!   one DS token share its budget through the runtime's budget file.
//! - The HTTP API ([`Service::router`]): `/healthz`, `/metrics`
//!   (Prometheus), `/api/robots`, `POST /api/robots/{name}/runs`,
//!   `/api/runs/{id}` (bearer token) and signed webhooks `/hooks/{robot}`.
//! - Alerts to a chat webhook when a run fails or a robot is degraded.
//! - A graceful stop ([`Service::stop`]): no new run, the runs going stop
//!   feeding dossiers and finish theirs within the grace period. A reload
//!   ([`Service::reload`]) applies a new config without stopping runs.
//!
//! Signals are the caller's business (the CLI maps SIGTERM/SIGINT to
//! [`Service::stop`] and SIGHUP to [`Service::reload`]), so another Rust
//! program can embed the same service.

mod alerts;
mod book;
mod check;
mod config;
mod console;
mod error;
mod health;
mod http;
mod metrics;
mod schedule;
mod scheduler;
mod service;
pub mod webhook;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use alerts::Alert;
pub use book::{RunRecord, RunResult, Trigger};
pub use check::check;
pub use config::{DEFAULT_LISTEN, ServiceConfig};
pub use error::ServeError;
pub use health::{Health, RobotHealth};
pub use schedule::{DEFAULT_TIMEZONE, Schedule};
pub use service::{LastRun, StartError};

use service::{Inner, Keys};

/// How long past the grace period the service waits for runs to end before
/// it returns anyway (an item stuck in a host call).
const STOP_MARGIN: Duration = Duration::from_secs(5);

/// The service. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.inner.config().path)
            .finish_non_exhaustive()
    }
}

/// The config, the facts of every robot and the secrets' values, or every
/// problem found, one line each.
fn examine(
    path: &Path,
) -> Result<(ServiceConfig, BTreeMap<String, check::RobotFacts>, Keys), ServeError> {
    let config = ServiceConfig::load(path)?;
    let mut facts = BTreeMap::new();
    let mut problems = check::check_config(&config);
    if problems.is_empty() {
        for robot in &config.robots {
            match check::robot_facts(robot) {
                Ok(f) => {
                    facts.insert(robot.name.clone(), f);
                }
                Err(e) => problems.push(e),
            }
        }
    }
    if !problems.is_empty() {
        return Err(ServeError::Config(problems.join("\n")));
    }
    let keys = read_keys(&config).map_err(ServeError::Config)?;
    Ok((config, facts, keys))
}

fn read_keys(config: &ServiceConfig) -> Result<Keys, String> {
    let api_token = config.api_token.as_ref().map(|s| s.read()).transpose();
    let webhook_key = config
        .webhooks
        .as_ref()
        .map(|w| w.secret.read().and_then(|s| webhook::key_from_secret(&s)))
        .transpose();
    let at = |e: String| format!("service config {}: {e}", config.path.display());
    Ok(Keys {
        api_token: api_token.map_err(at)?,
        webhook_key: webhook_key.map_err(at)?,
    })
}

impl Service {
    /// Load the service config and check every robot config it names; the
    /// error lists every problem, one line each.
    pub fn load(path: &Path) -> Result<Self, ServeError> {
        let (config, facts, keys) = examine(path)?;
        let inner = Arc::new(Inner::new(config, facts, keys));
        let console = console::state(&inner).map_err(ServeError::Config)?;
        *service::lock(&inner.console) = console;
        Ok(Self { inner })
    }

    /// Bind the configured listen address.
    pub async fn bind(&self) -> Result<tokio::net::TcpListener, ServeError> {
        let addr = self.inner.config().listen;
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })
    }

    /// The HTTP API's routes (merge your own beside them to embed).
    /// The web console's pages are merged in under `/console` when the
    /// config has a `[console]` section.
    pub fn router(&self) -> axum::Router {
        let router = http::router(self.inner.clone());
        match service::lock(&self.inner.console).clone() {
            Some(state) => router.merge(pont_console::router(state)),
            None => router,
        }
    }

    /// Serve until [`Service::stop`]: the schedulers, the alert checks and
    /// the HTTP API on `listener`. After a stop, the HTTP API keeps
    /// answering until the runs going have ended (at most the grace period
    /// and a margin), then this returns.
    pub async fn run(&self, listener: tokio::net::TcpListener) -> Result<(), ServeError> {
        scheduler::start_all(&self.inner);
        tokio::spawn(alerts::watch(self.inner.clone()));
        let inner = self.inner.clone();
        let drained = async move {
            inner.stop.cancelled().await;
            inner.runs.close();
            let wait = inner.config().grace + STOP_MARGIN;
            if tokio::time::timeout(wait, inner.runs.wait()).await.is_err() {
                tracing::warn!(
                    "runs still going {} s after the stop: leaving them",
                    wait.as_secs()
                );
            }
        };
        axum::serve(listener, self.router())
            .with_graceful_shutdown(drained)
            .await
            .map_err(ServeError::Server)
    }

    /// Stop gracefully: no new run; the runs going stop feeding dossiers and
    /// let the running ones finish within the grace period.
    pub fn stop(&self) {
        self.inner.stop.cancel();
    }

    /// The token [`Service::stop`] cancels.
    pub fn stop_token(&self) -> pont_runtime::CancellationToken {
        self.inner.stop.clone()
    }

    /// The grace period of the current config.
    pub fn grace(&self) -> Duration {
        self.inner.config().grace
    }

    /// Read the config again and apply it without stopping the runs going:
    /// robots added start their schedule, removed ones stop theirs, changed
    /// ones take their new schedule and settings at their next run. A config
    /// with problems is refused whole (the old one stays). The listen
    /// address is the one exception: it changes only with a restart.
    pub fn reload(&self) -> Result<usize, ServeError> {
        let path = self.inner.config().path.clone();
        let (config, facts, keys) = examine(&path)?;
        if config.listen != self.inner.config().listen {
            tracing::warn!("`listen` changed: it takes effect at the next start");
        }
        self.inner.alerts.set_config(config.alerts.clone());
        let count = config.robots.len();
        *self.inner.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
        *self.inner.config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
        self.inner.set_robots(&facts);
        scheduler::start_all(&self.inner);
        self.reload_console()?;
        Ok(count)
    }

    /// The console shows the new robots; adding or removing `[console]`
    /// takes a restart.
    fn reload_console(&self) -> Result<(), ServeError> {
        let config = self.inner.config();
        let state = service::lock(&self.inner.console).clone();
        match (state, &config.console) {
            (Some(state), Some(_)) => {
                let entries = console::entries(&config).map_err(ServeError::Config)?;
                state
                    .replace_robots(entries)
                    .map_err(|e| ServeError::Config(format!("console: {e}")))
            }
            (None, None) => Ok(()),
            _ => {
                tracing::warn!("`[console]` changed: it takes effect at the next start");
                Ok(())
            }
        }
    }

    /// Start a run of a robot now (as the API does).
    pub fn trigger(&self, robot: &str, trigger: Trigger) -> Option<Result<String, StartError>> {
        let r = self.inner.robot(robot)?;
        Some(self.inner.start(&r, trigger))
    }

    /// Every robot's health, as `/healthz` shows it.
    pub fn health(&self) -> Health {
        self.inner.health()
    }

    /// A run the service started (the latest runs only).
    pub fn run_record(&self, id: &str) -> Option<RunRecord> {
        service::lock(&self.inner.book).get(id)
    }
}
