//! A gate for tools that use a backend on their own, outside `pont run`: a
//! native baseline, a script that prepares fixtures, a backend's own tests.
//! They hold no robot config, but the backend still takes permits, so they
//! get them from a real gate, which decides and audits like any other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::audit::AuditLog;
use crate::config::Limits;
use crate::effective::EffectivePolicy;
use crate::error::PolicyError;
use crate::gate::{DsAction, Gate, RunContext};

impl EffectivePolicy {
    /// DS `actions` on `demarches`, and nothing else.
    pub fn ds_only(tool: &str, demarches: &[i64], actions: &[DsAction]) -> Self {
        Self {
            robot: tool.into(),
            log: false,
            state: false,
            ds_actions: actions.iter().copied().collect(),
            ds_demarches: demarches.iter().copied().collect::<BTreeSet<_>>(),
            browser: BTreeMap::new(),
            http: BTreeMap::new(),
            mounts: BTreeMap::new(),
            secrets: BTreeMap::new(),
            limits: Limits::default(),
            budgets: BTreeMap::new(),
            unused_grants: Vec::new(),
        }
    }
}

impl Gate {
    /// The gate of a tool named `tool` granted `policy`, auditing to `audit`.
    pub fn for_tool(
        tool: &str,
        policy: EffectivePolicy,
        audit: &Path,
    ) -> Result<Self, PolicyError> {
        let ctx = RunContext {
            run_id: format!("{tool}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f")),
            robot: tool.into(),
            plugin_digest: String::new(),
        };
        Ok(Self::new(policy, ctx, AuditLog::open(audit)?))
    }
}
