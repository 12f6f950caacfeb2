//! The robot config, written by the operator: which plugin, what it is
//! granted, where its endpoints, mounts and secrets are, its limits, and where
//! the journal and the audit log live. Relative paths are taken from the
//! config file's directory, so a config can travel with its files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::PolicyError;
use crate::gate::DsAction;
use crate::manifest::check_label;
use crate::origin::Origin;
use crate::toml_error;

mod approval;
mod limits;
mod queue;
mod secrets;

use approval::RawApproval;
pub use approval::{APPROVABLE, ApprovalConfig, OnReject};
use limits::RawLimits;
pub use limits::{DsLimitSettings, Limits, SheetLimitSettings};
pub use queue::{
    DS_STATES, QueueConfig, QueueOrder, ReportConfig, Reprocess, RetryPolicy, WaitPolicy,
};
use queue::{RawQueue, RawReport};
use secrets::RawSecretGrant;
pub use secrets::SecretGrant;

const WHAT: &str = "robot config";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    plugin: RawPlugin,
    ds: Option<RawDs>,
    #[serde(default)]
    grant: RawGrant,
    #[serde(default)]
    limits: RawLimits,
    paths: RawPaths,
    #[serde(default)]
    queue: RawQueue,
    #[serde(default)]
    report: RawReport,
    #[serde(default)]
    approval: RawApproval,
    #[serde(default)]
    settings: BTreeMap<String, String>,
    /// Egress budgets: destination → most bytes per run.
    #[serde(default)]
    budgets: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPlugin {
    path: PathBuf,
    manifest: Option<PathBuf>,
    sha256: Option<String>,
    #[serde(default)]
    trusted_keys: Vec<String>,
    #[serde(default)]
    trusted_key_files: Vec<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDs {
    endpoint: String,
    token: RawSecretSource,
    instructeur: String,
    requests_per_minute: Option<u32>,
    rate_window_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawGrant {
    #[serde(default)]
    log: bool,
    #[serde(default)]
    state: bool,
    ds: Option<RawDsGrant>,
    #[serde(default)]
    browser: BTreeMap<String, RawBrowserGrant>,
    #[serde(default)]
    http: BTreeMap<String, RawOriginGrant>,
    #[serde(default)]
    mounts: BTreeMap<String, RawMountGrant>,
    #[serde(default)]
    secrets: BTreeMap<String, RawSecretGrant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDsGrant {
    demarches: Vec<i64>,
    actions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawBrowserGrant {
    origin: String,
    stable_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOriginGrant {
    origin: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMountGrant {
    path: PathBuf,
    access: MountAccess,
    quota_mb: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSecretSource {
    env: Option<String>,
    file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPaths {
    journal: PathBuf,
    audit: PathBuf,
    cache: Option<PathBuf>,
}

/// Read-only or read-write access to a mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MountAccess {
    ReadOnly,
    ReadWrite,
}

impl MountAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "read-only",
            Self::ReadWrite => "read-write",
        }
    }
}

/// Where a secret's value comes from. The value itself is read by the host
/// when it is needed and never stored in these types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(PathBuf),
}

/// How the host reaches DS for this robot.
#[derive(Debug, Clone)]
pub struct DsSettings {
    /// The GraphQL endpoint URL.
    pub endpoint: String,
    pub origin: Origin,
    pub token: SecretSource,
    /// E-mail of the instructeur recorded as acting; resolved to an id at start.
    pub instructeur: String,
    /// Client-side request budget for the token (DS allows 400 per minute),
    /// shared by every run on the machine that uses the token.
    pub requests_per_minute: u32,
    /// The window `requests_per_minute` counts in, in seconds: 60, DS's,
    /// unless a shorter one is set to test against a simulator.
    pub rate_window_secs: u64,
}

/// A browser application the operator maps to a real origin.
#[derive(Debug, Clone)]
pub struct BrowserGrant {
    pub origin: Origin,
    /// The attribute this application uses for stable ids (`id`, `data-testid`, `name`…).
    pub stable_id: String,
}

/// An HTTP host the operator maps to a real origin.
#[derive(Debug, Clone)]
pub struct OriginGrant {
    pub origin: Origin,
}

/// A directory the operator mounts for the robot.
#[derive(Debug, Clone)]
pub struct MountGrant {
    pub path: PathBuf,
    pub access: MountAccess,
    pub quota_bytes: Option<u64>,
}

/// Files the host writes for this robot.
#[derive(Debug, Clone)]
pub struct Paths {
    pub journal: PathBuf,
    pub audit: PathBuf,
    /// Compiled-component cache; `None` means the user's cache directory.
    pub cache: Option<PathBuf>,
}

/// A validated robot config.
#[derive(Debug, Clone)]
pub struct RobotConfig {
    pub path: PathBuf,
    pub plugin: PathBuf,
    pub manifest: PathBuf,
    /// The plugin's SHA-256 as the operator pinned it (lower-case hex).
    pub sha256: Option<String>,
    /// Public keys (minisign's base64 line) whose signatures the operator
    /// trusts; checked by the runtime with `pont-trust`.
    pub trusted_keys: Vec<String>,
    /// Public key files (minisign's format) whose signatures the operator
    /// trusts, resolved against the config's directory. Read at each run, so
    /// a publisher's key can be distributed as a file instead of pasted in.
    pub trusted_key_files: Vec<PathBuf>,
    pub ds: Option<DsSettings>,
    pub grant_log: bool,
    pub grant_state: bool,
    pub grant_ds_demarches: BTreeSet<i64>,
    pub grant_ds_actions: BTreeSet<DsAction>,
    pub grant_browser: BTreeMap<String, BrowserGrant>,
    pub grant_http: BTreeMap<String, OriginGrant>,
    pub grant_mounts: BTreeMap<String, MountGrant>,
    pub grant_secrets: BTreeMap<String, SecretGrant>,
    pub limits: Limits,
    pub paths: Paths,
    pub queue: QueueConfig,
    pub report: ReportConfig,
    /// DS decisions the robot may only propose (`[approval]`).
    pub approval: ApprovalConfig,
    /// Operator settings handed to the robot's `init` (never secrets).
    pub settings: BTreeMap<String, String>,
    /// Most bytes a run may send per destination: `ds`, `mount.<name>` or an
    /// HTTP origin. Destinations not listed are not limited.
    pub budgets: BTreeMap<String, u64>,
}

impl RobotConfig {
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            what: WHAT,
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parse config text; relative paths are resolved against `path`'s directory.
    pub fn parse(text: &str, path: &Path) -> Result<Self, PolicyError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| PolicyError::Parse {
            what: WHAT,
            path: path.to_owned(),
            message: toml_error::one_line(text, &e),
        })?;
        Validator { path }.config(raw)
    }
}

struct Validator<'a> {
    path: &'a Path,
}

