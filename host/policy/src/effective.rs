//! Effective policy = what the manifest requests ∩ what the config grants,
//! computed once at load. Anything requested and not granted refuses the
//! start; anything granted and not requested is simply not given.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::config::{
    BrowserGrant, Limits, MountAccess, MountGrant, OriginGrant, RobotConfig, SecretGrant,
};
use crate::error::PolicyError;
use crate::gate::DsAction;
use crate::manifest::Manifest;

/// One thing a robot requests that its config does not grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Log,
    State,
    DsAction(DsAction),
    DsDemarches,
    Browser(String),
    Http(String),
    Mount {
        name: String,
        requested: MountAccess,
        granted: Option<MountAccess>,
    },
    Secret(String),
    Memory {
        requested: u32,
        granted: u32,
    },
    ItemTimeout {
        requested: u32,
        granted: u32,
    },
}

impl Missing {
    pub(crate) fn join(list: &[Missing]) -> String {
        list.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Log => write!(f, "log (grant.log)"),
            Self::State => write!(f, "state store (grant.state)"),
            Self::DsAction(a) => write!(f, "DS action `{}` (grant.ds.actions)", a.as_str()),
            Self::DsDemarches => write!(f, "at least one démarche (grant.ds.demarches)"),
            Self::Browser(app) => write!(f, "browser application `{app}` (grant.browser.{app})"),
            Self::Http(host) => write!(f, "HTTP host `{host}` (grant.http.{host})"),
            Self::Mount {
                name,
                requested,
                granted: None,
            } => write!(
                f,
                "mount `{name}` {} (grant.mounts.{name})",
                requested.as_str()
            ),
            Self::Mount {
                name,
                requested,
                granted: Some(g),
            } => write!(
                f,
                "mount `{name}` {} (granted only {})",
                requested.as_str(),
                g.as_str()
            ),
            Self::Secret(s) => write!(f, "secret `{s}` (grant.secrets.{s})"),
            Self::Memory { requested, granted } => {
                write!(f, "memory {requested} MiB (limits.memory-mb is {granted})")
            }
            Self::ItemTimeout { requested, granted } => write!(
                f,
                "{requested} s per item (limits.item-timeout-secs is {granted})"
            ),
        }
    }
}

/// What the robot may actually do in this run.
#[derive(Debug, Clone)]
pub struct EffectivePolicy {
    pub robot: String,
    pub log: bool,
    pub state: bool,
    pub ds_actions: BTreeSet<DsAction>,
    pub ds_demarches: BTreeSet<i64>,
    pub browser: BTreeMap<String, BrowserGrant>,
    pub http: BTreeMap<String, OriginGrant>,
    /// Mounts with the access the robot asked for (never more than granted).
    pub mounts: BTreeMap<String, MountGrant>,
    /// Secrets with the destinations each may be sent to.
    pub secrets: BTreeMap<String, SecretGrant>,
    pub limits: Limits,
    /// Egress budgets of the robot config (see [`RobotConfig::budgets`]).
    pub budgets: BTreeMap<String, u64>,
    /// Grants the robot did not ask for: not given, listed for the operator.
    pub unused_grants: Vec<String>,
}

