//! What a session remembers of the secrets typed into its pages, so they never come back.
//!
//! `fill-secret` types a value the robot never sees; without this, reading the element back
//! (`attribute("value")`, `text`, `read-table`) or screenshotting the page would hand it over.
//! So:
//! - the DOM node that received a secret is remembered by its WebDriver reference (the same
//!   node found again by another locator has the same one), and reading it back is refused by
//!   the gate, audited as a denial;
//! - whatever else the session reads back (other elements, tables, the URL after a form
//!   submit) has the values, also in their escaped and percent-encoded forms, cut out, and
//!   is not logged (the WebDriver client logs responses at debug level);
//! - screenshots (the robot's and the host's failure screenshots) are taken with those nodes
//!   rendered as dots, as a password field is, and put back as they were after: the operator
//!   still sees the page and that the field was filled, not what was typed. A node the host
//!   cannot mask (other than one that left the page) means no screenshot at all.

use std::future::Future;
use std::sync::{Arc, Mutex};

use pont_browser::{BrowserError, Element};
use pont_policy::Permit;
use tracing::instrument::WithSubscriber;

use crate::capabilities::http::Redactor;

/// The secrets typed into one session.
#[derive(Debug, Default)]
pub(crate) struct Filled {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Node reference, the secret's name, and the element to mask.
    nodes: Vec<(String, String, Arc<Element>)>,
    values: Vec<String>,
}

impl Filled {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remember that `el` is about to receive the secret `name` whose value is `value`.
    pub(crate) fn record(&self, el: Arc<Element>, name: &str, value: &str) {
        let mut inner = self.lock();
        let node = el.node_ref();
        if !inner.nodes.iter().any(|(n, s, _)| *n == node && s == name) {
            inner.nodes.push((node, name.to_string(), el));
        }
        if !inner.values.iter().any(|v| v == value) {
            inner.values.push(value.to_string());
        }
    }

    /// The name of the secret `el`'s node received, if any.
    pub(crate) fn secret_of(&self, el: &Element) -> Option<String> {
        let node = el.node_ref();
        let inner = self.lock();
        let found = inner.nodes.iter().find(|(n, _, _)| *n == node);
        found.map(|(_, name, _)| name.clone())
    }

    /// `text` with every secret typed into the session cut out.
    pub(crate) fn redact(&self, text: String) -> String {
        let inner = self.lock();
        if inner.values.is_empty() {
            return text;
        }
        let redactor = Redactor::new(inner.values.iter().cloned());
        String::from_utf8_lossy(&redactor.whole(text.as_bytes())).into_owned()
    }

    fn is_empty(&self) -> bool {
        self.lock().values.is_empty()
    }

    fn elements(&self) -> Vec<Arc<Element>> {
        self.lock()
            .nodes
            .iter()
            .map(|(_, _, e)| e.clone())
            .collect()
    }
}

/// Runs a read of the page with nothing logged once the session holds a secret: the WebDriver
/// client logs its responses at debug level, and a page may show what was typed into it.
pub(crate) async fn quietly<F: Future>(filled: &Filled, read: F) -> F::Output {
    if filled.is_empty() {
        read.await
    } else {
        read.with_subscriber(tracing::subscriber::NoSubscriber::default())
            .await
    }
}

/// A screenshot of the session with the nodes that received a secret masked.
pub(crate) async fn masked_screenshot(live: &super::Live) -> Result<Vec<u8>, BrowserError> {
    let permit = &live.open;
    let nodes = live.filled.elements();
    let mut masked = Vec::new();
    for el in &nodes {
        match el.mask_text(permit, true).await {
            Ok(_) => masked.push(el),
            Err(e) => {
                unmask(permit, &masked).await;
                return Err(BrowserError::Unsupported(format!(
                    "no screenshot: a field holding a secret could not be masked ({})",
                    super::one_line(&e.to_string(), None)
                )));
            }
        }
    }
    let png = live.session.screenshot(permit).await;
    unmask(permit, &masked).await;
    png
}

async fn unmask(permit: &Permit, nodes: &[&Arc<Element>]) {
    for el in nodes {
        if let Err(e) = el.mask_text(permit, false).await {
            tracing::warn!(
                "a masked field could not be shown again: {}",
                super::one_line(&e.to_string(), None)
            );
        }
    }
}
