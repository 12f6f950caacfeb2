//! Egress metering (DESIGN §5): the one place that counts the bytes a run
//! sends out, per kind of destination, checks them against the operator's
//! `[budgets]`, and writes them to the run's ledger.
//!
//! Every count goes through [`Meter::charge`], so a budget and the ledger
//! line of a destination are the same number by construction:
//! - calls the gate decides with their size ([`crate::Action::HttpRequest`]
//!   with its bytes on the wire, [`crate::Action::FileWrite`] with the bytes
//!   written) are charged by [`crate::Gate::authorize`];
//! - bytes the host learns only as it sends them (each GraphQL request body
//!   and upload to DS, each request the browser proxy forwards) are charged
//!   by [`crate::Gate::meter`] just before they leave, with the same check;
//! - a permitted call that then sent nothing (a quota refusal, a name that
//!   resolves to a special address) gives its bytes back through
//!   [`crate::Gate::unsent`].
//!
//! Counting happens before sending: a call that would pass a budget is
//! refused, audited, and nothing of it leaves.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::gate::Action;
use crate::origin::Origin;

/// The destination key of the DS API in `[budgets]` and in budget refusals.
pub const DS_DESTINATION: &str = "ds";

/// The budget key of a mount: `mount.<name>`.
pub fn mount_destination(mount: &str) -> String {
    format!("mount.{mount}")
}

/// Where bytes from the robot go, by kind: the unit of budgets and of the
/// ledger. An HTTP origin and a browser origin with the same
/// `scheme://host:port` share one budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Egress<'a> {
    /// The DS API: GraphQL request bodies and uploaded files.
    Ds,
    /// A mount, by its granted name: bytes written.
    Mount(&'a str),
    /// An HTTP origin: request line, headers and body as sent.
    Http(&'a Origin),
    /// A web application's origin, through the browser proxy.
    Browser(&'a Origin),
}

impl Egress<'_> {
    /// The key of this destination in `[budgets]`.
    pub fn budget_key(&self) -> String {
        match self {
            Self::Ds => DS_DESTINATION.to_string(),
            Self::Mount(m) => mount_destination(m),
            Self::Http(o) | Self::Browser(o) => o.to_string(),
        }
    }

    /// The capability named in audit records of a metering refusal.
    pub(crate) fn capability(&self) -> &'static str {
        match self {
            Self::Ds => "ds",
            Self::Mount(_) => "files",
            Self::Http(_) => "http",
            Self::Browser(_) => "browser",
        }
    }
}

/// Where an action's bytes go; `None` when the gate does not charge it: it
/// sends nothing out, it is metered at the wire (DS mutations), or it stays
/// on the host under `[limits]` (evidence, state).
pub(crate) fn egress<'a>(action: &Action<'a>) -> Option<Egress<'a>> {
    match *action {
        Action::FileWrite { mount, .. } => Some(Egress::Mount(mount)),
        Action::HttpRequest { origin, .. } => Some(Egress::Http(origin)),
        _ => None,
    }
}

/// Where the run's ledger is kept (the runtime's journal). The meter calls
/// it for every count, so the ledger holds exactly what budgets saw.
pub trait LedgerSink: Send + Sync {
    /// `bytes` went (or are about to go) to `to`: one more item.
    fn add(&self, to: &Egress<'_>, bytes: u64);
    /// A count made by [`LedgerSink::add`] is taken back: nothing was sent.
    fn take_back(&self, to: &Egress<'_>, bytes: u64);
}

/// The budgets of one run, what has been charged against them, and the
/// ledger the same counts go to.
#[derive(Default)]
pub struct Meter {
    limits: BTreeMap<String, u64>,
    used: Mutex<BTreeMap<String, u64>>,
    ledger: Option<Arc<dyn LedgerSink>>,
}

impl fmt::Debug for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meter")
            .field("limits", &self.limits)
            .field("ledger", &self.ledger.is_some())
            .finish_non_exhaustive()
    }
}

