//! One Chromium session (WIT `session`): navigation checked against the origin policy, strict
//! locators with bounded waits, screenshots, downloads from the session's spool directory.
//! Every operation takes the gate's permit ([`crate::permit`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pont_policy::Permit;
use thirtyfour::prelude::*;
use tokio::sync::OwnedSemaphorePermit;

use crate::download;
use crate::element::Element;
use crate::error::{BrowserError, Result};
use crate::locator::{self, Locator};
use crate::origin::{Decision, Origin, OriginPolicy};
use crate::permit;
use crate::procs;
use crate::proxy::{Proxy, Traffic};
use crate::sandbox::Staging;

/// Pause between two polls of a bounded wait.
pub(crate) const POLL: Duration = Duration::from_millis(100);
/// Bound of the WebDriver `quit` on close; Chromium is killed afterwards regardless.
const QUIT_TIMEOUT: Duration = Duration::from_secs(10);

/// What elements share with their session: the action counter and the default wait.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The application the session was opened for: its permit serves every operation.
    pub(crate) app: String,
    pub(crate) actions: AtomicU64,
    pub(crate) timeout: Duration,
    /// Where files to upload are made readable to the browser's account.
    pub(crate) staging: Staging,
}

impl Ctx {
    pub(crate) fn count_action(&self) {
        self.actions.fetch_add(1, Ordering::Relaxed);
    }

    /// Checks that `p` is the permit of this session's application.
    pub(crate) fn check(&self, p: &Permit) -> Result<()> {
        permit::session(p, &self.app)
    }
}

/// Everything [`crate::Browser::open_session`] assembled.
pub(crate) struct SessionParts {
    pub(crate) app: String,
    pub(crate) driver: WebDriver,
    pub(crate) proxy: Proxy,
    pub(crate) profile: tempfile::TempDir,
    pub(crate) downloads: PathBuf,
    pub(crate) policy: Arc<dyn OriginPolicy>,
    pub(crate) staging: Staging,
    pub(crate) stable_attr: String,
    pub(crate) timeout: Duration,
    pub(crate) slot: OwnedSemaphorePermit,
}

/// A browser session. Closing it (or dropping it) quits Chromium and frees its slot.
pub struct Session {
    driver: Option<WebDriver>,
    ctx: Arc<Ctx>,
    policy: Arc<dyn OriginPolicy>,
    stable_attr: String,
    downloads: PathBuf,
    taken: Mutex<HashSet<PathBuf>>,
    proxy: Proxy,
    profile: Option<tempfile::TempDir>,
    _slot: OwnedSemaphorePermit,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("proxy", &self.proxy)
            .field("downloads", &self.downloads)
            .finish()
    }
}

impl Session {
    pub(crate) fn new(p: SessionParts) -> Session {
        Session {
            driver: Some(p.driver),
            ctx: Arc::new(Ctx {
                app: p.app,
                actions: AtomicU64::new(0),
                timeout: p.timeout,
                staging: p.staging,
            }),
            policy: p.policy,
            stable_attr: p.stable_attr,
            downloads: p.downloads,
            taken: Mutex::new(HashSet::new()),
            proxy: p.proxy,
            profile: Some(p.profile),
            _slot: p.slot,
        }
    }

    fn driver(&self) -> Result<&WebDriver> {
        self.driver
            .as_ref()
            .ok_or_else(|| BrowserError::WebDriver("session closed".into()))
    }

    /// Actions done so far (goto, click, fill, select, upload), for the KPI report.
    pub fn actions(&self) -> u64 {
        self.ctx.actions.load(Ordering::Relaxed)
    }

    /// Bytes and connections per origin seen by this session's proxy.
    pub fn traffic(&self) -> HashMap<Origin, Traffic> {
        self.proxy.traffic()
    }

    /// This session's directory in the download spool.
    pub fn download_dir(&self) -> &Path {
        &self.downloads
    }

    /// Navigates to `url`, under the gate's permit for its origin. The origin is checked
    /// against the policy here too, so a denied navigation is an error value rather than a
    /// proxy error page.
    #[tracing::instrument(name = "browser.goto", skip_all)]
    pub async fn goto(&self, permit: &Permit, url: &str) -> Result<()> {
        let origin = Origin::from_url(url)?;
        permit::goto(permit, &origin)?;
        if self.policy.decide(&origin) != Decision::Allow {
            return Err(BrowserError::Denied(origin.to_string()));
        }
        self.driver()?.goto(url).await?;
        self.ctx.count_action();
        Ok(())
    }

    pub async fn current_url(&self, permit: &Permit) -> Result<String> {
        self.ctx.check(permit)?;
        Ok(self.driver()?.current_url().await?.to_string())
    }

