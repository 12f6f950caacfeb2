//! The web console (crate `pont-console`), served beside the API under
//! `/console` when the service config has a `[console]` section. The
//! console reads the journals itself; what only the service knows (next
//! run, run going, a run asked for after a retry) it asks through
//! [`pont_console::ServiceView`], implemented here.

use std::sync::{Arc, Weak};

use chrono::{DateTime, Utc};
use pont_console::{ConsoleState, Options, RobotEntry, ServiceView};

use crate::book::Trigger;
use crate::config::ServiceConfig;
use crate::service::{Inner, StartError, lock};

/// The service as the console sees it. Weak, so the console's state (held
/// by the service) does not keep the service alive in a cycle.
struct View(Weak<Inner>);

impl ServiceView for View {
    fn next_run(&self, robot: &str) -> Option<DateTime<Utc>> {
        let robot = self.0.upgrade()?.robot(robot)?;
        lock(&robot.state).next_run
    }

    fn is_running(&self, robot: &str) -> bool {
        let robot = self.0.upgrade().and_then(|i| i.robot(robot));
        robot.is_some_and(|r| lock(&r.state).running.is_some())
    }

    /// A run now, or right after the one going.
    fn request_run(&self, robot: &str) -> bool {
        let Some(inner) = self.0.upgrade() else {
            return false;
        };
        let Some(r) = inner.robot(robot) else {
            return false;
        };
        match inner.begin(&r, Trigger::Request, true) {
            Ok(_) | Err(StartError::Busy(_)) => true,
            Err(StartError::Stopping) => false,
        }
    }
}

/// The console's view of the config's robots.
pub(crate) fn entries(config: &ServiceConfig) -> Result<Vec<RobotEntry>, String> {
    config
        .robots
        .iter()
        .map(|r| RobotEntry::from_config(&r.name, &r.config).map_err(|e| e.to_string()))
        .collect()
}

/// The console's state, when the config asks for a console.
pub(crate) fn state(inner: &Arc<Inner>) -> Result<Option<ConsoleState>, String> {
    let config = inner.config();
    let Some(console) = &config.console else {
        return Ok(None);
    };
    let mut options = Options::for_listen_addr(config.listen);
    options.audit = console.audit.clone();
    let view: Arc<dyn ServiceView> = Arc::new(View(Arc::downgrade(inner)));
    ConsoleState::with_options(&console.accounts, entries(&config)?, view, options)
        .map(Some)
        .map_err(|e| format!("console: {e}"))
}
