//! The gate: the one door every capability call passes. Backends take a
//! `&Permit` scoped to what was decided ([`crate::Scope`]), and only
//! [`Gate::authorize`] can make one, so a capability that skips the gate does
//! not compile. Every decision is audited; if the audit record cannot be
//! written the call is denied (fail closed).

use std::sync::{Arc, Mutex};

use crate::audit::{AuditLog, Decision, NewRecord};
use crate::budget::Meter;
use crate::effective::EffectivePolicy;
use crate::origin::Origin;
use crate::permit::Permit;

mod limit;
mod meter;
mod secrets;

pub use secrets::SecretSink;

/// The DS actions a manifest can request and a config can grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DsAction {
    Read,
    PasserEnInstruction,
    Accepter,
    Refuser,
    ClasserSansSuite,
    /// `repasser-en-instruction` and `repasser-en-construction`.
    Repasser,
    Message,
    Annotations,
    Archiver,
    Labels,
}

impl DsAction {
    pub const ALL: [DsAction; 10] = [
        Self::Read,
        Self::PasserEnInstruction,
        Self::Accepter,
        Self::Refuser,
        Self::ClasserSansSuite,
        Self::Repasser,
        Self::Message,
        Self::Annotations,
        Self::Archiver,
        Self::Labels,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::PasserEnInstruction => "passer-en-instruction",
            Self::Accepter => "accepter",
            Self::Refuser => "refuser",
            Self::ClasserSansSuite => "classer-sans-suite",
            Self::Repasser => "repasser",
            Self::Message => "message",
            Self::Annotations => "annotations",
            Self::Archiver => "archiver",
            Self::Labels => "labels",
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| {
                let known: Vec<_> = Self::ALL.iter().map(|a| a.as_str()).collect();
                format!("unknown DS action `{text}` (known: {})", known.join(", "))
            })
    }
}

/// A capability call, as the gate sees it: what and on which target, never
/// the data itself (no field values, no message bodies, no secret values).
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    Log {
        level: &'a str,
    },
    Evidence {
        name: &'a str,
        bytes: u64,
    },
    StateGet {
        key: &'a str,
    },
    StateSet {
        key: &'a str,
        bytes: u64,
    },
    StateDelete {
        key: &'a str,
    },
    StateKeys {
        prefix: &'a str,
    },
    /// A read of DS data; `demarche` is `None` until the host knows it.
    DsRead {
        what: &'a str,
        demarche: Option<i64>,
        dossier: Option<i64>,
    },
    /// Learning which démarche a dossier is in, to decide `action` on it:
    /// allowed when `action` is granted at all, before anything is read.
    DsLocate {
        action: DsAction,
        dossier: i64,
    },
    DsMutate {
        action: DsAction,
        demarche: i64,
        dossier: i64,
        bytes: u64,
    },
    /// Opening a mount by name (the robot learns whether it exists for it).
    MountOpen {
        mount: &'a str,
    },
    /// Reading a file or listing a directory of a mount; `path` is relative
    /// to the mount and checked lexically by the gate.
    FileRead {
        mount: &'a str,
        path: &'a str,
    },
    /// Creating, replacing, renaming or removing something in a mount.
    FileWrite {
        mount: &'a str,
        path: &'a str,
        bytes: u64,
    },
    BrowserOpen {
        app: &'a str,
    },
    BrowserGoto {
        origin: &'a Origin,
    },
    HttpRequest {
        origin: &'a Origin,
        method: &'a str,
        bytes: u64,
    },
    /// A secret about to be sent (or read back); `sink` says where, for the
    /// binding of `[grant.secrets.NAME]`.
    SecretUse {
        name: &'a str,
        sink: SecretSink<'a>,
    },
    /// The robot handing the host bytes of its own (`blob.create`): always
    /// allowed (the run's spool bounds it, under `[limits]`), and audited,
    /// so that the spool too is filled only under a permit.
    BlobCreate {
        name: &'a str,
        bytes: u64,
    },
    /// Anything a capability does not offer yet: always denied, still audited.
    Unsupported {
        capability: &'a str,
        operation: &'a str,
    },
}

