//! What the console is built from: the accounts file, the robots it shows
//! (each one's journal, audit file and budgets), and a [`ServiceView`] for
//! what only the running service knows.
//!
//! A robot given by its config is read once, when the state is built, and
//! only for what the console shows: the manifest's name (the journal's key),
//! the journal and audit paths, the `[budgets]` and `[approval] on-reject`.
//! The rest of the config, secret sources and settings included, is dropped
//! there, so no secret nor its location can reach a page. The config's own
//! path is kept, never shown, for the runtime to send the decisions agents
//! approve ([`pont_runtime::approval::execute_approved`] reads it then).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pont_policy::{Manifest, OnReject, RobotConfig};
use pont_runtime::journal::Journal;

use crate::accounts::Accounts;
use crate::audit::ConsoleAudit;
use crate::session::{Lifetimes, Sessions};

/// What only the service knows about its robots. `robot` is the name the
/// console shows ([`RobotEntry::name`]).
pub trait ServiceView: Send + Sync + 'static {
    /// When the robot's next run is due, if it has a schedule.
    fn next_run(&self, robot: &str) -> Option<DateTime<Utc>>;
    /// Whether a run of the robot is going.
    fn is_running(&self, robot: &str) -> bool;
    /// Ask for a run of the robot soon, after an agent put a dossier back
    /// in its queue. Returns whether one will start (the default: no, the
    /// next scheduled run takes the dossier).
    fn request_run(&self, robot: &str) -> bool {
        let _ = robot;
        false
    }
}

/// A service that knows nothing: no schedule, no run going (tests, and a
/// console served without the scheduler).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoService;

impl ServiceView for NoService {
    fn next_run(&self, _robot: &str) -> Option<DateTime<Utc>> {
        None
    }

    fn is_running(&self, _robot: &str) -> bool {
        false
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(
        "robot name `{0}`: use letters, digits, `.`, `_` or `-` (it is part of the console's addresses)"
    )]
    BadRobotName(String),
    #[error("robot `{0}` is listed twice")]
    DuplicateRobot(String),
    #[error("robot `{name}`: {message}")]
    Config { name: String, message: String },
}

/// One robot as the console sees it.
#[derive(Debug, Clone)]
pub struct RobotEntry {
    /// The name in the console's addresses and pages (the service's name).
    pub name: String,
    /// The name its journal keys the queue by (the manifest's `name`).
    pub journal_robot: String,
    pub journal: PathBuf,
    pub audit: PathBuf,
    /// The config's `[budgets]`, per destination.
    pub budgets: BTreeMap<String, u64>,
    /// The robot config, when the robot was given by one: approved
    /// proposals are sent with it. Never rendered.
    pub config: Option<PathBuf>,
    /// Where a rejected proposal's dossier goes (`[approval] on-reject`).
    pub on_reject: OnReject,
}

fn check_name(name: &str) -> Result<(), ConsoleError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ConsoleError::BadRobotName(name.to_string()))
    }
}

impl RobotEntry {
    /// A robot from its robot config (and the manifest it names).
    pub fn from_config(name: &str, config: &Path) -> Result<Self, ConsoleError> {
        check_name(name)?;
        let err = |e: pont_policy::PolicyError| ConsoleError::Config {
            name: name.to_string(),
            message: e.to_string(),
        };
        let cfg = RobotConfig::load(config).map_err(err)?;
        let manifest = Manifest::load(&cfg.manifest).map_err(err)?;
        Ok(Self {
            name: name.to_string(),
            journal_robot: manifest.name,
            journal: cfg.paths.journal,
            audit: cfg.paths.audit,
            budgets: cfg.budgets,
            config: Some(config.to_owned()),
            on_reject: cfg.approval.on_reject,
        })
    }

    /// A robot from the paths its config resolves to; `journal_robot` is
    /// the manifest's name, which keys its rows in the journal.
    pub fn from_paths(
        name: &str,
        journal_robot: &str,
        journal: &Path,
        audit: &Path,
    ) -> Result<Self, ConsoleError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_string(),
            journal_robot: journal_robot.to_string(),
            journal: journal.to_owned(),
            audit: audit.to_owned(),
            budgets: BTreeMap::new(),
            config: None,
            on_reject: OnReject::default(),
        })
    }
}

