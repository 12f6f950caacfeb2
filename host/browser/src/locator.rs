//! Locators and their strict resolution. CSS and stable ids go through WebDriver's own
//! `find elements`; labels and roles need the DOM's label association and an approximation of
//! the accessibility tree, which WebDriver does not expose, so they run a fixed script shipped
//! in this crate (arguments passed as JSON values, never spliced into code). Robots cannot run
//! scripts of their own.

use std::fmt;

use serde_json::json;
use thirtyfour::error::WebDriverErrorInner;
use thirtyfour::prelude::*;

use crate::error::{BrowserError, Result};

/// How to find one element (WIT `locator`). Every locator must match exactly one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// The value of the application's stable-id attribute (`id`, `data-testid`, ... set per
    /// session in [`crate::SessionOptions::stable_id_attr`]).
    StableId(String),
    /// A form control by its label text (`<label for>`, a wrapping `<label>`, or `aria-label`).
    Label(String),
    /// An ARIA role (explicit or implicit) with its accessible name.
    Role { role: String, name: String },
    /// A CSS selector, as a last resort.
    Css(String),
}

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Locator::StableId(v) => write!(f, "stable-id `{v}`"),
            Locator::Label(v) => write!(f, "label `{v}`"),
            Locator::Role { role, name } => write!(f, "role {role} `{name}`"),
            Locator::Css(v) => write!(f, "css `{v}`"),
        }
    }
}

impl Locator {
    /// Short kind for tracing spans (the value may be long; it is not secret but not needed).
    pub fn kind(&self) -> &'static str {
        match self {
            Locator::StableId(_) => "stable-id",
            Locator::Label(_) => "label",
            Locator::Role { .. } => "role",
            Locator::Css(_) => "css",
        }
    }
}

/// Whether an attribute name is safe to put in a CSS attribute selector as is.
pub(crate) fn valid_attr_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `[attr="value"]`, with the value escaped per CSS string rules.
fn attr_selector(attr: &str, value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '\n' => escaped.push_str("\\a "),
            c if c.is_control() => {}
            c => escaped.push(c),
        }
    }
    format!("[{attr}=\"{escaped}\"]")
}

/// Every element the locator matches right now, in document order.
pub(crate) async fn resolve(
    driver: &WebDriver,
    stable_attr: &str,
    locator: &Locator,
) -> Result<Vec<WebElement>> {
    match locator {
        Locator::StableId(v) => css(driver, &attr_selector(stable_attr, v)).await,
        Locator::Css(sel) => css(driver, sel).await,
        Locator::Label(text) => script(driver, LABEL_JS, vec![json!(text)]).await,
        Locator::Role { role, name } => {
            let args = vec![json!(role.to_ascii_lowercase()), json!(name)];
            script(driver, ROLE_JS, args).await
        }
    }
}

async fn css(driver: &WebDriver, selector: &str) -> Result<Vec<WebElement>> {
    match driver.find_all(By::Css(selector)).await {
        Ok(v) => Ok(v),
        Err(e) if matches!(e.as_inner(), WebDriverErrorInner::InvalidSelector(_)) => Err(
            BrowserError::Unsupported(format!("invalid css selector `{selector}`")),
        ),
        Err(e) => Err(e.into()),
    }
}

async fn script(
    driver: &WebDriver,
    code: &'static str,
    args: Vec<serde_json::Value>,
) -> Result<Vec<WebElement>> {
    let ret = driver.execute(code, args).await?;
    if ret.json().as_array().is_some_and(|a| a.is_empty()) {
        return Ok(Vec::new());
    }
    Ok(ret.elements()?)
}

/// Form controls whose label text is exactly the argument (whitespace-normalised).
const LABEL_JS: &str = concat!(
    "function norm(s){return (s||'').replace(/\\s+/g,' ').trim();}",
    "var want=norm(arguments[0]);var out=[];",
    "function add(e){if(e&&out.indexOf(e)<0){out.push(e);}}",
    "document.querySelectorAll('label').forEach(function(l){",
    "  if(norm(l.textContent)===want){add(l.control);}});",
    "document.querySelectorAll('input,select,textarea,button,[contenteditable]').forEach(function(e){",
    "  if(norm(e.getAttribute('aria-label'))===want){add(e);}",
    "  var ids=(e.getAttribute('aria-labelledby')||'').split(/\\s+/).filter(Boolean);",
    "  if(ids.length){var t=norm(ids.map(function(i){var r=document.getElementById(i);return r?r.textContent:'';}).join(' '));",
    "    if(t===want){add(e);}}});",
    "return out;"
);

