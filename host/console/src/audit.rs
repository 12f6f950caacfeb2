//! The console's own audit file: logins (refused ones included) and
//! logouts, which concern no robot. A person's review decisions go to the
//! robot's audit file instead (`pont_runtime::review`), in the chain of the
//! runs that put the dossier there.
//!
//! It is a Pont audit file like the robots' (hash-chained, appended under
//! its lock, sealed after each record), sealed in its head only: it has no
//! journal, so `pont audit verify FILE` checks it against its head.

use std::path::{Path, PathBuf};

use pont_policy::{AuditLog, Decision, PersonAction};

/// Where the console records who logged in, and who failed to.
#[derive(Debug)]
pub(crate) struct ConsoleAudit {
    path: PathBuf,
}

/// What happened at the door.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Door<'a> {
    LoggedIn,
    Refused(&'a str),
    LoggedOut,
}

impl ConsoleAudit {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Record `door` for the account `name` (as typed, for a refusal).
    pub fn record(&self, name: &str, door: Door<'_>) -> Result<(), String> {
        let (action, decision, reason) = match door {
            Door::LoggedIn => ("login", Decision::Allow, None),
            Door::Refused(why) => ("login", Decision::Deny, Some(why.to_string())),
            Door::LoggedOut => ("logout", Decision::Allow, None),
        };
        let record = PersonAction {
            actor: name,
            interface: "console",
            robot: "",
            item: None,
            action,
            target: format!("account {name}"),
            decision,
            reason,
        };
        let mut log = AuditLog::open(&self.path).map_err(|e| e.to_string())?;
        log.record_action(&record)
            .map_err(|e| format!("audit log {}: {e}", self.path.display()))
    }
}
