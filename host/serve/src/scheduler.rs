//! One scheduler per robot: it sleeps until the next slot of the robot's
//! schedule, or until a waiting dossier's time comes (whichever is first),
//! and starts a run then. A slot that comes while a run of the robot is
//! still going is skipped and counted (`pont_schedule_skipped_total`): runs
//! never pile up. A wake-up during a run is left to that run's end, when
//! the scheduler looks again.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::book::Trigger;
use crate::service::{Inner, Robot, StartError, lock};

/// Start the schedulers of the current robots, ending the previous ones
/// (a reload). Runs going are not touched.
pub(crate) fn start_all(inner: &Arc<Inner>) {
    let generation = {
        let mut g = lock(&inner.generation);
        g.cancel();
        *g = inner.stop.child_token();
        g.clone()
    };
    for robot in inner.robots().values() {
        robot.changed.notify_one();
        tokio::spawn(robot_loop(inner.clone(), robot.clone(), generation.clone()));
    }
}

/// What comes next for a robot, and why: the first slot after `fired` (the
/// slot last acted on, so a timer waking a hair early cannot fire it twice)
/// and after now.
fn next(
    robot: &Robot,
    anchor: DateTime<Utc>,
    fired: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Trigger)> {
    let mut st = lock(&robot.state);
    let slot = st.entry.schedule.next_after(Utc::now().max(fired), anchor);
    let wake = if st.running.is_none() {
        st.next_wake()
    } else {
        None
    };
    let next = match (slot, wake) {
        (Some(s), Some(w)) if w < s => Some((w, Trigger::Wake)),
        (Some(s), _) => Some((s, Trigger::Schedule)),
        (None, Some(w)) => Some((w, Trigger::Wake)),
        (None, None) => None,
    };
    st.next_run = next.map(|(at, _)| at);
    next
}

async fn robot_loop(inner: Arc<Inner>, robot: Arc<Robot>, generation: CancellationToken) {
    let anchor = Utc::now();
    let mut fired = anchor;
    loop {
        let next = next(&robot, anchor, fired);
        let wait = next.map(|(at, _)| (at - Utc::now()).to_std().unwrap_or_default());
        tokio::select! {
            biased;
            _ = generation.cancelled() => return,
            _ = robot.changed.notified() => continue,
            () = sleep(wait) => {}
        }
        if let Some((at, trigger)) = next {
            fired = fired.max(at);
            fire(&inner, &robot, trigger);
        }
    }
}

async fn sleep(wait: Option<std::time::Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

fn fire(inner: &Arc<Inner>, robot: &Arc<Robot>, trigger: Trigger) {
    match inner.start(robot, trigger) {
        Ok(_) => {}
        Err(StartError::Busy(going)) if trigger == Trigger::Schedule => {
            lock(&robot.state).skipped += 1;
            inner
                .metrics
                .skipped
                .with_label_values(&[robot.name.as_str()])
                .inc();
            tracing::info!(robot = %robot.name, "schedule slot skipped: run {going} is still going");
        }
        Err(_) => {}
    }
}
