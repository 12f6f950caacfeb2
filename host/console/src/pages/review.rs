//! The review queue of a robot, and the two decisions an agent takes on a
//! dossier there: retry and dismiss with a reason. Both are
//! [`pont_runtime::review::ReviewDesk`]'s, as for `pont review`, audited in
//! the robot's audit file with the agent's name.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use pont_runtime::journal::QueueStatus;
use pont_runtime::review::{Person, ReviewDesk, ReviewError};
use serde::Deserialize;

use super::{Page, error, forbidden, internal, not_found, with_journal};
use crate::PREFIX;
use crate::auth::{Agent, CsrfForm};
use crate::state::{ConsoleState, RobotEntry};

/// The longest dismissal reason, in characters.
pub(crate) const REASON_MAX: usize = 1000;

/// What the page says after a decision (POST, then redirect, then GET).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Notice {
    fait: String,
    dossier: Option<i64>,
    lance: bool,
}

fn notice_text(n: &Notice) -> Option<String> {
    let d = n.dossier?;
    match n.fait.as_str() {
        "relance" if n.lance => Some(format!(
            "Le dossier {d} est remis dans la file ; une exécution est lancée."
        )),
        "relance" => Some(format!(
            "Le dossier {d} est remis dans la file ; la prochaine exécution le traitera."
        )),
        "ecarte" => Some(format!("Le dossier {d} est écarté de la file de revue.")),
        _ => None,
    }
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    agent: Agent,
    Path(robot): Path<String>,
    Query(notice): Query<Notice>,
) -> Response {
    let Some(entry) = state.robot(&robot) else {
        return not_found(&state);
    };
    let entries = with_journal(&state, entry, |journal, entry| {
        journal.queue_entries(&entry.journal_robot, &[QueueStatus::Review])
    })
    .await
    .map(Option::unwrap_or_default);
    match entries {
        Ok(entries) => {
            let ctx = context! {
                robot => robot, entries => entries, notice => notice_text(&notice),
                reason_max => REASON_MAX,
            };
            Page::for_agent(&agent).render(&state, "review.html", ctx)
        }
        Err(r) => r,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DismissForm {
    motif: String,
}

/// The robot and dossier of a decision, if both exist.
fn target(state: &ConsoleState, robot: &str, number: &str) -> Option<(RobotEntry, i64)> {
    Some((state.robot(robot)?, number.parse::<i64>().ok()?))
}

/// The robot's review desk; a robot that never ran has nothing under review.
fn desk(state: &ConsoleState, robot: &RobotEntry, number: i64) -> Result<ReviewDesk, ReviewError> {
    let Some(journal) = state.journal(robot)? else {
        return Err(ReviewError::NotUnderReview {
            number,
            robot: robot.journal_robot.clone(),
        });
    };
    Ok(ReviewDesk::new(
        journal,
        &robot.journal,
        &robot.audit,
        &robot.journal_robot,
    ))
}

/// Take a decision off the async threads and answer: back to the queue
/// with a notice, or a page saying why not.
async fn decide(
    state: &ConsoleState,
    robot: RobotEntry,
    number: i64,
    agent: String,
    act: impl FnOnce(&ReviewDesk, Person<'_>) -> Result<(), ReviewError> + Send + 'static,
) -> Result<(), Response> {
    let s = state.clone();
    let done = tokio::task::spawn_blocking(move || {
        let desk = desk(&s, &robot, number)?;
        act(
            &desk,
            Person {
                name: &agent,
                interface: "console",
            },
        )
    })
    .await;
    match done {
        Ok(Ok(())) => Ok(()),
        Ok(Err(ReviewError::NotUnderReview { number, .. })) => Err(error(
            state,
            StatusCode::CONFLICT,
            &format!(
                "Le dossier {number} n’est plus dans la file de revue (une exécution ou un autre agent l’a pris)."
            ),
        )),
        Ok(Err(e)) => Err(internal(state, "review", e)),
        Err(e) => Err(internal(state, "review task", e)),
    }
}

fn back(robot: &str, query: &str) -> Response {
    Redirect::to(&format!("{PREFIX}/robots/{robot}/revue?{query}")).into_response()
}

pub(crate) async fn retry(
    State(state): State<ConsoleState>,
    Path((robot, number)): Path<(String, String)>,
    CsrfForm { session, .. }: CsrfForm<crate::auth::Empty>,
) -> Response {
    let Some(agent) = session.user.clone() else {
        return forbidden(&state);
    };
    let Some((entry, n)) = target(&state, &robot, &number) else {
        return not_found(&state);
    };
    if let Err(r) = decide(&state, entry, n, agent, move |d, p| d.retry(p, n)).await {
        return r;
    }
    let started = state.inner.service.request_run(&robot);
    back(&robot, &format!("fait=relance&dossier={n}&lance={started}"))
}

pub(crate) async fn dismiss(
    State(state): State<ConsoleState>,
    Path((robot, number)): Path<(String, String)>,
    CsrfForm { session, form }: CsrfForm<DismissForm>,
) -> Response {
    let Some(agent) = session.user.clone() else {
        return forbidden(&state);
    };
    let Some((entry, n)) = target(&state, &robot, &number) else {
        return not_found(&state);
    };
    let reason = form.motif.trim().to_string();
    if reason.is_empty() || reason.chars().count() > REASON_MAX {
        let message = format!("Le motif est obligatoire, en {REASON_MAX} caractères au plus.");
        return error(&state, StatusCode::BAD_REQUEST, &message);
    }
    if let Err(r) = decide(&state, entry, n, agent, move |d, p| {
        d.dismiss(p, n, &reason)
    })
    .await
    {
        return r;
    }
    back(&robot, &format!("fait=ecarte&dossier={n}"))
}
