//! The crate's one error type. Every variant is a value the host turns into the WIT `error`;
//! nothing a page sends may become a panic.

use thiserror::Error;

/// What went wrong in a browser call.
#[derive(Debug, Error)]
pub enum BrowserError {
    /// The locator matched nothing (after waiting up to the timeout).
    #[error("locator {locator} matched no element (waited {waited_ms} ms)")]
    NotFound { locator: String, waited_ms: u64 },
    /// The locator matched more than one element: locators are strict.
    #[error("locator {locator} matched {count} elements")]
    Ambiguous { locator: String, count: usize },
    /// A bounded wait ran out.
    #[error("timed out after {after_ms} ms waiting for {what}")]
    Timeout { what: String, after_ms: u64 },
    /// The permit handed in does not cover the call: a host bug, refused.
    #[error("{0}")]
    Unpermitted(String),
    /// The origin is not granted to this session.
    #[error("origin {0} is not granted")]
    Denied(String),
    /// A URL or origin that cannot be used (bad scheme, no host, ...).
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    /// Chromedriver or Chromium could not be started.
    #[error("browser launch failed: {0}")]
    Launch(String),
    /// The WebDriver protocol reported an error (stale element, crashed tab, ...).
    #[error("webdriver: {0}")]
    WebDriver(String),
    /// A configured limit was reached (concurrent sessions).
    #[error("limit reached: {0}")]
    Limit(String),
    /// The element cannot do what was asked (select on a non-select, option missing, ...).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Host-side file system error (spool, profile directory).
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl From<thirtyfour::error::WebDriverError> for BrowserError {
    fn from(e: thirtyfour::error::WebDriverError) -> Self {
        BrowserError::WebDriver(e.to_string())
    }
}

/// Shorthand used across the crate.
pub type Result<T> = std::result::Result<T, BrowserError>;
