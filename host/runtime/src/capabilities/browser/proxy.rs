//! The gate plugged into the browser's filtering proxy: which origins a session's Chromium may
//! reach, the bytes it sends them (metered against their budgets), and what happens with each
//! proxied connection (audit of denials and refusals).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use pont_browser::{Decision, Origin, OriginPolicy, ProxyEvent, ProxyEventSink, Stopped};
use pont_policy::{Action, Egress, Gate};

/// The origins of every browser application granted to the robot. Deciding is a map lookup
/// with no audit record: the proxy asks for every request a page makes, and the records that
/// matter (denials, refusals) are written by [`GateSink`] and the gate's meter.
pub(super) struct GrantedOrigins {
    /// Each granted origin, as the proxy sees it and as the gate's meter counts it.
    granted: HashMap<Origin, pont_policy::Origin>,
    gate: Gate,
    item: Option<i64>,
}

impl GrantedOrigins {
    pub(super) fn of(gate: &Gate, item: Option<i64>) -> Self {
        let granted = gate
            .policy()
            .browser
            .values()
            .filter_map(|g| {
                Some((
                    Origin::from_url(&g.origin.to_string()).ok()?,
                    g.origin.clone(),
                ))
            })
            .collect();
        Self {
            granted,
            gate: gate.clone(),
            item,
        }
    }
}

impl OriginPolicy for GrantedOrigins {
    fn decide(&self, origin: &Origin) -> Decision {
        if self.granted.contains_key(origin) {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }

    /// Every byte a page sends to a granted origin goes through the gate's one meter: the
    /// origin's `[budgets]` line (shared with HTTP requests to the same origin) and the
    /// run's ledger. A refusal is audited by the meter.
    fn charge(&self, origin: &Origin, bytes: u64) -> Result<(), String> {
        let Some(granted) = self.granted.get(origin) else {
            return Err(format!("not granted: browser origin {origin}"));
        };
        self.gate
            .meter(self.item, Egress::Browser(granted), "request", bytes)
            .map_err(|d| d.reason)
    }
}

/// Receives the proxy's events for one session of one item.
pub(super) struct GateSink {
    pub(super) gate: Gate,
    pub(super) item: Option<i64>,
    /// Origins reached, for the item's tools count.
    pub(super) touched: Arc<Mutex<BTreeSet<String>>>,
}

/// Reason written to the audit log when the proxy blocks a page's own request.
const PROXY_DENIAL: &str = "not granted: the browser proxy blocked a page request to this origin";

impl ProxyEventSink for GateSink {
    fn record(&self, event: &ProxyEvent) {
        let origin = event.origin.to_string();
        if event.bytes_up > 0 || event.allowed {
            self.touched
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(origin.clone());
        }
        match &event.stopped {
            // Chromium's own chatter is counted by the proxy, not audited as the robot's act.
            None if !event.allowed && !event.background => self.audit(&origin, PROXY_DENIAL),
            Some(Stopped::SpecialAddress(why)) => self.audit(&origin, why),
            // The meter wrote the budget refusal when it made it.
            Some(Stopped::Budget(_)) | None => {}
        }
    }
}

impl GateSink {
    fn audit(&self, origin: &str, reason: &str) {
        match pont_policy::Origin::parse(origin) {
            Ok(o) => {
                let action = Action::BrowserGoto { origin: &o };
                let _ = self.gate.refuse(self.item, &action, reason.to_string());
            }
            Err(e) => tracing::warn!("browser proxy refusal for an unparsable origin: {e}"),
        }
    }
}
