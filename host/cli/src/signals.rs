//! Signals at the edge: the first SIGTERM or SIGINT asks for a graceful stop
//! (the runtime stops claiming dossiers and lets the running ones finish),
//! a second one stops the process at once, with exit code 128 + the signal's
//! number, as a shell reports a process killed by it; the next run then
//! applies the crash rules to what was left running.

use std::time::Duration;

use pont_runtime::CancellationToken;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::exit::{Exit, Failure};

fn listen(kind: SignalKind) -> Result<Signal, Failure> {
    signal(kind).map_err(|e| Failure::new(Exit::Fatal, format!("cannot listen for signals: {e}")))
}

/// Their numbers on Linux (and every Unix Pont targets).
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// The next SIGTERM or SIGINT; returns its number.
async fn next(term: &mut Signal, int: &mut Signal) -> i32 {
    tokio::select! {
        _ = term.recv() => SIGTERM,
        _ = int.recv() => SIGINT,
    }
}

/// Watch for stop signals; call inside the async runtime. `what` names what
/// stops, for the log line.
pub(crate) fn watch(stop: CancellationToken, grace: Duration, what: &str) -> Result<(), Failure> {
    let mut term = listen(SignalKind::terminate())?;
    let mut int = listen(SignalKind::interrupt())?;
    let what = what.to_string();
    tokio::spawn(async move {
        let first = next(&mut term, &mut int).await;
        tracing::warn!(
            "signal {first}: stopping {what} gracefully: no new dossier, running ones have {} s to finish; a second signal stops at once",
            grace.as_secs()
        );
        stop.cancel();
        let second = next(&mut term, &mut int).await;
        tracing::error!("signal {second} again: stopping at once");
        std::process::exit(128 + second);
    });
    Ok(())
}

/// SIGHUP, each time it comes, as a stream of wake-ups.
pub(crate) fn hangups() -> Result<Signal, Failure> {
    listen(SignalKind::hangup())
}
