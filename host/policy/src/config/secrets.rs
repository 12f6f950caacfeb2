//! `[grant.secrets.NAME]`: where a secret's value comes from, and the only
//! places it may be sent. A secret is bound to destinations so that one meant
//! for the CPS tool cannot be typed into another granted application or put in
//! a header to another granted HTTP origin.
//!
//! A secret with no destination is refused at config check rather than taken
//! to mean "nowhere": an operator upgrading an older config learns at once
//! what to add, instead of finding the secret denied in the middle of a run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;

use super::{BrowserGrant, OriginGrant, RawSecretSource, SecretSource, Validator};
use crate::error::PolicyError;
use crate::origin::Origin;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSecretGrant {
    env: Option<String>,
    file: Option<PathBuf>,
    #[serde(default)]
    apps: Vec<String>,
    #[serde(default)]
    origins: Vec<String>,
}

/// A granted secret and the destinations that may receive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretGrant {
    pub source: SecretSource,
    /// Browser applications (`grant.browser` names) whose pages `fill-secret`
    /// may type it into.
    pub apps: BTreeSet<String>,
    /// HTTP origins (each one of a `grant.http` entry) a request header may
    /// carry it to.
    pub origins: BTreeSet<Origin>,
}

impl Validator<'_> {
    pub(super) fn secrets(
        &self,
        raw: BTreeMap<String, RawSecretGrant>,
        browser: &BTreeMap<String, BrowserGrant>,
        http: &BTreeMap<String, OriginGrant>,
    ) -> Result<BTreeMap<String, SecretGrant>, PolicyError> {
        let mut out = BTreeMap::new();
        for (name, s) in raw {
            let key = format!("grant.secrets.{name}");
            self.label(&key, &name)?;
            let grant = self.secret_grant(&key, s, browser, http)?;
            out.insert(name, grant);
        }
        Ok(out)
    }

    fn secret_grant(
        &self,
        key: &str,
        s: RawSecretGrant,
        browser: &BTreeMap<String, BrowserGrant>,
        http: &BTreeMap<String, OriginGrant>,
    ) -> Result<SecretGrant, PolicyError> {
        let source = RawSecretSource {
            env: s.env,
            file: s.file,
        };
        let source = self.secret_source(key, source)?;
        if s.apps.is_empty() && s.origins.is_empty() {
            return Err(self.err(
                key,
                "say where this secret may be sent: add `apps = [\"<grant.browser name>\"]` \
                 (for fill-secret) and/or `origins = [\"https://…\"]` (for HTTP headers)",
            ));
        }
        Ok(SecretGrant {
            source,
            apps: self.secret_apps(key, s.apps, browser)?,
            origins: self.secret_origins(key, s.origins, http)?,
        })
    }

    fn secret_apps(
        &self,
        key: &str,
        apps: Vec<String>,
        browser: &BTreeMap<String, BrowserGrant>,
    ) -> Result<BTreeSet<String>, PolicyError> {
        let at = format!("{key}.apps");
        for app in &apps {
            if !browser.contains_key(app) {
                return Err(self.err(
                    &at,
                    format!("`{app}` is not a granted browser application (grant.browser.{app})"),
                ));
            }
        }
        Ok(apps.into_iter().collect())
    }

    fn secret_origins(
        &self,
        key: &str,
        origins: Vec<String>,
        http: &BTreeMap<String, OriginGrant>,
    ) -> Result<BTreeSet<Origin>, PolicyError> {
        let at = format!("{key}.origins");
        let mut out = BTreeSet::new();
        for text in origins {
            let origin = self.origin(&at, &text)?;
            if !http.values().any(|g| g.origin == origin) {
                return Err(self.err(
                    &at,
                    format!("{origin} is not the origin of any [grant.http] entry"),
                ));
            }
            out.insert(origin);
        }
        Ok(out)
    }
}