impl Action<'_> {
    fn capability(&self) -> &'static str {
        match self {
            Self::Log { .. } | Self::Evidence { .. } => "log",
            Self::StateGet { .. }
            | Self::StateSet { .. }
            | Self::StateDelete { .. }
            | Self::StateKeys { .. } => "state",
            Self::DsRead { .. } | Self::DsLocate { .. } | Self::DsMutate { .. } => "ds",
            Self::MountOpen { .. } | Self::FileRead { .. } | Self::FileWrite { .. } => "files",
            Self::BrowserOpen { .. } | Self::BrowserGoto { .. } => "browser",
            Self::HttpRequest { .. } => "http",
            Self::SecretUse { .. } => "secret",
            Self::BlobCreate { .. } => "blob",
            Self::Unsupported { .. } => "host",
        }
    }

    fn name(&self) -> String {
        match self {
            Self::Log { level } => format!("log.{level}"),
            Self::Evidence { .. } => "evidence".into(),
            Self::StateGet { .. } => "get".into(),
            Self::StateSet { .. } => "set".into(),
            Self::StateDelete { .. } => "delete".into(),
            Self::StateKeys { .. } => "keys".into(),
            Self::DsRead { what, .. } => format!("read.{what}"),
            Self::DsLocate { action, .. } => format!("locate.{}", action.as_str()),
            Self::DsMutate { action, .. } => action.as_str().into(),
            Self::MountOpen { .. } => "open".into(),
            Self::FileRead { .. } => "read".into(),
            Self::FileWrite { .. } => "write".into(),
            Self::BrowserOpen { .. } => "open".into(),
            Self::BrowserGoto { .. } => "goto".into(),
            Self::HttpRequest { method, .. } => method.to_ascii_uppercase(),
            Self::SecretUse { sink, .. } => sink.action(),
            Self::BlobCreate { .. } => "create".into(),
            Self::Unsupported {
                capability,
                operation,
            } => format!("{capability}.{operation}"),
        }
    }

    fn target(&self) -> String {
        match self {
            Self::Log { .. } => String::new(),
            Self::Evidence { name, .. } => (*name).into(),
            Self::StateGet { key } | Self::StateSet { key, .. } | Self::StateDelete { key } => {
                (*key).into()
            }
            Self::StateKeys { prefix } => format!("{prefix}*"),
            Self::DsRead {
                demarche, dossier, ..
            } => ds_target(*demarche, *dossier),
            Self::DsLocate { dossier, .. } => ds_target(None, Some(*dossier)),
            Self::DsMutate {
                demarche, dossier, ..
            } => ds_target(Some(*demarche), Some(*dossier)),
            Self::MountOpen { mount } => (*mount).into(),
            Self::FileRead { mount, path } | Self::FileWrite { mount, path, .. } => {
                format!("{mount}:{path}")
            }
            Self::BrowserOpen { app } => (*app).into(),
            Self::BrowserGoto { origin } | Self::HttpRequest { origin, .. } => origin.to_string(),
            Self::SecretUse { name, sink } => sink.target(name),
            Self::BlobCreate { name, .. } => (*name).into(),
            Self::Unsupported { .. } => String::new(),
        }
    }

    pub(crate) fn bytes(&self) -> u64 {
        match self {
            Self::Evidence { bytes, .. }
            | Self::StateSet { bytes, .. }
            | Self::DsMutate { bytes, .. }
            | Self::FileWrite { bytes, .. }
            | Self::HttpRequest { bytes, .. }
            | Self::BlobCreate { bytes, .. } => *bytes,
            _ => 0,
        }
    }
}

fn ds_target(demarche: Option<i64>, dossier: Option<i64>) -> String {
    match (demarche, dossier) {
        (Some(d), Some(n)) => format!("demarche:{d}/dossier:{n}"),
        (Some(d), None) => format!("demarche:{d}"),
        (None, Some(n)) => format!("dossier:{n}"),
        (None, None) => String::new(),
    }
}