    /// The one element matching `locator`, waiting up to the session's default timeout for it
    /// to exist; more than one match is an immediate [`BrowserError::Ambiguous`].
    #[tracing::instrument(name = "browser.find", skip_all, fields(locator = locator.kind()))]
    pub async fn find(&self, permit: &Permit, locator: &Locator) -> Result<Element> {
        self.ctx.check(permit)?;
        let el = self.locate(locator, self.ctx.timeout, false).await?;
        Ok(Element::new(el, self.ctx.clone(), locator.to_string()))
    }

    /// Like [`Session::find`], but also waits for the element to be visible, up to `timeout`.
    #[tracing::instrument(name = "browser.wait_for", skip_all, fields(locator = locator.kind()))]
    pub async fn wait_for(
        &self,
        permit: &Permit,
        locator: &Locator,
        timeout: Duration,
    ) -> Result<Element> {
        self.ctx.check(permit)?;
        let el = self.locate(locator, timeout, true).await?;
        Ok(Element::new(el, self.ctx.clone(), locator.to_string()))
    }

    /// PNG of the viewport.
    #[tracing::instrument(name = "browser.screenshot", skip_all)]
    pub async fn screenshot(&self, permit: &Permit) -> Result<Vec<u8>> {
        self.ctx.check(permit)?;
        Ok(self.driver()?.screenshot_as_png().await?)
    }

    /// Waits for the next download of this session to finish and returns its path in the
    /// spool. Each file is returned once.
    #[tracing::instrument(name = "browser.expect_download", skip_all)]
    pub async fn expect_download(&self, permit: &Permit, timeout: Duration) -> Result<PathBuf> {
        self.ctx.check(permit)?;
        download::wait_for_new(&self.downloads, &self.taken, timeout).await
    }

    /// Quits Chromium (bounded), then kills whatever of it is left.
    #[tracing::instrument(name = "browser.close", skip_all)]
    pub async fn close(mut self) {
        if let Some(driver) = self.driver.take() {
            let _ = tokio::time::timeout(QUIT_TIMEOUT, driver.quit()).await;
        }
        if let Some(profile) = self.profile.take() {
            let needle = profile.path().to_string_lossy().into_owned();
            let _ = tokio::task::spawn_blocking(move || {
                procs::kill_with_arg(&needle);
                drop(profile);
            })
            .await;
        }
    }

    /// Polls until the locator matches exactly one element (visible if asked), bounded by
    /// `timeout` and by a matching number of rounds.
    async fn locate(&self, loc: &Locator, timeout: Duration, visible: bool) -> Result<WebElement> {
        let driver = self.driver()?;
        let start = Instant::now();
        let rounds = timeout.as_millis() / POLL.as_millis() + 2;
        let mut count = 0;
        let mut last_err = None;
        for _ in 0..rounds {
            match locator::resolve(driver, &self.stable_attr, loc).await {
                Ok(els) if els.len() > 1 => {
                    return Err(BrowserError::Ambiguous {
                        locator: loc.to_string(),
                        count: els.len(),
                    });
                }
                Ok(mut els) => {
                    count = els.len();
                    last_err = None;
                    if let Some(el) = els.pop()
                        && (!visible || el.is_displayed().await.unwrap_or(false))
                    {
                        return Ok(el);
                    }
                }
                Err(e @ BrowserError::Unsupported(_)) => return Err(e),
                // Navigation in progress, a stale document: try again until the deadline.
                Err(e) => last_err = Some(e),
            }
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                break;
            }
            tokio::time::sleep(POLL.min(left)).await;
        }
        Err(wait_error(loc, timeout, count, visible, last_err))
    }
}

fn wait_error(
    loc: &Locator,
    timeout: Duration,
    count: usize,
    visible: bool,
    last_err: Option<BrowserError>,
) -> BrowserError {
    let waited_ms = timeout.as_millis() as u64;
    match (last_err, count, visible) {
        (Some(e), _, _) => e,
        (None, 0, false) => BrowserError::NotFound {
            locator: loc.to_string(),
            waited_ms,
        },
        (None, 0, true) => BrowserError::Timeout {
            what: format!("{loc} to be visible (matched no element)"),
            after_ms: waited_ms,
        },
        (None, _, _) => BrowserError::Timeout {
            what: format!("{loc} to be visible"),
            after_ms: waited_ms,
        },
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // thirtyfour quits a dropped session synchronously; then nothing may remain.
        drop(self.driver.take());
        if let Some(profile) = self.profile.take() {
            procs::kill_with_arg(&profile.path().to_string_lossy());
        }
    }
}