impl Validator<'_> {
    fn err(&self, key: &str, message: impl Into<String>) -> PolicyError {
        PolicyError::Invalid {
            what: WHAT,
            path: self.path.to_owned(),
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            return p.to_owned();
        }
        let base = self.path.parent().unwrap_or_else(|| Path::new("."));
        base.join(p)
    }

    fn origin(&self, key: &str, text: &str) -> Result<Origin, PolicyError> {
        Origin::parse(text).map_err(|m| self.err(key, m))
    }

    fn label(&self, key: &str, label: &str) -> Result<(), PolicyError> {
        check_label(label).map_err(|m| self.err(key, m))
    }

    fn config(&self, raw: RawConfig) -> Result<RobotConfig, PolicyError> {
        let plugin = self.resolve(&raw.plugin.path);
        let manifest = match &raw.plugin.manifest {
            Some(m) => self.resolve(m),
            None => plugin.with_file_name("pont.toml"),
        };
        let sha256 = raw.plugin.sha256.map(|s| self.sha256(&s)).transpose()?;
        let ds = raw.ds.map(|d| self.ds(d)).transpose()?;
        let mut grant = raw.grant;
        let (demarches, actions) = self.ds_grant(grant.ds.take())?;
        if !actions.is_empty() && ds.is_none() {
            return Err(self.err(
                "grant.ds",
                "DS actions are granted but there is no [ds] section",
            ));
        }
        let queue = self.queue(raw.queue, &demarches)?;
        let grant_mounts = self.mounts(grant.mounts)?;
        let grant_http = self.http(grant.http)?;
        let grant_browser = self.browser(grant.browser)?;
        let budgets = self.budgets(raw.budgets, &grant_mounts)?;
        Ok(RobotConfig {
            path: self.path.to_owned(),
            plugin,
            manifest,
            sha256,
            trusted_keys: self.trusted_keys(raw.plugin.trusted_keys)?,
            trusted_key_files: raw
                .plugin
                .trusted_key_files
                .iter()
                .map(|p| self.resolve(p))
                .collect(),
            ds,
            grant_log: grant.log,
            grant_state: grant.state,
            grant_ds_demarches: demarches,
            grant_ds_actions: actions.clone(),
            grant_secrets: self.secrets(grant.secrets, &grant_browser, &grant_http)?,
            grant_browser,
            grant_http,
            grant_mounts,
            limits: self.limits(raw.limits)?,
            paths: Paths {
                journal: self.resolve(&raw.paths.journal),
                audit: self.resolve(&raw.paths.audit),
                cache: raw.paths.cache.map(|c| self.resolve(&c)),
            },
            queue,
            report: self.report(raw.report)?,
            approval: self.approval(raw.approval, &actions)?,
            settings: raw.settings,
            budgets,
        })
    }

    /// `[budgets]` keys are `ds`, `mount.<granted mount>` or an origin (HTTP
    /// or browser: one budget per origin); the values are byte counts.
    /// Origins are normalised so they compare with the origins requests go to.
    fn budgets(
        &self,
        raw: BTreeMap<String, u64>,
        mounts: &BTreeMap<String, MountGrant>,
    ) -> Result<BTreeMap<String, u64>, PolicyError> {
        let mut out = BTreeMap::new();
        for (key, bytes) in raw {
            let at = format!("budgets.{key}");
            let dest = if key == crate::budget::DS_DESTINATION {
                key
            } else if let Some(mount) = key.strip_prefix("mount.") {
                if !mounts.contains_key(mount) {
                    return Err(self.err(&at, format!("mount `{mount}` is not granted")));
                }
                key
            } else if key.contains("://") {
                self.origin(&at, &key)?.to_string()
            } else {
                return Err(self.err(
                    &at,
                    "expected `ds`, `mount.<name>` or an origin such as \"https://api.example.fr\"",
                ));
            };
            out.insert(dest, bytes);
        }
        Ok(out)
    }

    fn sha256(&self, s: &str) -> Result<String, PolicyError> {
        let s = s.trim().to_ascii_lowercase();
        if s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(s)
        } else {
            Err(self.err("plugin.sha256", "expected 64 hexadecimal digits"))
        }
    }

    fn trusted_keys(&self, keys: Vec<String>) -> Result<Vec<String>, PolicyError> {
        keys.into_iter()
            .map(|k| {
                let k = k.trim().to_string();
                let plausible = k.len() == 56
                    && k.starts_with("RW")
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c));
                if plausible {
                    Ok(k)
                } else {
                    Err(self.err(
                        "plugin.trusted-keys",
                        format!("`{k}` is not a minisign public key line (RW…, 56 characters)"),
                    ))
                }
            })
            .collect()
    }

    fn ds(&self, d: RawDs) -> Result<DsSettings, PolicyError> {
        let origin = self.origin("ds.endpoint", &d.endpoint)?;
        if !d.instructeur.contains('@') {
            return Err(self.err(
                "ds.instructeur",
                "expected the instructeur's e-mail address",
            ));
        }
        let rpm = d.requests_per_minute.unwrap_or(400);
        if rpm == 0 {
            return Err(self.err("ds.requests-per-minute", "must be at least 1"));
        }
        let window = d.rate_window_secs.unwrap_or(60);
        if !(1..=3600).contains(&window) {
            return Err(self.err("ds.rate-window-secs", "must be between 1 and 3600"));
        }
        Ok(DsSettings {
            endpoint: d.endpoint,
            origin,
            token: self.secret_source("ds.token", d.token)?,
            instructeur: d.instructeur,
            requests_per_minute: rpm,
            rate_window_secs: window,
        })
    }

    fn ds_grant(
        &self,
        g: Option<RawDsGrant>,
    ) -> Result<(BTreeSet<i64>, BTreeSet<DsAction>), PolicyError> {
        let Some(g) = g else {
            return Ok(Default::default());
        };
        let mut demarches = BTreeSet::new();
        for n in g.demarches {
            if n <= 0 {
                return Err(self.err(
                    "grant.ds.demarches",
                    format!("`{n}` is not a démarche number"),
                ));
            }
            demarches.insert(n);
        }
        let mut actions = BTreeSet::new();
        for a in &g.actions {
            actions.insert(DsAction::parse(a).map_err(|m| self.err("grant.ds.actions", m))?);
        }
        Ok((demarches, actions))
    }

    fn browser(
        &self,
        raw: BTreeMap<String, RawBrowserGrant>,
    ) -> Result<BTreeMap<String, BrowserGrant>, PolicyError> {
        let mut out = BTreeMap::new();
        for (name, g) in raw {
            let key = format!("grant.browser.{name}");
            self.label(&key, &name)?;
            let stable_id = g.stable_id.unwrap_or_else(|| "id".to_string());
            if stable_id.is_empty() || stable_id.contains(|c: char| c.is_whitespace() || c == '"') {
                return Err(self.err(&format!("{key}.stable-id"), "not an attribute name"));
            }
            let origin = self.origin(&format!("{key}.origin"), &g.origin)?;
            out.insert(name, BrowserGrant { origin, stable_id });
        }
        Ok(out)
    }

    fn http(
        &self,
        raw: BTreeMap<String, RawOriginGrant>,
    ) -> Result<BTreeMap<String, OriginGrant>, PolicyError> {
        let mut out = BTreeMap::new();
        for (name, g) in raw {
            let key = format!("grant.http.{name}");
            self.label(&key, &name)?;
            let origin = self.origin(&format!("{key}.origin"), &g.origin)?;
            out.insert(name, OriginGrant { origin });
        }
        Ok(out)
    }

    fn mounts(
        &self,
        raw: BTreeMap<String, RawMountGrant>,
    ) -> Result<BTreeMap<String, MountGrant>, PolicyError> {
        let mut out = BTreeMap::new();
        for (name, g) in raw {
            let key = format!("grant.mounts.{name}");
            self.label(&key, &name)?;
            if g.path.as_os_str().is_empty() {
                return Err(self.err(&format!("{key}.path"), "must not be empty"));
            }
            let quota_bytes = g.quota_mb.map(|mb| mb.saturating_mul(1024 * 1024));
            out.insert(
                name,
                MountGrant {
                    path: self.resolve(&g.path),
                    access: g.access,
                    quota_bytes,
                },
            );
        }
        Ok(out)
    }

    fn secret_source(&self, key: &str, s: RawSecretSource) -> Result<SecretSource, PolicyError> {
        match (s.env, s.file) {
            (Some(env), None) if !env.is_empty() => Ok(SecretSource::Env(env)),
            (None, Some(file)) => Ok(SecretSource::File(self.resolve(&file))),
            _ => Err(self.err(key, "give exactly one of `env` or `file`")),
        }
    }
}

#[cfg(test)]
mod tests;