/// A refusal, with the reason the robot and the audit log both see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Denied {
    pub reason: String,
}

/// Who is acting: written into every audit record.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub run_id: String,
    pub robot: String,
    /// SHA-256 of the plugin component.
    pub plugin_digest: String,
}

/// The policy gate of one run. Cheap to clone; clones share the audit log.
#[derive(Debug, Clone)]
pub struct Gate {
    policy: Arc<EffectivePolicy>,
    ctx: Arc<RunContext>,
    audit: Arc<Mutex<AuditLog>>,
    /// Counts egress against `[budgets]` and into the ledger ([`crate::budget`]).
    meter: Arc<Meter>,
}

impl Gate {
    pub fn new(policy: EffectivePolicy, ctx: RunContext, audit: AuditLog) -> Self {
        Self {
            meter: Arc::new(Meter::new(policy.budgets.clone(), None)),
            policy: Arc::new(policy),
            ctx: Arc::new(ctx),
            audit: Arc::new(Mutex::new(audit)),
        }
    }

    pub fn policy(&self) -> &EffectivePolicy {
        &self.policy
    }

    pub fn context(&self) -> &RunContext {
        &self.ctx
    }

    /// Decide one call made while handling `item` (a dossier number, or `None`
    /// outside items), audit the decision, and return a permit or the reason.
    pub fn authorize(&self, item: Option<i64>, action: &Action<'_>) -> Result<Permit, Denied> {
        // A reason may quote a robot-chosen name: bounded like the audit's copy.
        let verdict = (self.decide(action).and_then(|()| self.charge(action)))
            .map_err(|r| crate::clip::clip_owned(r, crate::clip::AUDIT_TEXT_MAX));
        self.audit_decision(item, action, verdict.as_ref().err().cloned())?;
        match verdict {
            Ok(()) => Ok(Permit::new(action.capability(), action.name(), action)),
            Err(reason) => Err(Denied { reason }),
        }
    }

    /// Record that `action`, which the policy allowed, was refused by the
    /// backend for `reason`, and return that refusal.
    ///
    /// Some refusals are only visible on disk or at the far end, after the
    /// gate said yes: a symlink that leads out of a mount, a mount quota. The
    /// audit log must still show them as denials, so the backend reports them
    /// here; the trail then holds the allow and, after it, this deny.
    pub fn refuse(&self, item: Option<i64>, action: &Action<'_>, reason: String) -> Denied {
        match self.audit_decision(item, action, Some(reason.clone())) {
            Ok(()) => Denied { reason },
            Err(unwritten) => unwritten,
        }
    }

    /// Append the record of one decision (`refusal` is `None` for an allow).
    /// A record that cannot be written turns the call into a denial.
    fn audit_decision(
        &self,
        item: Option<i64>,
        action: &Action<'_>,
        refusal: Option<String>,
    ) -> Result<(), Denied> {
        let record = NewRecord {
            run: &self.ctx.run_id,
            robot: &self.ctx.robot,
            plugin: &self.ctx.plugin_digest,
            item,
            capability: action.capability(),
            action: action.name(),
            target: action.target(),
            decision: if refusal.is_none() {
                Decision::Allow
            } else {
                Decision::Deny
            },
            reason: refusal,
            bytes: action.bytes(),
        };
        self.write_record(record)
    }

    /// Append one record; one that cannot be written is a denial.
    fn write_record(&self, record: NewRecord<'_>) -> Result<(), Denied> {
        let written = match self.audit.lock() {
            Ok(mut log) => log.append(record).map_err(|e| e.to_string()),
            Err(_) => Err("audit log lock poisoned".to_string()),
        };
        written.map_err(|e| Denied {
            reason: format!("denied: the audit record could not be written ({e})"),
        })
    }

