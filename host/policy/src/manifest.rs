//! The manifest (`pont.toml`), written by the robot's author: who the robot is
//! and what it requests. It grants nothing by itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::MountAccess;
use crate::error::PolicyError;
use crate::gate::DsAction;
use crate::toml_error;

const WHAT: &str = "manifest";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    robot: RawRobot,
    #[serde(default)]
    requests: RawRequests,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRobot {
    name: String,
    version: String,
    publisher: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    idempotent: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRequests {
    #[serde(default)]
    log: bool,
    #[serde(default)]
    state: bool,
    #[serde(default)]
    ds: Vec<String>,
    #[serde(default)]
    browser: Vec<String>,
    #[serde(default)]
    http: Vec<String>,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    mounts: BTreeMap<String, MountAccess>,
    #[serde(default)]
    limits: RawRequestedLimits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRequestedLimits {
    memory_mb: Option<u32>,
    item_timeout_secs: Option<u32>,
}

/// A validated manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Robot name: lower-case letters, digits and `-`.
    pub name: String,
    pub version: String,
    pub publisher: String,
    pub description: String,
    /// Whether `process` may safely run again on an item a crash interrupted.
    pub idempotent: bool,
    pub requests: Requests,
    /// Where it was read from.
    pub path: PathBuf,
}

/// What a robot asks for. Everything here must be granted for it to start.
#[derive(Debug, Clone, Default)]
pub struct Requests {
    pub log: bool,
    pub state: bool,
    pub ds: BTreeSet<DsAction>,
    /// Browser applications, by the label the robot uses.
    pub browser: BTreeSet<String>,
    /// HTTP hosts, by label.
    pub http: BTreeSet<String>,
    pub secrets: BTreeSet<String>,
    pub mounts: BTreeMap<String, MountAccess>,
    /// Memory the robot needs to run, in MiB.
    pub memory_mb: Option<u32>,
    /// Time one item may need, in seconds.
    pub item_timeout_secs: Option<u32>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            what: WHAT,
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parse manifest text; `path` is only used in messages and kept.
    pub fn parse(text: &str, path: &Path) -> Result<Self, PolicyError> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| PolicyError::Parse {
            what: WHAT,
            path: path.to_owned(),
            message: toml_error::one_line(text, &e),
        })?;
        validate(raw, path)
    }
}

fn invalid(path: &Path, key: &str, message: impl Into<String>) -> PolicyError {
    PolicyError::Invalid {
        what: WHAT,
        path: path.to_owned(),
        key: key.to_string(),
        message: message.into(),
    }
}

/// Names the robot gives to mounts, apps, hosts and secrets: short and plain,
/// so they read well in grants and audit records.
pub(crate) fn check_label(label: &str) -> Result<(), String> {
    let ok = !label.is_empty()
        && label.len() <= 64
        && label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && label.starts_with(|c: char| c.is_ascii_lowercase());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{label}` is not a valid name (lower-case letters, digits, `-` or `_`, starting with a letter, at most 64)"
        ))
    }
}

fn labels(path: &Path, key: &str, list: Vec<String>) -> Result<BTreeSet<String>, PolicyError> {
    let mut set = BTreeSet::new();
    for label in list {
        check_label(&label).map_err(|m| invalid(path, key, m))?;
        if !set.insert(label.clone()) {
            return Err(invalid(path, key, format!("`{label}` is listed twice")));
        }
    }
    Ok(set)
}

fn validate(raw: RawManifest, path: &Path) -> Result<Manifest, PolicyError> {
    let r = raw.robot;
    check_label(&r.name).map_err(|m| invalid(path, "robot.name", m))?;
    if r.version.trim().is_empty() {
        return Err(invalid(path, "robot.version", "must not be empty"));
    }
    if r.publisher.trim().is_empty() {
        return Err(invalid(path, "robot.publisher", "must not be empty"));
    }
    let q = raw.requests;
    let mut ds = BTreeSet::new();
    for name in &q.ds {
        let action = DsAction::parse(name).map_err(|m| invalid(path, "requests.ds", m))?;
        ds.insert(action);
    }
    for name in q.mounts.keys() {
        check_label(name).map_err(|m| invalid(path, "requests.mounts", m))?;
    }
    if q.limits.memory_mb == Some(0) {
        return Err(invalid(
            path,
            "requests.limits.memory-mb",
            "must be at least 1",
        ));
    }
    if q.limits.item_timeout_secs == Some(0) {
        return Err(invalid(
            path,
            "requests.limits.item-timeout-secs",
            "must be at least 1",
        ));
    }
    Ok(Manifest {
        name: r.name,
        version: r.version,
        publisher: r.publisher,
        description: r.description,
        idempotent: r.idempotent,
        requests: Requests {
            log: q.log,
            state: q.state,
            ds,
            browser: labels(path, "requests.browser", q.browser)?,
            http: labels(path, "requests.http", q.http)?,
            secrets: labels(path, "requests.secrets", q.secrets)?,
            mounts: q.mounts,
            memory_mb: q.limits.memory_mb,
            item_timeout_secs: q.limits.item_timeout_secs,
        },
        path: path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, PolicyError> {
        Manifest::parse(text, Path::new("pont.toml"))
    }

    const OK: &str = r#"
[robot]
name = "hello"
version = "0.1.0"
publisher = "Pont"
idempotent = true

[requests]
log = true
state = true
ds = ["read", "accepter"]
browser = ["chorus"]
secrets = ["cps-password"]

[requests.mounts]
reports = "read-write"

[requests.limits]
memory-mb = 32
"#;

    #[test]
    fn parses_a_full_manifest() {
        let m = parse(OK).unwrap();
        assert_eq!(m.name, "hello");
        assert!(m.idempotent);
        assert!(m.requests.ds.contains(&DsAction::Accepter));
        assert_eq!(m.requests.mounts["reports"], MountAccess::ReadWrite);
        assert_eq!(m.requests.memory_mb, Some(32));
    }

    #[test]
    fn unknown_key_is_one_line_and_named() {
        let err = parse(&OK.replace("idempotent = true", "idempotent = true\ncolour = 1"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `colour`"), "{err}");
        assert!(err.contains("line 7"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn unknown_ds_action_is_refused() {
        let err = parse(&OK.replace("\"accepter\"", "\"supprimer\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("requests.ds"), "{err}");
        assert!(err.contains("supprimer"), "{err}");
    }

    #[test]
    fn missing_publisher_is_named() {
        let err = parse(&OK.replace("publisher = \"Pont\"\n", ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("publisher"), "{err}");
    }

    #[test]
    fn bad_labels_are_refused() {
        let err = parse(&OK.replace("\"chorus\"", "\"Chorus App\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("requests.browser"), "{err}");
    }
}
