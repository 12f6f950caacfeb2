//! The `[approval]` section: which DS decisions a robot may only propose.
//! A required action is held by the host as a proposal until an agent
//! approves, rejects or modifies it (four-eyes decisions).

use std::collections::BTreeSet;

use serde::Deserialize;

use super::Validator;
use crate::error::PolicyError;
use crate::gate::DsAction;

/// The actions an approval can be required for: the DS decisions with legal
/// effect and a message to the applicant.
pub const APPROVABLE: [DsAction; 4] = [
    DsAction::Accepter,
    DsAction::Refuser,
    DsAction::ClasserSansSuite,
    DsAction::Message,
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawApproval {
    #[serde(default)]
    required: Vec<String>,
    on_reject: Option<String>,
}

/// Where a rejected proposal's dossier goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnReject {
    /// To the review queue: a person takes it from there (the default, as a
    /// rejection says the robot got it wrong).
    #[default]
    Review,
    /// Back to the robot, as a new episode carrying the agent's reason.
    Robot,
}

impl OnReject {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::Robot => "robot",
        }
    }
}

/// A validated `[approval]` section; empty `required` means no approval.
#[derive(Debug, Clone, Default)]
pub struct ApprovalConfig {
    pub required: BTreeSet<DsAction>,
    pub on_reject: OnReject,
}

impl ApprovalConfig {
    pub fn requires(&self, action: DsAction) -> bool {
        self.required.contains(&action)
    }
}

impl Validator<'_> {
    /// An action that needs approval must be one the robot is granted:
    /// otherwise the line is a typo the operator would never notice.
    pub(super) fn approval(
        &self,
        raw: RawApproval,
        granted: &BTreeSet<DsAction>,
    ) -> Result<ApprovalConfig, PolicyError> {
        let mut required = BTreeSet::new();
        for name in &raw.required {
            let action = DsAction::parse(name).map_err(|m| self.err("approval.required", m))?;
            if !APPROVABLE.contains(&action) {
                let known: Vec<_> = APPROVABLE.iter().map(|a| a.as_str()).collect();
                return Err(self.err(
                    "approval.required",
                    format!(
                        "`{name}` cannot require approval (only {})",
                        known.join(", ")
                    ),
                ));
            }
            if !granted.contains(&action) {
                return Err(self.err(
                    "approval.required",
                    format!("`{name}` is not granted in grant.ds.actions"),
                ));
            }
            required.insert(action);
        }
        let on_reject = match raw.on_reject.as_deref() {
            None | Some("review") => OnReject::Review,
            Some("robot") => OnReject::Robot,
            Some(other) => {
                return Err(self.err(
                    "approval.on-reject",
                    format!("`{other}` is not `review` or `robot`"),
                ));
            }
        };
        Ok(ApprovalConfig {
            required,
            on_reject,
        })
    }
}
