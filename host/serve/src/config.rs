//! The service config (`service.toml`), in two stages: the raw TOML shape
//! with `deny_unknown_fields`, then validated types the service uses. Paths
//! are taken from the config file's directory, like a robot config's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::ServeError;
use crate::schedule::Schedule;

/// Loopback by default: the API and the metrics are for the host itself or
/// a reverse proxy in front of it (TLS, access control), never bare on a
/// network.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8480";
/// Standard Webhooks' own tolerance for a signed timestamp.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);
/// Names are path segments of the API and metric labels.
const NAME_MAX: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    listen: Option<String>,
    grace_secs: Option<u64>,
    api: Option<RawApi>,
    webhooks: Option<RawWebhooks>,
    #[serde(default)]
    health: RawHealth,
    alerts: Option<RawAlerts>,
    console: Option<RawConsole>,
    #[serde(default, rename = "robot")]
    robots: Vec<RawRobot>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawApi {
    token: RawSecret,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawWebhooks {
    secret: RawSecret,
    tolerance_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawHealth {
    failed_runs: Option<u32>,
    review_threshold: Option<u64>,
    no_success_hours: Option<u64>,
    /// The same limit as a duration (`"90m"`, `"2h 30m"`), finer than hours.
    no_success: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAlerts {
    url: String,
    attempts: Option<u32>,
    timeout_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConsole {
    accounts: PathBuf,
    audit: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSecret {
    env: Option<String>,
    file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRobot {
    name: String,
    config: PathBuf,
    cron: Option<String>,
    timezone: Option<String>,
    every: Option<String>,
    parallel: Option<u16>,
    #[serde(default)]
    allow_unsigned: bool,
}

/// Where a secret (the API token, the webhook secret) is read from; its
/// value is read at load and on reload, and never logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(PathBuf),
}

impl SecretSource {
    /// The value, trimmed of a final newline (files are often written so).
    pub fn read(&self) -> Result<String, String> {
        let value = match self {
            Self::Env(var) => {
                std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?
            }
            Self::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        };
        let value = value.trim_end_matches(['\r', '\n']).to_string();
        if value.is_empty() {
            return Err(format!("{} is empty", self.describe()));
        }
        Ok(value)
    }

    fn describe(&self) -> String {
        match self {
            Self::Env(var) => format!("environment variable {var}"),
            Self::File(path) => format!("file {}", path.display()),
        }
    }
}

/// The validated service config.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub path: PathBuf,
    pub listen: SocketAddr,
    /// How long running items have to finish on a graceful stop.
    pub grace: Duration,
    /// The bearer token of `/api/*`; without it the API answers 401.
    pub api_token: Option<SecretSource>,
    pub webhooks: Option<WebhookConfig>,
    pub health: HealthConfig,
    pub alerts: Option<AlertConfig>,
    pub console: Option<ConsoleConfig>,
    pub robots: Vec<RobotEntry>,
}

/// The web console: its accounts file (`pont user add`) and its own audit
/// file (logins; default `<accounts>.audit.jsonl`).
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub accounts: PathBuf,
    pub audit: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub secret: SecretSource,
    /// How far a signed timestamp may be from now, either way.
    pub tolerance: Duration,
}

/// When a robot is `degraded` (in `/healthz`, the metrics and the alerts).
#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// Degraded when this many of its last runs in a row failed.
    pub failed_runs: u32,
    /// Degraded when its review queue holds more dossiers than this.
    pub review_threshold: Option<u64>,
    /// Degraded when it has not succeeded for this long (counted from the
    /// service's start for a robot that never succeeded).
    pub no_success: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct AlertConfig {
    pub url: reqwest::Url,
    /// Tries per alert (the first included), with a doubling pause.
    pub attempts: u32,
    pub timeout: Duration,
}

/// One robot of the service.
#[derive(Debug, Clone)]
pub struct RobotEntry {
    pub name: String,
    pub config: PathBuf,
    pub schedule: Schedule,
    pub parallel: usize,
    pub allow_unsigned: bool,
}

impl ServiceConfig {
    pub fn load(path: &Path) -> Result<Self, ServeError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServeError::Config(format!("{}: cannot read: {e}", path.display())))?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, ServeError> {
        let bad = |m: String| ServeError::Config(format!("service config {}: {m}", path.display()));
        let raw: Raw = toml::from_str(text).map_err(|e| bad(crate::error::toml_line(text, &e)))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::validate(raw, path, dir).map_err(bad)
    }

    fn validate(raw: Raw, path: &Path, dir: &Path) -> Result<Self, String> {
        let listen = raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        let listen = listen
            .parse()
            .map_err(|_| format!("`listen`: `{listen}` is not an address:port"))?;
        let webhooks = match raw.webhooks {
            Some(w) => Some(WebhookConfig {
                secret: secret(w.secret, dir, "webhooks.secret")?,
                tolerance: w
                    .tolerance_secs
                    .map_or(DEFAULT_TOLERANCE, Duration::from_secs),
            }),
            None => None,
        };
        let robots = raw
            .robots
            .into_iter()
            .map(|r| robot(r, dir))
            .collect::<Result<Vec<_>, _>>()?;
        unique_names(&robots)?;
        Ok(Self {
            path: path.to_owned(),
            listen,
            grace: raw
                .grace_secs
                .map_or(pont_runtime::DEFAULT_GRACE, Duration::from_secs),
            api_token: raw
                .api
                .map(|a| secret(a.token, dir, "api.token"))
                .transpose()?,
            webhooks,
            health: health(raw.health)?,
            alerts: raw.alerts.map(alerts).transpose()?,
            console: raw.console.map(|c| ConsoleConfig {
                accounts: dir.join(c.accounts),
                audit: c.audit.map(|a| dir.join(a)),
            }),
            robots,
        })
    }
}

fn secret(raw: RawSecret, dir: &Path, key: &str) -> Result<SecretSource, String> {
    match (raw.env, raw.file) {
        (Some(env), None) if !env.is_empty() => Ok(SecretSource::Env(env)),
        (None, Some(file)) => Ok(SecretSource::File(dir.join(file))),
        _ => Err(format!("`{key}`: give exactly one of `env` or `file`")),
    }
}

fn health(raw: RawHealth) -> Result<HealthConfig, String> {
    let failed_runs = raw.failed_runs.unwrap_or(1);
    if failed_runs == 0 {
        return Err("`health.failed-runs`: must be at least 1".into());
    }
    Ok(HealthConfig {
        failed_runs,
        review_threshold: raw.review_threshold,
        no_success: no_success(raw.no_success_hours, raw.no_success.as_deref())?,
    })
}

/// `health.no-success-hours` or `health.no-success`, not both.
fn no_success(hours: Option<u64>, text: Option<&str>) -> Result<Option<Duration>, String> {
    match (hours, text) {
        (Some(_), Some(_)) => {
            Err("`health`: give `no-success-hours` or `no-success`, not both".into())
        }
        (Some(h), None) => Ok(Some(Duration::from_secs(h.saturating_mul(3600)))),
        (None, Some(t)) => match humantime::parse_duration(t) {
            Ok(d) if !d.is_zero() => Ok(Some(d)),
            Ok(_) => Err("`health.no-success`: must be above zero".into()),
            Err(e) => Err(format!("`health.no-success`: `{t}`: {e}")),
        },
        (None, None) => Ok(None),
    }
}

fn alerts(raw: RawAlerts) -> Result<AlertConfig, String> {
    let url =
        reqwest::Url::parse(&raw.url).map_err(|e| format!("`alerts.url`: `{}`: {e}", raw.url))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("`alerts.url`: must be an http or https URL".into());
    }
    let attempts = raw.attempts.unwrap_or(3);
    if !(1..=10).contains(&attempts) {
        return Err("`alerts.attempts`: between 1 and 10".into());
    }
    Ok(AlertConfig {
        url,
        attempts,
        timeout: Duration::from_secs(raw.timeout_secs.unwrap_or(10).clamp(1, 120)),
    })
}

fn robot(raw: RawRobot, dir: &Path) -> Result<RobotEntry, String> {
    let name = raw.name;
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if name.is_empty() || name.len() > NAME_MAX || !name.chars().all(valid) {
        return Err(format!(
            "robot `{name}`: a name is 1 to {NAME_MAX} letters, digits, `-` or `_`"
        ));
    }
    let at = |m: String| format!("robot `{name}`: {m}");
    let schedule = Schedule::from_config(
        raw.cron.as_deref(),
        raw.timezone.as_deref(),
        raw.every.as_deref(),
    )
    .map_err(at)?;
    let parallel = raw.parallel.unwrap_or(1);
    if !(1..=64).contains(&parallel) {
        return Err(at("`parallel`: between 1 and 64".into()));
    }
    Ok(RobotEntry {
        config: dir.join(raw.config),
        schedule,
        parallel: usize::from(parallel),
        allow_unsigned: raw.allow_unsigned,
        name,
    })
}

fn unique_names(robots: &[RobotEntry]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for r in robots {
        if !seen.insert(r.name.as_str()) {
            return Err(format!("robot `{}`: the name is used twice", r.name));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServiceConfig, String> {
        ServiceConfig::parse(text, Path::new("/etc/pont/service.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_loopback_thirty_seconds_and_paths_beside_the_config() {
        let c =
            parse("[[robot]]\nname = \"hello\"\nconfig = \"hello/robot.toml\"\nevery = \"15m\"\n")
                .unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert!(c.listen.ip().is_loopback());
        assert_eq!(c.grace, Duration::from_secs(30));
        assert_eq!(c.robots[0].config, Path::new("/etc/pont/hello/robot.toml"));
        assert_eq!(c.robots[0].parallel, 1);
        assert_eq!(c.health.failed_runs, 1);
        assert!(c.api_token.is_none() && c.webhooks.is_none() && c.alerts.is_none());
    }

    #[test]
    fn mistakes_are_one_line_naming_the_key() {
        let cases = [
            ("listen = \"everywhere\"\n", "`listen`"),
            ("lisen = \"127.0.0.1:1\"\n", "lisen"),
            (
                "[api]\ntoken = { env = \"A\", file = \"b\" }\n",
                "`api.token`",
            ),
            ("[alerts]\nurl = \"ftp://x\"\n", "`alerts.url`"),
            ("[health]\nfailed-runs = 0\n", "failed-runs"),
            (
                "[health]\nno-success-hours = 1\nno-success = \"1h\"\n",
                "not both",
            ),
            ("[health]\nno-success = \"soon\"\n", "`health.no-success`"),
            ("[health]\nno-success = \"0s\"\n", "above zero"),
            (
                "[[robot]]\nname = \"x\"\nconfig = \"a\"\nevery = \"1h\"\nparallel = 0\n",
                "`parallel`",
            ),
            (
                "[[robot]]\nname = \"x/y\"\nconfig = \"a\"\nevery = \"1h\"\n",
                "robot `x/y`",
            ),
            (
                "[[robot]]\nname = \"x\"\nconfig = \"a\"\nevery = \"1h\"\n[[robot]]\nname = \"x\"\nconfig = \"b\"\nevery = \"1h\"\n",
                "twice",
            ),
        ];
        for (text, says) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
