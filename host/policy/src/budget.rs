//! Egress budgets (DESIGN §5): the most bytes a run may send to one destination.
//!
//! The operator writes them in the robot config's `[budgets]` table. The gate
//! charges every allowed call that carries bytes out (a DS mutation or upload,
//! a file write, an HTTP request body) to its destination and refuses the call
//! that would go over, so a robot cannot leak more than the operator agreed to,
//! whatever it does.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::gate::Action;

/// The destination key of the DS API in `[budgets]` and in budget refusals.
pub const DS_DESTINATION: &str = "ds";

/// The budget key of a mount: `mount.<name>`.
pub fn mount_destination(mount: &str) -> String {
    format!("mount.{mount}")
}

/// Where the bytes of an action go, as a `[budgets]` key; `None` when the
/// action sends nothing out of the robot.
pub(crate) fn destination(action: &Action<'_>) -> Option<String> {
    match action {
        Action::DsMutate { .. } => Some(DS_DESTINATION.to_string()),
        Action::FileWrite { mount, .. } => Some(mount_destination(mount)),
        Action::HttpRequest { origin, .. } => Some(origin.to_string()),
        _ => None,
    }
}

/// The budgets of one run and what has been charged against them.
#[derive(Debug, Default)]
pub(crate) struct Budgets {
    limits: BTreeMap<String, u64>,
    used: Mutex<BTreeMap<String, u64>>,
}

impl Budgets {
    pub(crate) fn new(limits: BTreeMap<String, u64>) -> Self {
        Self {
            limits,
            used: Mutex::new(BTreeMap::new()),
        }
    }

    /// Charge `bytes` to `destination`, or say why not (nothing is charged
    /// then). Destinations without a budget are never refused.
    pub(crate) fn charge(&self, destination: &str, bytes: u64) -> Result<(), String> {
        let Some(&limit) = self.limits.get(destination) else {
            return Ok(());
        };
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let spent = used.entry(destination.to_string()).or_insert(0);
        let after = spent.saturating_add(bytes);
        if after > limit {
            return Err(format!(
                "egress budget of {limit} bytes for `{destination}` exceeded: {spent} already sent, this call adds {bytes}"
            ));
        }
        *spent = after;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_the_call_that_would_go_over_and_charges_nothing_for_it() {
        let b = Budgets::new(BTreeMap::from([("ds".to_string(), 100)]));
        assert!(b.charge("ds", 60).is_ok());
        let err = b.charge("ds", 41).unwrap_err();
        assert!(
            err.contains("100 bytes") && err.contains("60 already"),
            "{err}"
        );
        assert!(
            b.charge("ds", 40).is_ok(),
            "the refused call was not charged"
        );
        assert!(b.charge("ds", 1).is_err());
        assert!(
            b.charge("mount.out", u64::MAX).is_ok(),
            "no budget, no limit"
        );
    }
}
