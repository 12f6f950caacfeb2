//! Browser sessions on granted web applications (`Session::open("app")`).
//!
//! The host drives a locked-down Chromium: the robot names elements with
//! strict [`Locator`]s (exactly one match, or an error naming the count) and
//! acts on them; it cannot run scripts. Secrets are typed by the host with
//! [`Element::fill_secret`], never seen by the robot.
//!
//! The helpers below only build locators, so robot code reads like the page:
//!
//! ```no_run
//! use pont_sdk::browser::{self, Session};
//!
//! # fn demo() -> Result<(), pont_sdk::Error> {
//! let s = Session::open("chorus")?;
//! s.goto("http://127.0.0.1:8080/subvention")?;
//! s.find(&browser::label("SIRET du bénéficiaire"))?.fill("73282932000074")?;
//! s.find(&browser::role("button", "Suivant"))?.click()?;
//! # Ok(())
//! # }
//! ```

pub use crate::bindings::pont::robot::browser::*;

/// The element whose stable-id attribute (set per application by the operator) is `value`.
pub fn id(value: &str) -> Locator {
    Locator::StableId(value.to_string())
}

/// The form control labelled `text`.
pub fn label(text: &str) -> Locator {
    Locator::Label(text.to_string())
}

/// The element of ARIA `role` with accessible name `name`.
pub fn role(role: &str, name: &str) -> Locator {
    Locator::Role(RoleLocator {
        role: role.to_string(),
        name: name.to_string(),
    })
}

/// A CSS selector, as a last resort (stable ids and labels survive redesigns better).
pub fn css(selector: &str) -> Locator {
    Locator::Css(selector.to_string())
}

impl Session {
    /// Find the one element `locator` names and type `text` into it: the
    /// commonest step of a form, in one call.
    pub fn fill_in(&self, locator: &Locator, text: &str) -> Result<(), Error> {
        self.find(locator)?.fill(text)
    }

    /// Find the one element `locator` names and click it.
    pub fn click_on(&self, locator: &Locator) -> Result<(), Error> {
        self.find(locator)?.click()
    }

    /// Wait up to `timeout_ms` for `locator` to be present and visible, then
    /// return its text: for results a page reveals after a submit.
    pub fn wait_text(&self, locator: &Locator, timeout_ms: u32) -> Result<String, Error> {
        self.wait_for(locator, timeout_ms)?.text()
    }
}
