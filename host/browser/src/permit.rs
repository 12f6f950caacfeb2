//! The gate's permits (DESIGN §5.4), checked by every session operation.
//!
//! Opening a session takes the gate's permit for `browser.open` of an application; every
//! later operation on the session or its elements (find, click, fill, select, upload, read,
//! screenshot, download) takes that same permit again, so nothing touches a page without a
//! decision of the gate for that application. A navigation takes the permit for
//! `browser.goto` of the URL's origin, and typing a secret the permit for that secret toward
//! the page's origin, checked against the page the browser shows when it types. A permit for
//! something else is refused with [`BrowserError::Unpermitted`]; a call without one does not
//! compile.
//!
//! ```
//! # async fn drive(
//! #     browser: &pont_browser::Browser,
//! #     gate: &pont_policy::Gate,
//! #     opts: pont_browser::SessionOptions,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use pont_policy::{Action, Origin};
//! let open = gate.authorize(None, &Action::BrowserOpen { app: "chorus" })?;
//! let session = browser.open_session(&open, opts).await?;
//! let origin = Origin::parse("http://127.0.0.1:8080")?;
//! let goto = gate.authorize(None, &Action::BrowserGoto { origin: &origin })?;
//! session.goto(&goto, "http://127.0.0.1:8080/subvention").await?;
//! let siret = pont_browser::Locator::StableId("siret".into());
//! session.find(&open, &siret).await?.fill(&open, "732 829 320 00074").await?;
//! # Ok(()) }
//! ```
//!
//! ```compile_fail
//! # async fn probe(session: &pont_browser::Session) {
//! // No permit, no navigation: this does not compile.
//! let _ = session.goto("http://127.0.0.1:8080/").await;
//! # }
//! ```
//!
//! ```compile_fail
//! # async fn probe(session: &pont_browser::Session, el: &pont_browser::Element) {
//! // Nor a click, nor a read of the page.
//! let _ = el.click().await;
//! let _ = session.screenshot().await;
//! # }
//! ```
//!
//! ```compile_fail
//! # async fn probe(browser: &pont_browser::Browser, opts: pont_browser::SessionOptions) {
//! // Nor a session.
//! let _ = browser.open_session(opts).await;
//! # }
//! ```

use pont_policy::{Permit, Scope};

use crate::error::{BrowserError, Result};
use crate::origin::Origin;

/// The application a `browser.open` permit is for.
pub(crate) fn open(permit: &Permit) -> Result<String> {
    match permit.scope() {
        Scope::BrowserOpen { app } => Ok(app.clone()),
        _ => Err(wrong(permit, "opening a browser session")),
    }
}

/// A permit for the session of application `app`: the one it was opened with.
pub(crate) fn session(permit: &Permit, app: &str) -> Result<()> {
    match permit.scope() {
        Scope::BrowserOpen { app: a } if a == app => Ok(()),
        _ => Err(wrong(
            permit,
            &format!("the session of application `{app}`"),
        )),
    }
}

/// A permit to navigate to `origin`.
pub(crate) fn goto(permit: &Permit, origin: &Origin) -> Result<()> {
    match permit.scope() {
        Scope::BrowserGoto { origin: granted } if origin.is(granted) => Ok(()),
        _ => Err(wrong(permit, &format!("navigating to {origin}"))),
    }
}

/// A permit to type a secret into a page of `page`.
pub(crate) fn secret(permit: &Permit, page: &Origin) -> Result<()> {
    match permit.scope() {
        Scope::Secret {
            to: Some(to),
            browser: true,
            ..
        } if page.is(to) => Ok(()),
        _ => Err(wrong(
            permit,
            &format!("typing a secret into a page of {page}"),
        )),
    }
}

fn wrong(permit: &Permit, wanted: &str) -> BrowserError {
    BrowserError::Unpermitted(permit.mismatch(wanted).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pont_policy::{Action, BrowserGrant, EffectivePolicy, Gate, SecretSink};

    fn gate(dir: &std::path::Path) -> Gate {
        let mut policy = EffectivePolicy::ds_only("browser-permits", &[], &[]);
        for (app, origin) in [
            ("a", "http://127.0.0.1:8001"),
            ("b", "http://127.0.0.1:8002"),
        ] {
            let grant = BrowserGrant {
                origin: pont_policy::Origin::parse(origin).unwrap_or_else(|e| panic!("{e}")),
                stable_id: "id".into(),
            };
            policy.browser.insert(app.into(), grant);
        }
        Gate::for_tool("browser-permits", policy, &dir.join("audit.jsonl"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_permit_serves_only_what_the_gate_decided() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let gate = gate(dir.path());
        let open = gate
            .authorize(None, &Action::BrowserOpen { app: "a" })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(super::open(&open).ok().as_deref(), Some("a"));
        assert!(session(&open, "a").is_ok());
        let other = session(&open, "b").err().map(|e| e.to_string());
        assert_eq!(
            other.as_deref(),
            Some("the permit for browser.open does not cover the session of application `b`")
        );
        let granted =
            pont_policy::Origin::parse("http://127.0.0.1:8001").unwrap_or_else(|e| panic!("{e}"));
        let nav = gate
            .authorize(None, &Action::BrowserGoto { origin: &granted })
            .unwrap_or_else(|e| panic!("{e}"));
        let here = Origin::from_url("http://127.0.0.1:8001/x").unwrap_or_else(|e| panic!("{e}"));
        let there = Origin::from_url("http://127.0.0.1:8002/").unwrap_or_else(|e| panic!("{e}"));
        assert!(goto(&nav, &here).is_ok());
        assert!(matches!(
            goto(&nav, &there),
            Err(BrowserError::Unpermitted(_))
        ));
        // The session's permit is not a navigation permit, nor the reverse.
        assert!(goto(&open, &here).is_err());
        assert!(session(&nav, "a").is_err());
        assert!(super::open(&nav).is_err());
        assert!(secret(&open, &here).is_err());
    }

    #[test]
    fn a_secret_permit_is_for_one_page_origin_typed_in_a_browser() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut policy = EffectivePolicy::ds_only("browser-permits", &[], &[]);
        let origin =
            pont_policy::Origin::parse("http://127.0.0.1:8001").unwrap_or_else(|e| panic!("{e}"));
        policy.browser.insert(
            "a".into(),
            BrowserGrant {
                origin: origin.clone(),
                stable_id: "id".into(),
            },
        );
        let grant = pont_policy::SecretGrant {
            source: pont_policy::SecretSource::Env("UNUSED".into()),
            apps: ["a".to_string()].into(),
            origins: [origin.clone()].into(),
        };
        policy.secrets.insert("pw".into(), grant);
        let gate = Gate::for_tool("browser-permits", policy, &dir.path().join("audit.jsonl"))
            .unwrap_or_else(|e| panic!("{e}"));
        let typed = |sink| {
            gate.authorize(None, &Action::SecretUse { name: "pw", sink })
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let page =
            Origin::from_url("http://127.0.0.1:8001/login").unwrap_or_else(|e| panic!("{e}"));
        let elsewhere =
            Origin::from_url("http://127.0.0.1:8009/").unwrap_or_else(|e| panic!("{e}"));
        let browser = typed(SecretSink::Browser(&origin));
        assert!(secret(&browser, &page).is_ok());
        assert!(secret(&browser, &elsewhere).is_err());
        // The same secret bound to the same origin for HTTP headers is not a typing permit.
        assert!(secret(&typed(SecretSink::Http(&origin)), &page).is_err());
    }
}
