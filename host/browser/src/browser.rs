//! The host-managed browser (DESIGN §5.6): one chromedriver per [`Browser`], one headless
//! Chromium per [`Session`], each session behind its own filtering proxy with a fresh profile
//! and its own download spool. Everything the browser starts dies with it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pont_policy::Permit;
use serde_json::json;
use thirtyfour::prelude::*;
use tokio::sync::Semaphore;

use crate::driver::Driver;
use crate::error::{BrowserError, Result};
use crate::locator::valid_attr_name;
use crate::origin::OriginPolicy;
use crate::procs;
use crate::proxy::{Proxy, ProxyEventSink};
use crate::sandbox::{Confinement, Staging};
use crate::session::{Session, SessionParts};

/// How the browser is started. The defaults match the Debian packages on the host.
#[derive(Debug, Clone)]
pub struct BrowserConfig {
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
    /// Concurrent sessions allowed; opening one more waits for a free one
    /// up to `session_wait`, then is a [`BrowserError::Limit`].
    pub max_sessions: usize,
    /// How long opening a session waits for a free one (zero: not at all).
    /// Robots sharing the browser queue instead of failing; the item's own
    /// deadline bounds the wait too.
    pub session_wait: Duration,
    /// Where downloads land, one sub-directory per session. `None`: inside the browser's
    /// private temp directory (removed with the browser). Chromium writes there as the
    /// browser's account ([`BrowserConfig::user`]), so a directory given here must be one that
    /// account can reach.
    pub spool_dir: Option<PathBuf>,
    /// Default wait for an element to exist, be visible and enabled.
    pub action_timeout: Duration,
    /// Bound of a navigation (WebDriver page-load timeout).
    pub page_load_timeout: Duration,
    /// The unprivileged account chromedriver and Chromium run as when the host is root
    /// (`nobody` by default; `scripts/setup` documents a dedicated one).
    pub user: String,
    /// util-linux `setpriv`, used to switch account and set parent-death signals.
    pub setpriv: PathBuf,
    /// Chromium's own sandbox. Off (`--no-sandbox`) only as a fallback for a kernel without
    /// unprivileged user namespaces, where Chromium cannot start sandboxed.
    pub chromium_sandbox: bool,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        BrowserConfig {
            chromedriver: "/usr/bin/chromedriver".into(),
            chromium: "/usr/bin/chromium".into(),
            max_sessions: 4,
            session_wait: Duration::ZERO,
            spool_dir: None,
            action_timeout: Duration::from_secs(5),
            page_load_timeout: Duration::from_secs(30),
            user: "nobody".into(),
            setpriv: "/usr/bin/setpriv".into(),
            chromium_sandbox: true,
        }
    }
}

/// Per-session settings: what the session may reach and how its application marks elements.
pub struct SessionOptions {
    /// Decides each origin the browser tries to reach (pages, scripts, fetches, downloads).
    pub policy: Arc<dyn OriginPolicy>,
    /// Receives one event per proxied connection or denial.
    pub events: Arc<dyn ProxyEventSink>,
    /// Attribute used by [`crate::Locator::StableId`] (`id`, `data-testid`, `name`, ...).
    pub stable_id_attr: String,
    /// Overrides [`BrowserConfig::action_timeout`] for this session.
    pub action_timeout: Option<Duration>,
}

impl SessionOptions {
    /// Options with `id` as the stable-id attribute and events dropped.
    pub fn new(policy: Arc<dyn OriginPolicy>) -> SessionOptions {
        SessionOptions {
            policy,
            events: Arc::new(|_: &crate::ProxyEvent| {}),
            stable_id_attr: "id".into(),
            action_timeout: None,
        }
    }
}

/// A running chromedriver able to open locked-down Chromium sessions.
pub struct Browser {
    config: BrowserConfig,
    slots: Arc<Semaphore>,
    next_id: AtomicU64,
    spool: PathBuf,
    confine: Confinement,
    /// What chromedriver starts instead of Chromium (see [`Confinement::chromium_launcher`]).
    chromium: PathBuf,
    // Field order matters for Drop: the driver (and its process group) goes before the
    // directories its browsers write into and start from.
    driver: Driver,
    root: tempfile::TempDir,
    _launcher: tempfile::TempDir,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("root", &self.root.path())
            .finish()
    }
}

impl Browser {
    /// Starts chromedriver and waits (bounded) until it accepts sessions.
    #[tracing::instrument(name = "browser.launch", skip_all)]
    pub async fn launch(config: BrowserConfig) -> Result<Browser> {
        if config.max_sessions == 0 {
            return Err(BrowserError::Limit("max_sessions is 0".into()));
        }
        let confine = Confinement::for_host(&config.user, &config.setpriv)?;
        let root = tempfile::Builder::new().prefix("pont-browser-").tempdir()?;
        confine.prepare_home(root.path())?;
        let spool = match &config.spool_dir {
            Some(dir) => dir.clone(),
            None => root.path().join("spool"),
        };
        std::fs::create_dir_all(&spool)?;
        confine.give(&spool)?;
        let launcher = launcher_dir()?;
        let chromium = confine.chromium_launcher(launcher.path(), &config.chromium)?;
        let driver = Driver::start(&config.chromedriver, root.path(), &confine).await?;
        Ok(Browser {
            slots: Arc::new(Semaphore::new(config.max_sessions)),
            config,
            next_id: AtomicU64::new(1),
            spool,
            confine,
            chromium,
            driver,
            root,
            _launcher: launcher,
        })
    }

