//! Where a run's time goes, per phase of an item: always on, summed over the
//! run and reported in [`RunReport::profile`](super::RunReport) (so in `pont
//! run --json`), which `benches/run` prints as its per-item table.
//!
//! Why counters and not a tracing layer: a phase is timed with two
//! `Instant::now()` (a vDSO read, tens of nanoseconds) and one relaxed atomic
//! add, a few hundred nanoseconds per item against the hundreds of
//! microseconds an item costs, so the profile can stay on in production and a
//! benchmark measures the binary operators run. A tracing layer would format
//! and dispatch an event per phase, and would itself show in the profile.
//!
//! The times are wall times on the thread that ran the phase; with
//! `--parallel 1` they add up to the item's share of the run. Phases nest only
//! where said: `process` includes the robot's capability calls, and so the
//! audit records those calls make, which are also counted under `audit`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::store::RunShared;

/// A phase of the per-item path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Listing the queue: a DS page, its admission checks (amortised per item).
    Listing,
    /// The claim in the journal, before `process` starts.
    Claim,
    /// A fresh Store: WASI context, resource table, limiter, capability state.
    Store,
    /// Instantiating the component from its `InstancePre`, and its `init`.
    Instantiate,
    /// The dossier converted to the WIT value handed to `process` (its copy
    /// into guest memory is part of `process`).
    Lift,
    /// The robot's `process`, with the lowering of its argument.
    Process,
    /// Audit records of gate decisions (most inside `process`), counted by
    /// the audit log itself ([`pont_policy::AuditStats`]).
    Audit,
    /// The audit log's syncs and seals (group commit, and the run's end).
    AuditSync,
    /// The item's log lines: the robot's output forwarded, the outcome line.
    Log,
    /// The outcome and queue status written to the journal.
    Settle,
    /// Sleeping before a retry of the item (backoff), not CPU.
    Backoff,
}

const PHASES: [Phase; 11] = [
    Phase::Listing,
    Phase::Claim,
    Phase::Store,
    Phase::Instantiate,
    Phase::Lift,
    Phase::Process,
    Phase::Audit,
    Phase::AuditSync,
    Phase::Log,
    Phase::Settle,
    Phase::Backoff,
];

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Self::Listing => "listing",
            Self::Claim => "claim",
            Self::Store => "store",
            Self::Instantiate => "instantiate",
            Self::Lift => "lift",
            Self::Process => "process",
            Self::Audit => "audit",
            Self::AuditSync => "audit-sync",
            Self::Log => "log",
            Self::Settle => "settle",
            Self::Backoff => "backoff",
        }
    }
}

/// The run's counters, shared by every item.
#[derive(Debug, Default)]
pub(crate) struct Profile {
    nanos: [AtomicU64; PHASES.len()],
    calls: [AtomicU64; PHASES.len()],
}

impl Profile {
    pub fn add(&self, phase: Phase, took: Duration) {
        let i = phase as usize;
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.nanos[i].fetch_add(ns, Ordering::Relaxed);
        self.calls[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Run `f`, counting its time under `phase`.
    pub fn time<T>(&self, phase: Phase, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = f();
        self.add(phase, started.elapsed());
        out
    }

    /// The run's profile: the phases timed here, the audit log's own counts,
    /// and the DS client's retry waits; means per attempt (claim).
    pub fn report(&self, run: &RunShared) -> ProfileReport {
        let audit = run.gate.audit_stats();
        self.set(Phase::Audit, audit.records, audit.record_ns);
        self.set(Phase::AuditSync, audit.syncs, audit.sync_ns);
        let attempts = self.calls[Phase::Claim as usize].load(Ordering::Relaxed);
        let retry = run
            .ds
            .as_ref()
            .map_or(Duration::ZERO, |ds| ds.client().retry_wait());
        self.totals(attempts, retry)
    }

    fn set(&self, phase: Phase, calls: u64, ns: u64) {
        self.calls[phase as usize].store(calls, Ordering::Relaxed);
        self.nanos[phase as usize].store(ns, Ordering::Relaxed);
    }

    /// The totals, with per-item means over `items` attempts.
    fn totals(&self, items: u64, ds_retry_wait: Duration) -> ProfileReport {
        let per = |ns: u64| {
            if items == 0 {
                0.0
            } else {
                ns as f64 / 1e3 / items as f64
            }
        };
        let phases = PHASES
            .iter()
            .map(|p| {
                let ns = self.nanos[*p as usize].load(Ordering::Relaxed);
                PhaseTime {
                    phase: p.name(),
                    calls: self.calls[*p as usize].load(Ordering::Relaxed),
                    total_us: ns / 1_000,
                    per_item_us: (per(ns) * 100.0).round() / 100.0,
                }
            })
            .collect();
        ProfileReport {
            attempts: items,
            phases,
            ds_retry_wait_ms: u64::try_from(ds_retry_wait.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// The profile of a run, as `pont run --json` prints it under `profile`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProfileReport {
    /// Attempts the run made (the divisor of `per_item_us`).
    pub attempts: u64,
    pub phases: Vec<PhaseTime>,
    /// Time the DS client slept before retrying a request (a 5xx, a dropped
    /// connection, a 429), summed over requests.
    pub ds_retry_wait_ms: u64,
}

/// One phase's total.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseTime {
    pub phase: &'static str,
    /// Times the phase ran.
    pub calls: u64,
    pub total_us: u64,
    /// Mean per attempt, in µs.
    pub per_item_us: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_summed_and_divided_per_attempt() {
        let p = Profile::default();
        p.add(Phase::Claim, Duration::from_micros(30));
        p.add(Phase::Claim, Duration::from_micros(10));
        let out = p.time(Phase::Lift, || 7);
        assert_eq!(out, 7);
        let r = p.totals(2, Duration::from_millis(5));
        let claim = r.phases.iter().find(|t| t.phase == "claim").unwrap();
        assert_eq!((claim.calls, claim.total_us), (2, 40));
        assert_eq!(claim.per_item_us, 20.0);
        let lift = r.phases.iter().find(|t| t.phase == "lift").unwrap();
        assert_eq!(lift.calls, 1);
        assert_eq!(r.ds_retry_wait_ms, 5);
        assert_eq!(r.phases.len(), PHASES.len());
    }
}
