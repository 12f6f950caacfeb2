//! One located element (WIT `element`). Actions first wait, bounded, for the element to be
//! visible and enabled, as a user would; their text arguments are never logged. Each takes
//! the gate's permit of the session's application ([`crate::permit`]); typing a secret takes
//! the secret's own, for the origin of the page it is typed into.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use pont_policy::Permit;
use serde_json::json;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

use crate::error::{BrowserError, Result};
use crate::origin::Origin;
use crate::permit;
use crate::session::{Ctx, POLL};

/// Headers and rows of an HTML table (WIT `table-data`), cell text whitespace-normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableData {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Input types Chromium renders as pickers: typed keys depend on the locale, so the value is
/// set in the `value` property (ISO format, e.g. `2024-03-15`) and input/change fired.
const PICKER_TYPES: [&str; 6] = ["date", "time", "datetime-local", "month", "week", "color"];

const SET_VALUE_JS: &str = "var e=arguments[0];e.value=arguments[1];\
    e.dispatchEvent(new Event('input',{bubbles:true}));\
    e.dispatchEvent(new Event('change',{bubbles:true}));return e.value===arguments[1];";

const SELECT_MATCH_JS: &str = "function norm(s){return (s||'').replace(/\\s+/g,' ').trim();}\
    var s=arguments[0],want=arguments[1],v=[],t=[];\
    if(s.tagName.toLowerCase()!=='select'){return null;}\
    for(var i=0;i<s.options.length;i++){var o=s.options[i];\
      if(o.value===want){v.push(i);} if(norm(o.text)===norm(want)){t.push(i);}}\
    return v.length?v:t;";

const TABLE_JS: &str = "function norm(s){return (s||'').replace(/\\s+/g,' ').trim();}\
    function cells(r){return Array.prototype.map.call(r.cells,function(c){return norm(c.textContent);});}\
    var t=arguments[0];if(t.tagName.toLowerCase()!=='table'){return null;}\
    var rows=Array.prototype.slice.call(t.rows),head=null;\
    if(t.tHead&&t.tHead.rows.length){head=t.tHead.rows[0];}\
    else if(rows.length&&rows[0].cells.length&&Array.prototype.every.call(rows[0].cells,function(c){return c.tagName==='TH';})){head=rows[0];}\
    var body=rows.filter(function(r){return r!==head&&!(t.tHead&&r.parentElement===t.tHead);});\
    return {headers:head?cells(head):[],rows:body.map(cells)};";

/// Hides (`arguments[1]` true) or shows again the characters a control renders, keeping
/// the page's own inline value of the property in an expando to put it back.
const MASK_JS: &str = "var e=arguments[0],p='-webkit-text-security';\
    if(!e.isConnected){return false;}\
    if(arguments[1]){if(e.__pontMask===undefined){\
      e.__pontMask=[e.style.getPropertyValue(p),e.style.getPropertyPriority(p)];}\
      e.style.setProperty(p,'disc','important');}\
    else if(e.__pontMask!==undefined){var m=e.__pontMask;delete e.__pontMask;\
      if(m[0]){e.style.setProperty(p,m[0],m[1]);}else{e.style.removeProperty(p);}}\
    return true;";

/// An element found by a strict locator.
#[derive(Debug)]
pub struct Element {
    el: WebElement,
    ctx: Arc<Ctx>,
    /// The locator's description, for error messages.
    what: String,
}

impl Element {
    pub(crate) fn new(el: WebElement, ctx: Arc<Ctx>, what: String) -> Element {
        Element { el, ctx, what }
    }

    #[tracing::instrument(name = "browser.click", skip_all)]
    pub async fn click(&self, permit: &Permit) -> Result<()> {
        self.ctx.check(permit)?;
        self.ready(true).await?;
        self.el.click().await?;
        self.ctx.count_action();
        Ok(())
    }

    /// Replaces the control's content with `text`.
    #[tracing::instrument(name = "browser.fill", skip_all)]
    pub async fn fill(&self, permit: &Permit, text: &str) -> Result<()> {
        self.ctx.check(permit)?;
        self.fill_inner(text).await
    }

    /// Like [`Element::fill`], under the gate's permit for the secret toward the page's
    /// origin, checked against the page shown now (it may have moved since the gate
    /// decided); a separate entry point so the host's secret path has its own span name and
    /// nothing about the value ever reaches a log.
    #[tracing::instrument(name = "browser.fill_secret", skip_all)]
    pub async fn fill_secret(&self, permit: &Permit, secret: &str) -> Result<()> {
        let url = self.el.handle().current_url().await?;
        permit::secret(permit, &Origin::from_url(url.as_str())?)?;
        self.fill_inner(secret).await
    }

    async fn fill_inner(&self, text: &str) -> Result<()> {
        self.ready(true).await?;
        let kind = self.input_type().await?;
        if PICKER_TYPES.contains(&kind.as_str()) {
            self.set_value(text, &kind).await?;
        } else {
            self.el.clear().await?;
            self.el.send_keys(text).await?;
        }
        self.ctx.count_action();
        Ok(())
    }