    /// The private directory holding every session's profile; any process naming it belongs
    /// to this browser (tests use it to check nothing outlives the browser).
    pub fn root_dir(&self) -> &Path {
        self.root.path()
    }

    /// Chromedriver's process id.
    pub fn driver_pid(&self) -> Option<u32> {
        self.driver.pid()
    }

    /// A session slot: at once, or the first to free up within `session_wait`.
    async fn free_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        let full = || {
            BrowserError::Limit(format!(
                "{} browser sessions open (waited {} ms for one)",
                self.config.max_sessions,
                self.config.session_wait.as_millis()
            ))
        };
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Ok(slot);
        }
        match tokio::time::timeout(self.config.session_wait, self.slots.clone().acquire_owned())
            .await
        {
            Ok(Ok(slot)) => Ok(slot),
            _ => Err(full()),
        }
    }

    /// Opens a session for the application of the gate's `browser.open` permit: its proxy,
    /// a fresh profile, a Chromium behind both. The session's operations take that permit.
    #[tracing::instrument(name = "browser.open_session", skip_all)]
    pub async fn open_session(&self, permit: &Permit, opts: SessionOptions) -> Result<Session> {
        let app = crate::permit::open(permit)?;
        if !valid_attr_name(&opts.stable_id_attr) {
            return Err(BrowserError::Unsupported(
                "invalid stable-id attribute".into(),
            ));
        }
        let slot = self.free_slot().await?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let profile = tempfile::Builder::new()
            .prefix(&format!("session-{id}-"))
            .tempdir_in(self.root.path())?;
        self.confine.give(profile.path())?;
        let downloads = self
            .spool
            .join(format!("session-{id}-{}", std::process::id()));
        std::fs::create_dir_all(&downloads)?;
        self.confine.give(&downloads)?;
        let staging = Staging::new(profile.path().join("pont-uploads"), self.confine.clone());
        let proxy = Proxy::start(opts.policy.clone(), opts.events.clone()).await?;
        let caps = capabilities(
            &self.config,
            &self.chromium,
            profile.path(),
            &downloads,
            proxy.addr().port(),
        )?;
        let driver = WebDriver::new(self.driver.url(), caps).await.map_err(|e| {
            procs::kill_with_arg(&profile.path().to_string_lossy());
            BrowserError::Launch(e.to_string())
        })?;
        driver
            .set_page_load_timeout(self.config.page_load_timeout)
            .await?;
        Ok(Session::new(SessionParts {
            app,
            driver,
            proxy,
            profile,
            downloads,
            policy: opts.policy,
            staging,
            stable_attr: opts.stable_id_attr,
            timeout: opts.action_timeout.unwrap_or(self.config.action_timeout),
            slot,
        }))
    }

    /// Stops chromedriver and kills every Chromium it started. Same as dropping, spelled out.
    pub async fn shutdown(self) {
        let root = self.root.path().to_string_lossy().into_owned();
        let _ = tokio::task::spawn_blocking(move || procs::kill_with_arg(&root)).await;
        drop(self);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        procs::kill_with_arg(&self.root.path().to_string_lossy());
    }
}

/// A root-owned directory the browser's account may enter but not change, for the launcher
/// script: Chromium, even compromised, cannot rewrite how the next one is started.
fn launcher_dir() -> Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("pont-browser-bin-")
        .tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    Ok(dir)
}

/// Chromium's switches and prefs: headless, sandboxed, no background networking, fresh
/// profile, every request (loopback included) through the session's proxy, downloads into the
/// spool.
fn capabilities(
    config: &BrowserConfig,
    chromium: &Path,
    profile: &Path,
    downloads: &Path,
    proxy_port: u16,
) -> Result<Capabilities> {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(&chromium.to_string_lossy())?;
    if !config.chromium_sandbox {
        tracing::warn!("Chromium's sandbox is off (chromium_sandbox = false)");
        caps.add_arg("--no-sandbox")?;
    }
    let args = [
        "--headless=new".to_owned(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-default-apps".into(),
        "--disable-extensions".into(),
        "--disable-sync".into(),
        "--disable-client-side-phishing-detection".into(),
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication"
            .into(),
        "--metrics-recording-only".into(),
        "--no-first-run".into(),
        "--no-default-browser-check".into(),
        "--password-store=basic".into(),
        "--disable-quic".into(),
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp".into(),
        "--window-size=1280,1024".into(),
        format!("--user-data-dir={}", profile.display()),
        format!("--proxy-server=http://127.0.0.1:{proxy_port}"),
        "--proxy-bypass-list=<-loopback>".into(),
    ];
    for a in &args {
        caps.add_arg(a)?;
    }
    let prefs = json!({
        "download.default_directory": downloads.to_string_lossy(),
        "download.prompt_for_download": false,
        "download.directory_upgrade": true,
        "safebrowsing.enabled": false,
        "plugins.always_open_pdf_externally": true,
        "credentials_enable_service": false,
        "profile.password_manager_enabled": false,
    });
    caps.add_experimental_option("prefs", prefs)?;
    Ok(caps.into())
}
