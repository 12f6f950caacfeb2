//! Refusals at a host limit that no gate action describes: a handle past the
//! item's cap, a blob past the run's spool. They are audited as denials like
//! any other refusal, so the trail shows where a robot ran into the host's
//! bounds.

use super::{Denied, Gate};
use crate::audit::{Decision, NewRecord};

impl Gate {
    /// Audit that `capability.operation` on `target` was refused at a host
    /// limit for `reason`, and return that refusal.
    pub fn refuse_at_limit(
        &self,
        item: Option<i64>,
        capability: &'static str,
        operation: &str,
        target: &str,
        reason: String,
    ) -> Denied {
        let reason = crate::clip::clip_owned(reason, crate::clip::AUDIT_TEXT_MAX);
        let record = NewRecord {
            run: &self.ctx.run_id,
            robot: &self.ctx.robot,
            plugin: &self.ctx.plugin_digest,
            item,
            capability,
            action: operation.to_string(),
            target: crate::clip::clip(target, crate::clip::AUDIT_TEXT_MAX).into_owned(),
            decision: Decision::Deny,
            reason: Some(reason.clone()),
            bytes: 0,
        };
        match self.write_record(record) {
            Ok(()) => Denied { reason },
            Err(unwritten) => unwritten,
        }
    }
}