    /// Chooses the `<option>` whose value, or else whose visible text, is `choice`.
    #[tracing::instrument(name = "browser.select", skip_all)]
    pub async fn select(&self, permit: &Permit, choice: &str) -> Result<()> {
        self.ctx.check(permit)?;
        self.ready(true).await?;
        let ret = self
            .el
            .handle()
            .execute(SELECT_MATCH_JS, vec![self.el.to_json()?, json!(choice)])
            .await?;
        let Some(matches) = ret.json().as_array() else {
            return Err(BrowserError::Unsupported(format!(
                "{} is not a <select>",
                self.what
            )));
        };
        let index = match matches.as_slice() {
            [one] => one.as_u64().unwrap_or(0),
            [] => {
                return Err(BrowserError::Unsupported(format!(
                    "{} has no such option",
                    self.what
                )));
            }
            many => {
                return Err(BrowserError::Unsupported(format!(
                    "{} has {} options matching",
                    self.what,
                    many.len()
                )));
            }
        };
        let index = u32::try_from(index).map_err(|_| BrowserError::Unsupported("option".into()))?;
        SelectElement::new(&self.el)
            .await?
            .select_by_index(index)
            .await?;
        self.ctx.count_action();
        Ok(())
    }

    /// Sets a file input to a host file (file inputs are often styled hidden, so only
    /// presence and enabledness are awaited).
    #[tracing::instrument(name = "browser.upload", skip_all)]
    pub async fn upload(&self, permit: &Permit, path: &Path) -> Result<()> {
        self.ctx.check(permit)?;
        let path = self
            .ctx
            .staging
            .stage(&std::fs::canonicalize(path)?)
            .await?;
        self.ready(false).await?;
        if self.input_type().await? != "file" {
            return Err(BrowserError::Unsupported(format!(
                "{} is not a file input",
                self.what
            )));
        }
        self.el
            .send_keys(path.to_string_lossy().into_owned())
            .await?;
        self.ctx.count_action();
        Ok(())
    }

    /// The WebDriver reference of the DOM node: finding the same node again, by any
    /// locator, gives the same reference.
    pub fn node_ref(&self) -> String {
        self.el.element_id().to_string()
    }

    /// Renders the control's characters as dots (`on`), or as the page had them, for a
    /// screenshot that must not show what was typed; the value itself is untouched. Returns
    /// `false` when the node is no longer in the page (nothing of it shows).
    pub async fn mask_text(&self, permit: &Permit, on: bool) -> Result<bool> {
        self.ctx.check(permit)?;
        let args = vec![self.el.to_json()?, json!(on)];
        match self.el.handle().execute(MASK_JS, args).await {
            Ok(ret) => Ok(ret.json().as_bool() == Some(true)),
            Err(e) if is_stale(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Rendered text, as a user sees it.
    pub async fn text(&self, permit: &Permit) -> Result<String> {
        self.ctx.check(permit)?;
        Ok(self.el.text().await?)
    }

    pub async fn attribute(&self, permit: &Permit, name: &str) -> Result<Option<String>> {
        self.ctx.check(permit)?;
        Ok(self.el.attr(name).await?)
    }

    /// Headers (from `<thead>` or a first row of `<th>`) and body rows of a `<table>`.
    #[tracing::instrument(name = "browser.read_table", skip_all)]
    pub async fn read_table(&self, permit: &Permit) -> Result<TableData> {
        self.ctx.check(permit)?;
        let ret = self
            .el
            .handle()
            .execute(TABLE_JS, vec![self.el.to_json()?])
            .await?;
        let v = ret.json();
        if v.is_null() {
            return Err(BrowserError::Unsupported(format!(
                "{} is not a <table>",
                self.what
            )));
        }
        Ok(TableData {
            headers: strings(&v["headers"]),
            rows: v["rows"]
                .as_array()
                .map(|rows| rows.iter().map(strings).collect())
                .unwrap_or_default(),
        })
    }

    /// Lower-cased `type` of an `<input>`, empty for other elements.
    async fn input_type(&self) -> Result<String> {
        if !self.el.tag_name().await?.eq_ignore_ascii_case("input") {
            return Ok(String::new());
        }
        let t = self.el.attr("type").await?.unwrap_or_else(|| "text".into());
        Ok(t.to_ascii_lowercase())
    }

    async fn set_value(&self, text: &str, kind: &str) -> Result<()> {
        let ret = self
            .el
            .handle()
            .execute(SET_VALUE_JS, vec![self.el.to_json()?, json!(text)])
            .await?;
        if ret.json().as_bool() != Some(true) {
            return Err(BrowserError::Unsupported(format!(
                "value not accepted by the {kind} input {}",
                self.what
            )));
        }
        Ok(())
    }

    /// Waits (bounded) until the element is enabled and, if asked, displayed.
    async fn ready(&self, displayed: bool) -> Result<()> {
        let timeout = self.ctx.timeout;
        let start = Instant::now();
        let rounds = timeout.as_millis() / POLL.as_millis() + 2;
        for _ in 0..rounds {
            let shown = !displayed || self.el.is_displayed().await?;
            if shown && self.el.is_enabled().await? {
                return Ok(());
            }
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                break;
            }
            tokio::time::sleep(POLL.min(left)).await;
        }
        Err(BrowserError::Timeout {
            what: format!("{} to be visible and enabled", self.what),
            after_ms: timeout.as_millis() as u64,
        })
    }
}

fn is_stale(e: &thirtyfour::error::WebDriverError) -> bool {
    matches!(
        e.as_inner(),
        thirtyfour::error::WebDriverErrorInner::StaleElementReference(_)
            | thirtyfour::error::WebDriverErrorInner::NoSuchElement(_)
    )
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
