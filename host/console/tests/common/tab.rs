//! A tab of a real headless Chromium (`pont-browser`: chromedriver and
//! Chromium as an unprivileged account when the host is root) on the
//! console served on loopback, found by labels and accessible names as a
//! keyboard or screen-reader user would.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pont_browser::{AllowList, Browser, Element, Locator, Session, SessionOptions};
use pont_policy::{Action, BrowserGrant, EffectivePolicy, Gate, Permit};

use super::{AGENT, PASSWORD};

/// The gate's permits the browser crate takes: the session's, and one to
/// navigate to the console's origin.
pub struct Permits {
    app: Permit,
    gate: Gate,
    origin: pont_policy::Origin,
}

pub fn permits(dir: &std::path::Path, url: &str) -> Permits {
    let origin = pont_policy::Origin::parse(url).unwrap();
    let mut policy = EffectivePolicy::ds_only("console-tests", &[], &[]);
    let grant = BrowserGrant {
        origin: origin.clone(),
        stable_id: "id".into(),
    };
    policy.browser.insert("console".into(), grant);
    let gate = Gate::for_tool("console-tests", policy, &dir.join("browser-audit.jsonl")).unwrap();
    let app = gate
        .authorize(None, &Action::BrowserOpen { app: "console" })
        .unwrap();
    Permits { app, gate, origin }
}

pub struct Tab {
    pub s: Session,
    pub p: Permits,
    pub base: String,
}

impl Tab {
    /// A session of `browser` allowed the console at `base` only.
    pub async fn open(browser: &Browser, dir: &Path, base: String) -> Self {
        let p = permits(dir, &base);
        let policy = AllowList::from_urls([base.as_str()]).unwrap();
        let s = browser
            .open_session(&p.app, SessionOptions::new(Arc::new(policy)))
            .await
            .unwrap();
        Self { s, p, base }
    }

    /// Open the console, which asks to log in, and log in as the agent.
    pub async fn log_in(&self) {
        self.goto("/console/").await;
        self.find(role("heading", "Connexion")).await;
        self.fill(Locator::Label("Nom du compte".into()), AGENT)
            .await;
        self.fill(Locator::Label("Mot de passe".into()), PASSWORD)
            .await;
        self.click(role("button", "Se connecter")).await;
    }

    pub async fn goto(&self, path: &str) {
        let permit = self
            .p
            .gate
            .authorize(
                None,
                &Action::BrowserGoto {
                    origin: &self.p.origin,
                },
            )
            .unwrap();
        self.s
            .goto(&permit, &format!("{}{path}", self.base))
            .await
            .unwrap();
    }
    pub async fn find(&self, l: Locator) -> Element {
        let wait = Duration::from_secs(10);
        self.s
            .wait_for(&self.p.app, &l, wait)
            .await
            .unwrap_or_else(|e| panic!("{l}: {e}"))
    }
    pub async fn text(&self, l: Locator) -> String {
        self.find(l).await.text(&self.p.app).await.unwrap()
    }
    /// The text of `l` once it holds `needle` (the page after a click may
    /// take a moment to replace the one before).
    pub async fn text_with(&self, l: Locator, needle: &str) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(el) = self.s.find(&self.p.app, &l).await
                && let Ok(text) = el.text(&self.p.app).await
            {
                if text.contains(needle) {
                    return text;
                }
                last = text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{l} never held `{needle}`; last:\n{last}");
    }
    pub async fn click(&self, l: Locator) {
        self.find(l).await.click(&self.p.app).await.unwrap();
    }
    pub async fn fill(&self, l: Locator, text: &str) {
        self.find(l).await.fill(&self.p.app, text).await.unwrap();
    }
    pub async fn url(&self) -> String {
        self.s.current_url(&self.p.app).await.unwrap()
    }
}

pub fn role(role: &str, name: &str) -> Locator {
    Locator::Role {
        role: role.into(),
        name: name.into(),
    }
}