    /// Flush the audit log to disk at most every `every` (end of an item).
    pub fn sync_audit_due(&self, every: std::time::Duration) -> Result<(), String> {
        match self.audit.lock() {
            Ok(mut log) => log.sync_due(every).map_err(|e| e.to_string()),
            Err(_) => Err("audit log lock poisoned".to_string()),
        }
    }

    /// What the run's audit log has written and sealed so far.
    pub fn audit_stats(&self) -> crate::audit::AuditStats {
        match self.audit.lock() {
            Ok(log) => log.stats(),
            Err(p) => p.into_inner().stats(),
        }
    }

    /// Flush the audit log to disk (end of the run).
    pub fn sync_audit(&self) -> Result<(), String> {
        match self.audit.lock() {
            Ok(mut log) => log.sync().map_err(|e| e.to_string()),
            Err(_) => Err("audit log lock poisoned".to_string()),
        }
    }

    /// Charge an allowed call's outgoing bytes to its destination's budget.
    fn charge(&self, action: &Action<'_>) -> Result<(), String> {
        let bytes = action.bytes();
        match crate::budget::egress(action) {
            Some(to) if bytes > 0 => self.meter.charge(&to, bytes),
            _ => Ok(()),
        }
    }

    fn decide(&self, action: &Action<'_>) -> Result<(), String> {
        let p = &*self.policy;
        let need = |ok: bool, what: String| {
            if ok {
                Ok(())
            } else {
                Err(format!("not granted: {what}"))
            }
        };
        match *action {
            Action::Log { .. } | Action::Evidence { .. } => need(p.log, "log".into()),
            Action::StateGet { .. }
            | Action::StateSet { .. }
            | Action::StateDelete { .. }
            | Action::StateKeys { .. } => need(p.state, "state".into()),
            Action::DsRead { demarche, .. } => {
                need(
                    p.ds_actions.contains(&DsAction::Read),
                    "DS action `read`".into(),
                )?;
                self.demarche(demarche)
            }
            Action::DsMutate {
                action, demarche, ..
            } => {
                need(
                    p.ds_actions.contains(&action),
                    format!("DS action `{}`", action.as_str()),
                )?;
                self.demarche(Some(demarche))
            }
            Action::DsLocate { action, .. } => need(
                p.ds_actions.contains(&action),
                format!("DS action `{}`", action.as_str()),
            ),
            Action::MountOpen { mount } => {
                need(p.mounts.contains_key(mount), format!("mount `{mount}`"))
            }
            Action::FileRead { mount, path } => {
                need(p.mounts.contains_key(mount), format!("mount `{mount}`"))?;
                crate::mount_path::check(path)
                    .map_err(|why| format!("mount `{mount}`: path `{path}` denied: {why}"))
            }
            Action::FileWrite { mount, path, .. } => {
                match p.mounts.get(mount) {
                    Some(m) if m.access == crate::MountAccess::ReadWrite => Ok(()),
                    Some(_) => Err(format!("mount `{mount}` is read-only")),
                    None => Err(format!("not granted: mount `{mount}`")),
                }?;
                crate::mount_path::check(path)
                    .map_err(|why| format!("mount `{mount}`: path `{path}` denied: {why}"))
            }
            Action::BrowserOpen { app } => need(
                p.browser.contains_key(app),
                format!("browser application `{app}`"),
            ),
            Action::BrowserGoto { origin } => need(
                p.browser.values().any(|b| &b.origin == origin),
                format!("browser origin {origin}"),
            ),
            Action::HttpRequest { origin, .. } => need(
                p.http.values().any(|h| &h.origin == origin),
                format!("HTTP origin {origin}"),
            ),
            Action::SecretUse { name, sink } => secrets::decide(p, name, sink),
            Action::BlobCreate { .. } => Ok(()),
            Action::Unsupported {
                capability,
                operation,
            } => Err(format!(
                "`{capability}.{operation}` is not supported by this host"
            )),
        }
    }

    fn demarche(&self, demarche: Option<i64>) -> Result<(), String> {
        match demarche {
            Some(d) if !self.policy.ds_demarches.contains(&d) => {
                Err(format!("not granted: démarche {d}"))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