impl EffectivePolicy {
    /// Intersect; refuse with the full list of what is missing.
    pub fn compute(manifest: &Manifest, config: &RobotConfig) -> Result<Self, PolicyError> {
        let req = &manifest.requests;
        let mut missing = Vec::new();
        if req.log && !config.grant_log {
            missing.push(Missing::Log);
        }
        if req.state && !config.grant_state {
            missing.push(Missing::State);
        }
        for action in &req.ds {
            if !config.grant_ds_actions.contains(action) {
                missing.push(Missing::DsAction(*action));
            }
        }
        if !req.ds.is_empty() && config.grant_ds_demarches.is_empty() {
            missing.push(Missing::DsDemarches);
        }
        let browser = pick(
            &req.browser,
            &config.grant_browser,
            Missing::Browser,
            &mut missing,
        );
        let http = pick(&req.http, &config.grant_http, Missing::Http, &mut missing);
        let secrets = pick(
            &req.secrets,
            &config.grant_secrets,
            Missing::Secret,
            &mut missing,
        );
        let mounts = mounts(req.mounts.iter(), &config.grant_mounts, &mut missing);
        limits(manifest, config, &mut missing);
        if !missing.is_empty() {
            return Err(PolicyError::NotGranted {
                robot: manifest.name.clone(),
                missing,
            });
        }
        Ok(Self {
            robot: manifest.name.clone(),
            log: req.log,
            state: req.state,
            ds_actions: req.ds.clone(),
            ds_demarches: if req.ds.is_empty() {
                BTreeSet::new()
            } else {
                config.grant_ds_demarches.clone()
            },
            browser,
            http,
            mounts,
            secrets,
            limits: config.limits,
            budgets: config.budgets.clone(),
            unused_grants: unused(manifest, config),
        })
    }
}

fn pick<T: Clone>(
    requested: &BTreeSet<String>,
    granted: &BTreeMap<String, T>,
    missing_kind: fn(String) -> Missing,
    missing: &mut Vec<Missing>,
) -> BTreeMap<String, T> {
    let mut out = BTreeMap::new();
    for name in requested {
        match granted.get(name) {
            Some(g) => {
                out.insert(name.clone(), g.clone());
            }
            None => missing.push(missing_kind(name.clone())),
        }
    }
    out
}

fn mounts<'a>(
    requested: impl Iterator<Item = (&'a String, &'a MountAccess)>,
    granted: &BTreeMap<String, MountGrant>,
    missing: &mut Vec<Missing>,
) -> BTreeMap<String, MountGrant> {
    let mut out = BTreeMap::new();
    for (name, want) in requested {
        match granted.get(name) {
            Some(g) if g.access >= *want => {
                let mut m = g.clone();
                m.access = *want;
                out.insert(name.clone(), m);
            }
            g => missing.push(Missing::Mount {
                name: name.clone(),
                requested: *want,
                granted: g.map(|g| g.access),
            }),
        }
    }
    out
}

fn limits(manifest: &Manifest, config: &RobotConfig, missing: &mut Vec<Missing>) {
    let req = &manifest.requests;
    if let Some(mb) = req.memory_mb.filter(|mb| *mb > config.limits.memory_mb) {
        missing.push(Missing::Memory {
            requested: mb,
            granted: config.limits.memory_mb,
        });
    }
    if let Some(s) = req
        .item_timeout_secs
        .filter(|s| *s > config.limits.item_timeout_secs)
    {
        missing.push(Missing::ItemTimeout {
            requested: s,
            granted: config.limits.item_timeout_secs,
        });
    }
}

fn unused(manifest: &Manifest, config: &RobotConfig) -> Vec<String> {
    let req = &manifest.requests;
    let mut out = Vec::new();
    if config.grant_log && !req.log {
        out.push("log".to_string());
    }
    if config.grant_state && !req.state {
        out.push("state".to_string());
    }
    for a in config.grant_ds_actions.difference(&req.ds) {
        out.push(format!("DS action `{}`", a.as_str()));
    }
    let names = |kind: &str, granted: Vec<&String>, req: &dyn Fn(&String) -> bool| {
        granted
            .into_iter()
            .filter(|n| !req(n))
            .map(|n| format!("{kind} `{n}`"))
            .collect::<Vec<_>>()
    };
    out.extend(names(
        "browser application",
        config.grant_browser.keys().collect(),
        &|n| req.browser.contains(n),
    ));
    out.extend(names(
        "HTTP host",
        config.grant_http.keys().collect(),
        &|n| req.http.contains(n),
    ));
    out.extend(names("mount", config.grant_mounts.keys().collect(), &|n| {
        req.mounts.contains_key(n)
    }));
    out.extend(names(
        "secret",
        config.grant_secrets.keys().collect(),
        &|n| req.secrets.contains(n),
    ));
    out
}
