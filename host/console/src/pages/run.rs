//! One run: its counts, its items, its egress ledger and its log lines, a
//! page of [`LOG_PAGE`] lines at a time.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::{Page, not_found, with_journal};
use crate::auth::Agent;
use crate::state::ConsoleState;

/// Log lines per page.
pub(crate) const LOG_PAGE: u32 = 500;
/// Items shown (a run's batch is bounded by the config; this bounds the page).
const ITEMS_MAX: u32 = 5000;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogCursor {
    /// Show the log lines after this one.
    apres: i64,
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    agent: Agent,
    Path((robot, run)): Path<(String, String)>,
    Query(cursor): Query<LogCursor>,
) -> Response {
    let Some(entry) = state.robot(&robot) else {
        return not_found(&state);
    };
    let data = with_journal(&state, entry, move |journal, _| {
        let Some(row) = journal.run(&run)? else {
            return Ok(None);
        };
        let items = journal.run_items(&run, ITEMS_MAX)?;
        let ledger = journal.ledger(&run)?;
        let logs = journal.log_page(&run, None, cursor.apres.max(0), LOG_PAGE)?;
        Ok(Some((row, items, ledger, logs)))
    })
    .await
    .map(Option::flatten);
    match data {
        Ok(Some((run, items, ledger, logs))) => {
            let next = (logs.len() as u32 == LOG_PAGE).then(|| logs.last().map(|l| l.id));
            let ctx = context! {
                robot => robot, run => run, items => items, ledger => ledger,
                logs => logs, next_logs => next.flatten(), after => cursor.apres,
            };
            Page::for_agent(&agent).render(&state, "run.html", ctx)
        }
        Ok(None) => not_found(&state),
        Err(r) => r,
    }
}
