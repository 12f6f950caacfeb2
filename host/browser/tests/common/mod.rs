//! Shared helpers of the browser tests: a browser with a small session cap, sessions allowed
//! on given origins with their proxy events collected, and a process check.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pont_browser::{
    AllowList, Browser, BrowserConfig, BrowserError, Element, Locator, Origin, ProxyEvent, Session,
    SessionOptions, TableData, Traffic,
};
use pont_policy::{Action, BrowserGrant, EffectivePolicy, Gate, Permit};

type Res<T> = Result<T, BrowserError>;

pub async fn browser() -> Browser {
    let config = BrowserConfig {
        max_sessions: 2,
        action_timeout: Duration::from_secs(5),
        ..BrowserConfig::default()
    };
    Browser::launch(config)
        .await
        .unwrap_or_else(|e| panic!("launch: {e}"))
}

/// Proxy events of one session.
pub type Events = Arc<Mutex<Vec<ProxyEvent>>>;

pub fn events_of(events: &Events) -> Vec<ProxyEvent> {
    events.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Permits from a real gate, the only kind the crate takes: `app`'s (the application every
/// test session is opened for), and one to navigate to any origin a test names.
pub struct Grants {
    dir: tempfile::TempDir,
    seq: AtomicUsize,
    pub app: Arc<Permit>,
}

impl Grants {
    pub fn new() -> Grants {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let gate = gate_for(dir.path(), 0, "http://127.0.0.1:9");
        let app = gate
            .authorize(None, &Action::BrowserOpen { app: "app" })
            .unwrap_or_else(|e| panic!("{e}"));
        Grants {
            dir,
            seq: AtomicUsize::new(1),
            app: Arc::new(app),
        }
    }

    /// The gate's permit to navigate to `url`'s origin (granted for the asking).
    pub fn goto(&self, url: &str) -> Permit {
        let origin = pont_policy::Origin::parse(url).unwrap_or_else(|e| panic!("{e}"));
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        gate_for(self.dir.path(), n, &origin.to_string())
            .authorize(None, &Action::BrowserGoto { origin: &origin })
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Default for Grants {
    fn default() -> Self {
        Self::new()
    }
}

/// A gate granting application `app` on `origin`, auditing to its own file.
fn gate_for(dir: &Path, n: usize, origin: &str) -> Gate {
    let mut policy = EffectivePolicy::ds_only("browser-tests", &[], &[]);
    let grant = BrowserGrant {
        origin: pont_policy::Origin::parse(origin).unwrap_or_else(|e| panic!("{e}")),
        stable_id: "id".into(),
    };
    policy.browser.insert("app".into(), grant);
    Gate::for_tool(
        "browser-tests",
        policy,
        &dir.join(format!("audit-{n}.jsonl")),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A session with the gate's permits at hand: the session's API, minus the permit
/// arguments, for tests about what the browser does rather than about permits.
pub struct Tab {
    pub s: Session,
    pub grants: Grants,
}

/// An element of a [`Tab`], with its session's permit.
pub struct El {
    pub el: Element,
    app: Arc<Permit>,
}

impl Tab {
    pub async fn goto(&self, url: &str) -> Res<()> {
        self.s.goto(&self.grants.goto(url), url).await
    }
    pub async fn find(&self, l: &Locator) -> Res<El> {
        let el = self.s.find(&self.grants.app, l).await?;
        Ok(self.el(el))
    }
    pub async fn wait_for(&self, l: &Locator, t: Duration) -> Res<El> {
        let el = self.s.wait_for(&self.grants.app, l, t).await?;
        Ok(self.el(el))
    }
    fn el(&self, el: Element) -> El {
        El {
            el,
            app: self.grants.app.clone(),
        }
    }
    pub async fn screenshot(&self) -> Res<Vec<u8>> {
        self.s.screenshot(&self.grants.app).await
    }
    pub async fn expect_download(&self, t: Duration) -> Res<PathBuf> {
        self.s.expect_download(&self.grants.app, t).await
    }
    pub async fn current_url(&self) -> Res<String> {
        self.s.current_url(&self.grants.app).await
    }
    pub fn actions(&self) -> u64 {
        self.s.actions()
    }
    pub fn traffic(&self) -> HashMap<Origin, Traffic> {
        self.s.traffic()
    }
    pub fn download_dir(&self) -> &Path {
        self.s.download_dir()
    }
    pub async fn close(self) {
        self.s.close().await
    }
}

impl El {
    pub async fn click(&self) -> Res<()> {
        self.el.click(&self.app).await
    }
    pub async fn fill(&self, text: &str) -> Res<()> {
        self.el.fill(&self.app, text).await
    }
    pub async fn select(&self, choice: &str) -> Res<()> {
        self.el.select(&self.app, choice).await
    }
    pub async fn upload(&self, path: &Path) -> Res<()> {
        self.el.upload(&self.app, path).await
    }
    pub async fn text(&self) -> Res<String> {
        self.el.text(&self.app).await
    }
    pub async fn attribute(&self, name: &str) -> Res<Option<String>> {
        self.el.attribute(&self.app, name).await
    }
    pub async fn read_table(&self) -> Res<TableData> {
        self.el.read_table(&self.app).await
    }
}

/// A session allowed on `origins`, stable ids in `id`, with its event log.
pub async fn session(browser: &Browser, origins: &[&str]) -> (Tab, Events) {
    session_with(browser, origins, None).await
}

pub async fn session_with(
    browser: &Browser,
    origins: &[&str],
    timeout: Option<Duration>,
) -> (Tab, Events) {
    let policy = AllowList::from_urls(origins.iter().copied()).unwrap_or_else(|e| panic!("{e}"));
    let events: Events = Arc::default();
    let sink = events.clone();
    let mut opts = SessionOptions::new(Arc::new(policy));
    opts.events = Arc::new(move |e: &ProxyEvent| {
        sink.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e.clone())
    });
    opts.action_timeout = timeout;
    let grants = Grants::new();
    let s = browser
        .open_session(&grants.app, opts)
        .await
        .unwrap_or_else(|e| panic!("open session: {e}"));
    (Tab { s, grants }, events)
}

/// Live (non-zombie) processes whose command line contains `needle`.
pub fn live_processes_naming(needle: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .filter(|cmd| cmd.contains(needle))
        .collect()
}

/// Whether `pid` is a live process (absent or zombie counts as dead).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        }
        Err(_) => false,
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