impl Meter {
    pub(crate) fn new(limits: BTreeMap<String, u64>, ledger: Option<Arc<dyn LedgerSink>>) -> Self {
        Self {
            limits,
            used: Mutex::new(BTreeMap::new()),
            ledger,
        }
    }

    pub(crate) fn limits(&self) -> &BTreeMap<String, u64> {
        &self.limits
    }

    /// Count `bytes` about to go to `to`, or say why not (nothing is counted
    /// then). Destinations without a budget are never refused, but counted.
    pub(crate) fn charge(&self, to: &Egress<'_>, bytes: u64) -> Result<(), String> {
        let key = to.budget_key();
        {
            let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
            let spent = used.entry(key.clone()).or_insert(0);
            let after = spent.saturating_add(bytes);
            if let Some(&limit) = self.limits.get(&key)
                && after > limit
            {
                return Err(format!(
                    "egress budget of {limit} bytes for `{key}` exceeded: {spent} already sent, this call adds {bytes}"
                ));
            }
            *spent = after;
        }
        if let Some(ledger) = &self.ledger {
            ledger.add(to, bytes);
        }
        Ok(())
    }

    /// Give back a count: the call was charged but nothing of it left.
    pub(crate) fn refund(&self, to: &Egress<'_>, bytes: u64) {
        {
            let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(spent) = used.get_mut(&to.budget_key()) {
                *spent = spent.saturating_sub(bytes);
            }
        }
        if let Some(ledger) = &self.ledger {
            ledger.take_back(to, bytes);
        }
    }

    /// Bytes counted so far towards `to` in this run.
    pub fn used(&self, to: &Egress<'_>) -> u64 {
        let used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        used.get(&to.budget_key()).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Book(Mutex<Vec<(String, i64)>>);

    impl LedgerSink for Book {
        fn add(&self, to: &Egress<'_>, bytes: u64) {
            self.0.lock().unwrap().push((to.budget_key(), bytes as i64));
        }
        fn take_back(&self, to: &Egress<'_>, bytes: u64) {
            self.0
                .lock()
                .unwrap()
                .push((to.budget_key(), -(bytes as i64)));
        }
    }

    #[test]
    fn a_budget_refuses_the_call_that_would_go_over_and_charges_nothing_for_it() {
        let b = Meter::new(BTreeMap::from([("ds".to_string(), 100)]), None);
        assert!(b.charge(&Egress::Ds, 60).is_ok());
        let err = b.charge(&Egress::Ds, 41).unwrap_err();
        assert!(
            err.contains("100 bytes") && err.contains("60 already"),
            "{err}"
        );
        assert!(
            b.charge(&Egress::Ds, 40).is_ok(),
            "the refused call was not charged"
        );
        assert!(b.charge(&Egress::Ds, 1).is_err());
        assert!(
            b.charge(&Egress::Mount("out"), u64::MAX).is_ok(),
            "no budget, no limit"
        );
    }

    #[test]
    fn the_ledger_gets_exactly_what_the_budget_counted_and_refunds_give_both_back() {
        let book = Arc::new(Book::default());
        let origin = Origin::parse("https://api.example.fr").unwrap();
        let limits = BTreeMap::from([(origin.to_string(), 1000)]);
        let m = Meter::new(limits, Some(book.clone()));
        m.charge(&Egress::Http(&origin), 700).unwrap();
        // The browser and HTTP share an origin's budget.
        assert!(m.charge(&Egress::Browser(&origin), 301).is_err());
        m.refund(&Egress::Http(&origin), 700);
        m.charge(&Egress::Browser(&origin), 1000).unwrap();
        assert_eq!(m.used(&Egress::Http(&origin)), 1000);
        let key = origin.to_string();
        assert_eq!(
            *book.0.lock().unwrap(),
            [(key.clone(), 700), (key.clone(), -700), (key, 1000)],
            "the refused charge never reached the ledger"
        );
    }
}
