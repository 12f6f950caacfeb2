//! The gate's metering door: bytes counted as they are about to leave, for
//! senders that learn their size only at the wire (the DS client, the browser
//! proxy). The counting itself is [`crate::budget::Meter`], the same one
//! [`Gate::authorize`] charges, so budgets and the ledger agree.

use std::sync::Arc;

use super::{Action, Denied, Gate};
use crate::audit::{Decision, NewRecord};
use crate::budget::{Egress, LedgerSink, Meter};

impl Gate {
    /// Send every count of this run to `ledger` as well (the runtime's
    /// journal). Call once, before the gate is cloned: clones made earlier
    /// keep the meter they had.
    pub fn with_ledger(mut self, ledger: Arc<dyn LedgerSink>) -> Self {
        let limits = self.meter.limits().clone();
        self.meter = Arc::new(Meter::new(limits, Some(ledger)));
        self
    }

    /// Count `bytes` about to be sent to `to` by `operation` (a GraphQL
    /// operation, `upload`, an HTTP method), while handling `item`.
    ///
    /// This is the one entry point for senders outside [`Gate::authorize`]:
    /// call it just before the bytes leave, and send nothing when it says no.
    /// An allowed count is not audited (the call that led to it was); a
    /// refusal is, as a deny record of `to`'s capability with `operation`,
    /// the budget key as target, and the bytes.
    pub fn meter(
        &self,
        item: Option<i64>,
        to: Egress<'_>,
        operation: &str,
        bytes: u64,
    ) -> Result<(), Denied> {
        let Err(reason) = self.meter.charge(&to, bytes) else {
            return Ok(());
        };
        let record = NewRecord {
            run: &self.ctx.run_id,
            robot: &self.ctx.robot,
            plugin: &self.ctx.plugin_digest,
            item,
            capability: to.capability(),
            action: crate::clip::clip(operation, crate::clip::AUDIT_TEXT_MAX).into_owned(),
            target: to.budget_key(),
            decision: Decision::Deny,
            reason: Some(reason.clone()),
            bytes,
        };
        self.write_record(record)?;
        Err(Denied { reason })
    }

    /// A call the gate allowed (and charged) sent nothing after all: a quota
    /// or a special address stopped it before any byte left. Its bytes come
    /// back out of the budget and the ledger.
    pub fn unsent(&self, action: &Action<'_>) {
        let bytes = action.bytes();
        if let Some(to) = crate::budget::egress(action)
            && bytes > 0
        {
            self.meter.refund(&to, bytes);
        }
    }

    /// Bytes counted towards `to` so far in this run.
    pub fn egress_used(&self, to: &Egress<'_>) -> u64 {
        self.meter.used(to)
    }
}