/// Elements whose (explicit or implicit) role and accessible name match; elements hidden from
/// the accessibility tree (`hidden`, `aria-hidden`) are skipped.
const ROLE_JS: &str = concat!(
    "function norm(s){return (s||'').replace(/\\s+/g,' ').trim();}",
    "var role=arguments[0],want=norm(arguments[1]);",
    "function implicit(e){var t=e.tagName.toLowerCase(),ty=(e.getAttribute('type')||'text').toLowerCase();",
    " if(t==='button')return 'button';",
    " if(t==='input'){if(['button','submit','reset','image'].indexOf(ty)>=0)return 'button';",
    "  if(ty==='checkbox')return 'checkbox';if(ty==='radio')return 'radio';if(ty==='range')return 'slider';",
    "  if(ty==='number')return 'spinbutton';if(ty==='search')return 'searchbox';",
    "  if(['text','email','tel','url','password'].indexOf(ty)>=0)return 'textbox';return '';}",
    " if(t==='textarea')return 'textbox';",
    " if(t==='select')return (e.multiple||e.size>1)?'listbox':'combobox';",
    " if((t==='a'||t==='area')&&e.hasAttribute('href'))return 'link';",
    " if(/^h[1-6]$/.test(t))return 'heading';",
    " var m={table:'table',tr:'row',td:'cell',th:'columnheader',ul:'list',ol:'list',li:'listitem',",
    "  nav:'navigation',main:'main',form:'form',option:'option',dialog:'dialog',img:'img'};",
    " return m[t]||'';}",
    "function roleOf(e){var r=norm(e.getAttribute('role')).split(' ')[0];return r||implicit(e);}",
    "function hidden(e){for(var n=e;n&&n.nodeType===1;n=n.parentElement){",
    " if(n.hidden||n.getAttribute('aria-hidden')==='true')return true;}return false;}",
    "function name(e){var ids=(e.getAttribute('aria-labelledby')||'').split(/\\s+/).filter(Boolean);",
    " if(ids.length)return norm(ids.map(function(i){var r=document.getElementById(i);return r?r.textContent:'';}).join(' '));",
    " var a=norm(e.getAttribute('aria-label'));if(a)return a;",
    " if(e.labels&&e.labels.length)return norm(Array.prototype.map.call(e.labels,function(l){return l.textContent;}).join(' '));",
    " var t=e.tagName.toLowerCase(),ty=(e.getAttribute('type')||'').toLowerCase();",
    " if(t==='input'&&['button','submit','reset'].indexOf(ty)>=0)return norm(e.value);",
    " if(t==='img'||(t==='input'&&ty==='image'))return norm(e.getAttribute('alt'));",
    " var c=norm(e.textContent);if(c&&['input','select','textarea'].indexOf(t)<0)return c;",
    " return norm(e.getAttribute('title')||e.getAttribute('placeholder'));}",
    "var out=[];document.querySelectorAll('*').forEach(function(e){",
    " if(roleOf(e)===role&&!hidden(e)&&name(e)===want)out.push(e);});",
    "return out;"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_escaping() {
        assert_eq!(attr_selector("id", "a\"b\\c"), "[id=\"a\\\"b\\\\c\"]");
        assert!(valid_attr_name("data-testid"));
        assert!(!valid_attr_name("x]{}"));
    }

    #[test]
    fn display_names_kind() {
        assert_eq!(Locator::Css(".x".into()).to_string(), "css `.x`");
        let r = Locator::Role {
            role: "button".into(),
            name: "Valider".into(),
        };
        assert_eq!(r.to_string(), "role button `Valider`");
        assert_eq!(r.kind(), "role");
    }
}
