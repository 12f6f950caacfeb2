//! The verification status of every audit file: each robot's, checked
//! against its journal's seal as `pont audit verify --config` does, and the
//! console's own, against its head.

use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::response::Response;
use minijinja::context;
use pont_policy::{Break, verify_audit_with};
use pont_runtime::journal::JournalSealBook;
use serde::Serialize;

use super::{Page, blocking};
use crate::auth::Agent;
use crate::state::ConsoleState;

#[derive(Debug, Serialize)]
struct Status {
    /// The robot's name, or none for the console's own file.
    robot: Option<String>,
    file: String,
    /// `intact`, `broken`, `unreadable` or `absent`.
    state: &'static str,
    records: u64,
    sealed: bool,
    unsealed_tail: u64,
    checked_with_journal: bool,
    /// What broke or could not be read (from `pont audit verify`).
    detail: Option<String>,
}

fn verify(robot: Option<&str>, file: &Path, journal: Option<&Path>) -> Status {
    let mut status = Status {
        robot: robot.map(str::to_string),
        file: file.display().to_string(),
        state: "intact",
        records: 0,
        sealed: false,
        unsealed_tail: 0,
        checked_with_journal: false,
        detail: None,
    };
    if !file.exists() {
        status.state = "absent";
        return status;
    }
    // A journal that does not exist yet holds no seal; naming it would
    // read as a journal deleted under the file.
    let journal = journal.filter(|j| j.is_file());
    match verify_audit_with(file, journal, Some(&JournalSealBook)) {
        Ok(intact) => {
            status.records = intact.records;
            status.sealed = intact.sealed;
            status.unsealed_tail = intact.unsealed_tail;
            status.checked_with_journal = intact.journal.is_some();
        }
        Err(Break::Unreadable(e)) => {
            status.state = "unreadable";
            status.detail = Some(e);
        }
        Err(b) => {
            status.state = "broken";
            status.detail = Some(b.to_string());
        }
    }
    status
}

pub(crate) async fn page(State(state): State<ConsoleState>, agent: Agent) -> Response {
    let robots: Vec<(String, PathBuf, PathBuf)> = state
        .robots()
        .iter()
        .map(|r| (r.name.clone(), r.audit.clone(), r.journal.clone()))
        .collect();
    let own = state.inner.audit.path().to_owned();
    let statuses = blocking(&state, move || {
        let mut out: Vec<Status> = robots
            .iter()
            .map(|(name, audit, journal)| verify(Some(name), audit, Some(journal)))
            .collect();
        out.push(verify(None, &own, None));
        Ok(out)
    })
    .await;
    match statuses {
        Ok(files) => {
            Page::for_agent(&agent).render(&state, "audit.html", context! { files => files })
        }
        Err(r) => r,
    }
}
