//! The runtime's side of egress metering (`pont_policy::Gate::meter`): the
//! journal as the ledger the gate's meter writes to, and the meter the DS
//! client reports each request body and upload to.
//!
//! Capabilities never write the ledger themselves: they give the gate the
//! size of what they send (in the action they ask it to decide, or through
//! [`DsMeter`] at the wire), and the gate counts it once, for the budget and
//! the ledger alike.

use pont_policy::{Egress, Gate, LedgerSink};

use crate::journal::Journal;

/// The ledger's name for DS: its endpoint, without the token.
pub fn ds_ledger_name(endpoint: &str) -> String {
    format!("DS {endpoint}")
}

/// The `[budgets]` key a ledger line counts against: `ds` for DS's line
/// (named by its endpoint), the line's own name for the others.
pub fn ledger_budget_key(line: &str) -> &str {
    if line.starts_with("DS ") {
        pont_policy::DS_DESTINATION
    } else {
        line
    }
}

/// The run's ledger lines in the journal, one per destination.
pub(crate) struct JournalLedger {
    journal: Journal,
    run_id: String,
    /// How DS appears in the ledger ([`ds_ledger_name`]).
    ds: String,
}

impl JournalLedger {
    pub(crate) fn new(journal: Journal, run_id: String, ds_endpoint: Option<&str>) -> Self {
        Self {
            journal,
            run_id,
            ds: ds_ledger_name(ds_endpoint.unwrap_or("(not configured)")),
        }
    }

    /// The ledger line of a destination: DS by its endpoint, the others by
    /// their `[budgets]` key.
    fn line(&self, to: &Egress<'_>) -> String {
        match to {
            Egress::Ds => self.ds.clone(),
            other => other.budget_key(),
        }
    }
}

impl LedgerSink for JournalLedger {
    fn add(&self, to: &Egress<'_>, bytes: u64) {
        let line = self.line(to);
        if let Err(e) = self.journal.ledger_add(&self.run_id, "robot", &line, bytes) {
            tracing::warn!("cannot add {bytes} bytes to the ledger line of {line}: {e}");
        }
    }

    fn take_back(&self, to: &Egress<'_>, bytes: u64) {
        let line = self.line(to);
        if let Err(e) = self
            .journal
            .ledger_take_back(&self.run_id, "robot", &line, bytes)
        {
            tracing::warn!("cannot take {bytes} bytes back from the ledger line of {line}: {e}");
        }
    }
}

/// What the DS client shows each request body to, for one item.
pub(crate) struct DsMeter {
    pub gate: Gate,
    pub item: Option<i64>,
}

impl pont_ds::EgressMeter for DsMeter {
    fn sending(&self, operation: &str, bytes: u64) -> Result<(), String> {
        self.gate
            .meter(self.item, Egress::Ds, operation, bytes)
            .map_err(|d| d.reason)
    }
}
