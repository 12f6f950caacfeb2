//! The `browser` capability (DESIGN §4, §5.6): WIT sessions and elements backed by
//! `pont-browser`'s locked-down Chromium, every navigation and secret use through the gate.
//!
//! The browser is run-wide and started lazily, so a robot without browser grants never starts
//! Chromium. Sessions are per item: they live in the item's resource table and quit when the
//! robot drops them or when the item's Store is dropped.

mod host;
mod proxy;
mod secrets;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pont_browser::{Browser, BrowserConfig, BrowserError, Element, Session};
use pont_policy::{Permit, Scope};
use tokio::sync::Mutex as AsyncMutex;

use crate::bindings::pont::robot::browser::Locator;
use crate::bindings::pont::robot::types::Error;

/// Longest error message handed to the robot.
const MAX_MESSAGE: usize = 300;

/// The run's browser: launched on the first `session.open`, shut down at the end of the run
/// (explicitly by [`BrowserRun::shutdown`], or when the run's shared state is dropped).
#[derive(Debug)]
pub(crate) struct BrowserRun {
    config: BrowserConfig,
    browser: AsyncMutex<Option<Arc<Browser>>>,
}

/// The longest an item waits for a free browser session.
const SESSION_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

impl BrowserRun {
    /// The run's browser. Its downloads land in the browser's private directory, the one
    /// Chromium's unprivileged account may write (the run's spool is out of its reach), and
    /// are moved into the spool when the robot takes them (same temp file system: a rename).
    ///
    /// Two host settings, for hosts that need them: `PONT_BROWSER_USER` names the account
    /// Chromium runs as when the host is root (default `nobody`), and
    /// `PONT_BROWSER_NO_SANDBOX=1` turns Chromium's own sandbox off, a fallback only for a
    /// kernel without unprivileged user namespaces.
    pub(crate) fn new(_spool: &Path) -> Self {
        let defaults = BrowserConfig::default();
        let user = std::env::var("PONT_BROWSER_USER").unwrap_or(defaults.user.clone());
        let no_sandbox = std::env::var_os("PONT_BROWSER_NO_SANDBOX").is_some_and(|v| v == "1");
        Self {
            config: BrowserConfig {
                // Items above the session cap queue for a free session; the
                // item deadline ends a wait that would be longer.
                session_wait: SESSION_WAIT,
                user,
                chromium_sandbox: !no_sandbox,
                ..defaults
            },
            browser: AsyncMutex::new(None),
        }
    }

    /// The running browser, launching it on first use.
    async fn get(&self) -> Result<Arc<Browser>, BrowserError> {
        let mut slot = self.browser.lock().await;
        if let Some(b) = slot.as_ref() {
            return Ok(b.clone());
        }
        let b = Arc::new(Browser::launch(self.config.clone()).await?);
        *slot = Some(b.clone());
        Ok(b)
    }

    /// Stops chromedriver and every Chromium it started. Idempotent; a no-op when no robot
    /// opened a session. Dropping the run's state does the same, synchronously.
    pub(crate) async fn shutdown(&self) {
        let taken = self.browser.lock().await.take();
        match taken.map(Arc::try_unwrap) {
            Some(Ok(b)) => b.shutdown().await,
            Some(Err(shared)) => drop(shared),
            None => {}
        }
    }
}

/// What a session shares with the elements found in it.
#[derive(Debug)]
pub(crate) struct Live {
    session: Session,
    /// The gate's permit for opening this session: every operation on it takes it.
    open: Permit,
    /// The granted origin of the application the session was opened on.
    app_origin: String,
    /// Origins the session's proxy let through, merged into the item's tools.
    touched: Arc<Mutex<BTreeSet<String>>>,
    /// Files staged for upload, removed with the session (after Chromium quits).
    uploads: tempfile::TempDir,
    /// Secrets typed into the session's pages: never read back, masked in screenshots.
    filled: secrets::Filled,
}

impl Live {
    fn touched(&self) -> BTreeSet<String> {
        self.touched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Host side of `browser.session`.
#[derive(Debug)]
pub struct SessionHandle(Arc<Live>);

/// Host side of `browser.element`: the element and the session it was found in (for
/// screenshots on failure and the tools count).
#[derive(Debug)]
pub struct ElementHandle {
    element: Arc<Element>,
    live: Arc<Live>,
}

/// The WIT locator as the browser crate's.
fn locator(l: Locator) -> pont_browser::Locator {
    match l {
        Locator::StableId(v) => pont_browser::Locator::StableId(v),
        Locator::Label(v) => pont_browser::Locator::Label(v),
        Locator::Role(r) => pont_browser::Locator::Role {
            role: r.role,
            name: r.name,
        },
        Locator::Css(v) => pont_browser::Locator::Css(v),
    }
}

/// One line, bounded, with `redact` (typed text, a secret) cut out if it slipped in.
fn one_line(text: &str, redact: Option<&str>) -> String {
    let mut line: String = text
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(MAX_MESSAGE)
        .collect();
    if let Some(value) = redact.filter(|v| !v.is_empty()) {
        line = line.replace(value, "[redacted]");
    }
    line
}

/// The browser crate's error as the WIT error, its message one line and free of `redact`.
fn to_error(e: &BrowserError, redact: Option<&str>) -> Error {
    let msg = one_line(&e.to_string(), redact);
    match e {
        BrowserError::Denied(_) | BrowserError::Unpermitted(_) => Error::Denied(msg),
        BrowserError::NotFound { .. } => Error::NotFound(msg),
        BrowserError::Ambiguous { .. }
        | BrowserError::InvalidUrl(_)
        | BrowserError::Unsupported(_) => Error::Invalid(msg),
        BrowserError::Timeout { .. } | BrowserError::Limit(_) => Error::Limit(msg),
        BrowserError::Launch(_) | BrowserError::WebDriver(_) | BrowserError::Io(_) => {
            Error::Unavailable(msg)
        }
    }
}

/// Failures worth a screenshot: the page did not show what the robot expected.
fn worth_screenshot(e: &BrowserError) -> bool {
    matches!(
        e,
        BrowserError::NotFound { .. } | BrowserError::Timeout { .. }
    )
}

/// A MIME type for a downloaded file, from its extension.
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// The file name of a path, for blob metadata.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".into())
}

/// Where the host's failure screenshot of a session goes: beside the other evidence of the
/// run, under the permit that opened the session it shows (the host keeps no evidence of a
/// session the gate did not open).
fn evidence_path(
    open: &Permit,
    (dir, run_id): (&Path, &str),
    item: Option<i64>,
    seq: usize,
) -> Result<PathBuf, String> {
    if !matches!(open.scope(), Scope::BrowserOpen { .. }) {
        return Err(open
            .mismatch("a screenshot of a browser session")
            .to_string());
    }
    let item = item.map_or_else(|| "run".to_string(), |n| n.to_string());
    Ok(dir
        .join(run_id)
        .join(format!("{item}-browser-failure-{seq}.png")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_line_and_redacted() {
        let e = BrowserError::WebDriver("element not interactable: s3cret\nstack trace".into());
        let Error::Unavailable(msg) = to_error(&e, Some("s3cret")) else {
            panic!("wrong variant");
        };
        assert_eq!(msg, "webdriver: element not interactable: [redacted]");
        let e = BrowserError::Ambiguous {
            locator: "css `a`".into(),
            count: 2,
        };
        assert!(matches!(to_error(&e, None), Error::Invalid(m) if m.contains("matched 2")));
    }
}
