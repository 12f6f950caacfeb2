//! The dashboard: one card per robot.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use minijinja::context;
use pont_runtime::approval::ProposalStatus;
use pont_runtime::journal::{Journal, LedgerRow, RunRow};
use serde::Serialize;

use super::{Page, blocking};
use crate::auth::Agent;
use crate::state::{ConsoleState, RobotEntry};

/// Pending proposals counted on a card; the page lists them.
const PROPOSALS_COUNTED: u32 = 100;

/// One robot's card.
#[derive(Debug, Serialize)]
struct Card {
    name: String,
    /// The journal does not exist yet.
    never_ran: bool,
    /// The journal could not be read (details in the service's log).
    unreadable: bool,
    last_run: Option<RunRow>,
    running: bool,
    next_run: Option<String>,
    waiting: u64,
    review: u64,
    /// Proposals waiting for an agent (at most [`PROPOSALS_COUNTED`]).
    proposals: usize,
    /// More than that wait.
    proposals_more: bool,
    budgets: Vec<BudgetUse>,
}

/// What the last run sent to one destination, against its budget.
#[derive(Debug, Serialize)]
struct BudgetUse {
    destination: String,
    used: u64,
    limit: Option<u64>,
    percent: Option<u64>,
}

/// The ledger of a run against the `[budgets]`: each ledger line, then
/// each budget the run did not touch.
fn budget_use(ledger: &[LedgerRow], budgets: &BTreeMap<String, u64>) -> Vec<BudgetUse> {
    let mut out: Vec<BudgetUse> = Vec::new();
    let mut touched = std::collections::BTreeSet::new();
    for row in ledger {
        let key = pont_runtime::ledger_budget_key(&row.destination);
        let limit = budgets.get(key).copied();
        touched.insert(key.to_string());
        out.push(BudgetUse {
            destination: row.destination.clone(),
            used: row.bytes,
            limit,
            percent: limit.map(|l| (row.bytes.saturating_mul(100)) / l.max(1)),
        });
    }
    for (key, limit) in budgets.iter().filter(|(k, _)| !touched.contains(*k)) {
        out.push(BudgetUse {
            destination: key.clone(),
            used: 0,
            limit: Some(*limit),
            percent: Some(0),
        });
    }
    out
}

fn fill(card: &mut Card, robot: &RobotEntry, journal: &Journal) -> rusqlite::Result<()> {
    card.last_run = journal.runs(1)?.into_iter().next();
    let counts = journal.queue_counts(&robot.journal_robot)?;
    card.waiting = counts.get("waiting").copied().unwrap_or(0);
    card.review = counts.get("review").copied().unwrap_or(0);
    let pending = Some(ProposalStatus::Pending);
    card.proposals = journal
        .proposals(&robot.journal_robot, pending, true, PROPOSALS_COUNTED)?
        .len();
    card.proposals_more = card.proposals >= PROPOSALS_COUNTED as usize;
    let ledger = match &card.last_run {
        Some(run) => journal.ledger(&run.id)?,
        None => Vec::new(),
    };
    card.budgets = budget_use(&ledger, &robot.budgets);
    Ok(())
}

fn card(state: &ConsoleState, robot: &RobotEntry) -> Card {
    let service = &state.inner.service;
    let mut card = Card {
        name: robot.name.clone(),
        never_ran: false,
        unreadable: false,
        last_run: None,
        running: service.is_running(&robot.name),
        next_run: service
            .next_run(&robot.name)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        waiting: 0,
        review: 0,
        proposals: 0,
        proposals_more: false,
        budgets: Vec::new(),
    };
    match state.journal(robot) {
        Ok(None) => card.never_ran = true,
        Ok(Some(journal)) => {
            if let Err(e) = fill(&mut card, robot, &journal) {
                tracing::error!("journal of {}: {e}", robot.name);
                card.unreadable = true;
            }
        }
        Err(e) => {
            tracing::error!("journal of {}: {e}", robot.name);
            card.unreadable = true;
        }
    }
    card
}

pub(crate) async fn page(State(state): State<ConsoleState>, agent: Agent) -> Response {
    let s = state.clone();
    let cards = blocking(&state, move || {
        Ok(s.robots().iter().map(|r| card(&s, r)).collect::<Vec<_>>())
    })
    .await;
    match cards {
        Ok(cards) => {
            Page::for_agent(&agent).render(&state, "dashboard.html", context! { robots => cards })
        }
        Err(r) => r,
    }
}
