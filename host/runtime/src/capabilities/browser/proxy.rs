//! The gate plugged into the browser's filtering proxy: which origins a session's Chromium may
//! reach, and what happens with each proxied connection (audit of denials, egress ledger).

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

use pont_browser::{Decision, Origin, OriginPolicy, ProxyEvent, ProxyEventSink};
use pont_policy::{Action, Gate};

use crate::journal::Journal;

/// The origins of every browser application granted to the robot. Deciding is a set lookup
/// with no audit record: the proxy asks for every request a page makes, and the records that
/// matter (denials) are written by [`GateSink`] when the proxy reports them.
pub(super) struct GrantedOrigins(HashSet<Origin>);

impl GrantedOrigins {
    pub(super) fn of(gate: &Gate) -> Self {
        let set = gate
            .policy()
            .browser
            .values()
            .filter_map(|g| Origin::from_url(&g.origin.to_string()).ok())
            .collect();
        Self(set)
    }
}

impl OriginPolicy for GrantedOrigins {
    fn decide(&self, origin: &Origin) -> Decision {
        if self.0.contains(origin) {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }
}

/// Receives the proxy's events for one session of one item.
pub(super) struct GateSink {
    pub(super) gate: Gate,
    pub(super) journal: Journal,
    pub(super) run_id: String,
    pub(super) item: Option<i64>,
    /// Origins reached, for the item's tools count.
    pub(super) touched: Arc<Mutex<BTreeSet<String>>>,
}

/// Reason written to the audit log when the proxy blocks a page's own request.
const PROXY_DENIAL: &str = "not granted: the browser proxy blocked a page request to this origin";

impl ProxyEventSink for GateSink {
    fn record(&self, event: &ProxyEvent) {
        let origin = event.origin.to_string();
        if !event.allowed {
            // Chromium's own chatter is counted by the proxy, not audited as the robot's act.
            if !event.background {
                self.audit_denial(&origin);
            }
            return;
        }
        self.touched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(origin.clone());
        if event.bytes_up > 0
            && let Err(e) = self
                .journal
                .ledger_add(&self.run_id, "robot", &origin, event.bytes_up)
        {
            tracing::warn!("cannot add browser bytes to the ledger: {e}");
        }
    }
}

impl GateSink {
    fn audit_denial(&self, origin: &str) {
        match pont_policy::Origin::parse(origin) {
            Ok(o) => {
                let action = Action::BrowserGoto { origin: &o };
                let _ = self.gate.refuse(self.item, &action, PROXY_DENIAL.into());
            }
            Err(e) => tracing::warn!("browser proxy denial of an unparsable origin: {e}"),
        }
    }
}