/// Everything the console's handlers share. Cheap to clone.
#[derive(Clone)]
pub struct ConsoleState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub accounts: Accounts,
    pub robots: RwLock<Arc<Vec<RobotEntry>>>,
    pub service: Arc<dyn ServiceView>,
    pub sessions: Sessions,
    pub audit: ConsoleAudit,
    pub secure_cookies: bool,
    pub templates: minijinja::Environment<'static>,
    /// Journals opened so far, by robot name (a journal is opened only once
    /// its file exists: the console never creates one).
    pub journals: Mutex<HashMap<String, Journal>>,
    /// Password checks at once: argon2 costs 19 MiB and tens of
    /// milliseconds each, and the machine has few cores.
    pub logins: tokio::sync::Semaphore,
}

/// How to build a [`ConsoleState`] beyond its three required parts.
#[derive(Debug, Clone)]
pub struct Options {
    /// The console's own audit file (logins and logouts). Default: beside
    /// the accounts file, `<accounts>.audit.jsonl`.
    pub audit: Option<PathBuf>,
    /// Whether cookies carry `Secure`. Default: yes; see
    /// [`Options::for_listen_addr`].
    pub secure_cookies: bool,
    pub lifetimes: Lifetimes,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            audit: None,
            secure_cookies: true,
            lifetimes: Lifetimes::default(),
        }
    }
}

impl Options {
    /// Cookies are `Secure` unless the service listens on loopback, where a
    /// browser on the same machine speaks plain HTTP (behind a reverse proxy
    /// that terminates TLS, the service listens on loopback too, and the
    /// browser sees HTTPS: the proxy should then add `Secure`).
    pub fn for_listen_addr(addr: SocketAddr) -> Self {
        Self {
            secure_cookies: !addr.ip().is_loopback(),
            ..Self::default()
        }
    }
}

fn default_audit(accounts: &Path) -> PathBuf {
    let mut name = accounts.file_name().unwrap_or_default().to_os_string();
    name.push(".audit.jsonl");
    accounts.with_file_name(name)
}

fn check_robots(robots: &[RobotEntry]) -> Result<(), ConsoleError> {
    let mut seen = std::collections::HashSet::new();
    for r in robots {
        check_name(&r.name)?;
        if !seen.insert(r.name.as_str()) {
            return Err(ConsoleError::DuplicateRobot(r.name.clone()));
        }
    }
    Ok(())
}

impl ConsoleState {
    pub fn new(
        accounts: &Path,
        robots: Vec<RobotEntry>,
        service: Arc<dyn ServiceView>,
    ) -> Result<Self, ConsoleError> {
        Self::with_options(accounts, robots, service, Options::default())
    }

    pub fn with_options(
        accounts: &Path,
        robots: Vec<RobotEntry>,
        service: Arc<dyn ServiceView>,
        options: Options,
    ) -> Result<Self, ConsoleError> {
        check_robots(&robots)?;
        let audit = options.audit.unwrap_or_else(|| default_audit(accounts));
        let inner = Inner {
            accounts: Accounts::new(accounts),
            robots: RwLock::new(Arc::new(robots)),
            service,
            sessions: Sessions::new(options.lifetimes),
            audit: ConsoleAudit::new(&audit),
            secure_cookies: options.secure_cookies,
            templates: crate::pages::templates(),
            journals: Mutex::new(HashMap::new()),
            logins: tokio::sync::Semaphore::new(2),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Replace the robots shown (the service's config reload); sessions
    /// are kept.
    pub fn replace_robots(&self, robots: Vec<RobotEntry>) -> Result<(), ConsoleError> {
        check_robots(&robots)?;
        *self.inner.robots.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(robots);
        self.inner
            .journals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Ok(())
    }

    pub(crate) fn robots(&self) -> Arc<Vec<RobotEntry>> {
        self.inner
            .robots
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn robot(&self, name: &str) -> Option<RobotEntry> {
        self.robots().iter().find(|r| r.name == name).cloned()
    }

    /// The robot's journal, or `None` while it has never run.
    pub(crate) fn journal(&self, robot: &RobotEntry) -> rusqlite::Result<Option<Journal>> {
        let mut open = self
            .inner
            .journals
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(j) = open.get(&robot.name) {
            return Ok(Some(j.clone()));
        }
        if !robot.journal.is_file() {
            return Ok(None);
        }
        let j = Journal::open(&robot.journal)?;
        open.insert(robot.name.clone(), j.clone());
        Ok(Some(j))
    }

    /// Sessions held now, anonymous ones included.
    pub fn session_count(&self) -> usize {
        self.inner.sessions.len()
    }
}

/// A duration for people: `3 min 20 s`, `850 ms`.
pub(crate) fn human_duration(ms: u64) -> String {
    let d = Duration::from_millis(ms);
    match d.as_secs() {
        0 => format!("{ms} ms"),
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}
